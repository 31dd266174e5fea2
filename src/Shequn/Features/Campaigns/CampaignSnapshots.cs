using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Campaigns;

/// <summary>Section <c>Campaigns</c>: the flash sale's payment window, the release job, and how long a public page is cached.</summary>
public sealed class FlashSaleOptions
{
    /// <summary>How long a reservation waits for the shop's order confirmation (15 min).</summary>
    public TimeSpan PaymentWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Whether this node runs the job that releases expired reservations (tests run it by hand).</summary>
    public bool ReleaseEnabled { get; set; } = true;

    public TimeSpan ReleaseInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the campaign row and the rendered page are reused: stock shown lags by at most this.</summary>
    public TimeSpan PageCache { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the members of a campaign's audience are reused (a member not in the set is still looked up).</summary>
    public TimeSpan AudienceCache { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many of a node's claims of one sale are in their transaction at once (8); the others wait. The stock row takes
    /// one write at a time, so more only queue at the database, and after the last unit each would be a wasted write.
    /// </summary>
    public int WritersPerSale { get; set; } = 8;

    /// <summary>How many claims' request ids a node keeps per flash sale (<see cref="ClaimBook"/>); past it every claim reads the database.</summary>
    public int ClaimBookLimit { get; set; } = 200_000;
}

/// <summary>What the public page and a claim need of a campaign, read once per <see cref="FlashSaleOptions.PageCache"/>.</summary>
public sealed class CampaignSnapshot
{
    public required Campaign Campaign { get; init; }
    public required CampaignRules Rules { get; init; }
    public required IReadOnlyList<PageBlock> Page { get; init; }
    public required IReadOnlyList<Guid> CommunityIds { get; init; }
    public required IReadOnlyList<MemberLayer> Layers { get; init; }
    /// <summary>Every community of the campaign is a Sandbox one: the page offers a pretend checkout.</summary>
    public bool Sandbox { get; init; }
    public required string Language { get; init; }
    public required string WorkspaceName { get; init; }
    public required TimeZoneInfo Zone { get; init; }
    public DateTime LoadedAt { get; init; }

    private volatile bool _soldOutSeen;

    /// <summary>Set when a conditional stock update found none left: later claims on this node are refused without a write until the next read.</summary>
    public bool SoldOutSeen { get => _soldOutSeen; set => _soldOutSeen = value; }
}

/// <summary>
/// Per-campaign reads cached briefly for the public page's speed: the campaign by slug, the rendered page per culture, and
/// the audience's members. The database stays the arbiter of every claim; a cache only lets a refusal be cheap.
/// </summary>
public sealed class CampaignSnapshots(IServiceScopeFactory scopes, WorkspaceZones zones, TimeProvider time, IOptions<FlashSaleOptions> options)
{
    private readonly ConcurrentDictionary<string, Cached> _bySlug = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<CampaignSnapshot?>> _loading = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Slug, string Culture), (string Html, DateTime Until)> _pages = new();
    private readonly ConcurrentDictionary<Guid, (Task<Dictionary<Guid, Guid>> Members, DateTime Until)> _audiences = new();
    private readonly ConcurrentDictionary<(Guid Campaign, Guid Member), (ExclusionReason Reason, DateTime Until)> _exclusions = new();

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public FlashSaleOptions Options => options.Value;

    /// <summary>The campaign behind a public slug (any workspace), or null for none or a draft.</summary>
    public async Task<CampaignSnapshot?> FindAsync(string slug, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(slug) || slug.Length != Campaign.SlugLength)
            return null;
        var now = Now;
        if (_bySlug.TryGetValue(slug, out var hit))
        {
            // One request reloads an expired entry; the others meanwhile keep the previous read (a burst of claims
            // would otherwise all read the campaign again at the same moment).
            if (hit.Until > now || !hit.TryStartRefresh())
                return hit.Snapshot;
        }
        if (hit is not null)
        {
            try
            {
                return await LoadAsync(slug, now, ct);
            }
            catch
            {
                hit.EndRefresh();
                throw;
            }
        }
        // The first read of a slug is shared by the requests that ask meanwhile: a burst's first few hundred claims
        // would otherwise each read the campaign, and each hold a snapshot of its own (so one seeing the stock gone
        // would not spare the others their write).
        var mine = new TaskCompletionSource<CampaignSnapshot?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _loading.GetOrAdd(slug, mine.Task);
        if (shared != mine.Task)
            return await shared.WaitAsync(ct);
        try
        {
            var loaded = await LoadAsync(slug, now, CancellationToken.None);
            mine.SetResult(loaded);
            return loaded;
        }
        catch (Exception e)
        {
            mine.SetException(e);
            _ = mine.Task.Exception; // observed here: the waiting requests get it too
            throw;
        }
        finally
        {
            _loading.TryRemove(new KeyValuePair<string, Task<CampaignSnapshot?>>(slug, mine.Task));
        }
    }

    private async Task<CampaignSnapshot?> LoadAsync(string slug, DateTime now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.Slug == slug, ct);
        if (campaign is null || campaign.Status == CampaignStatus.Draft)
        {
            _bySlug.TryRemove(slug, out _);
            return null;
        }
        var ids = campaign.CommunityIdsValue();
        var workspace = await db.Workspaces.AsNoTracking().Where(w => w.Id == campaign.WorkspaceId).Select(w => w.Name).SingleAsync(ct);
        var snapshot = new CampaignSnapshot
        {
            Campaign = campaign,
            Rules = campaign.RulesValue(),
            Page = campaign.PageValue(),
            CommunityIds = ids,
            Layers = campaign.AudienceValue().Layers ?? [],
            Sandbox = await SandboxOnlyAsync(db, ids, ct),
            Language = await WorkspaceSettings.LanguageAsync(db, campaign.WorkspaceId, ct),
            WorkspaceName = workspace,
            Zone = await zones.GetAsync(campaign.WorkspaceId, ct),
            LoadedAt = now,
            // The row says none are left: refuse without a write until a read sees stock again (a release gives some back).
            SoldOutSeen = campaign.StockLeft <= 0,
        };
        _bySlug[slug] = new Cached(snapshot, now + Options.PageCache);
        return snapshot;
    }

    /// <summary>Whether every one of the communities is a Sandbox one (none: false): the campaign then has the pretend checkout and shop.</summary>
    internal static async Task<bool> SandboxOnlyAsync(AppDbContext db, IReadOnlyList<Guid> communityIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ids = communityIds.ToList();
        var platforms = await db.Communities.IgnoreQueryFilters().AsNoTracking().Where(c => ids.Contains(c.Id)).Select(c => c.Platform).ToListAsync(ct);
        return platforms.Count > 0 && platforms.All(p => p == ChatPlatform.Sandbox);
    }

    private sealed class Cached(CampaignSnapshot snapshot, DateTime until)
    {
        private int _refreshing;

        public CampaignSnapshot Snapshot { get; } = snapshot;
        public DateTime Until { get; } = until;

        public bool TryStartRefresh() => Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0;

        public void EndRefresh() => Interlocked.Exchange(ref _refreshing, 0);
    }

    /// <summary>Forgets what this node cached of a campaign (after a release gave stock back, or staff changed it).</summary>
    public void Invalidate(string slug)
    {
        if (_bySlug.TryRemove(slug, out var gone))
            foreach (var key in _exclusions.Keys.Where(k => k.Campaign == gone.Snapshot.Campaign.Id))
                _exclusions.TryRemove(key, out _);
        foreach (var key in _pages.Keys.Where(k => k.Slug == slug))
            _pages.TryRemove(key, out _);
    }

    public string? CachedPage(string slug, string culture) =>
        _pages.TryGetValue((slug, culture), out var hit) && hit.Until > Now ? hit.Html : null;

    public void RememberPage(string slug, string culture, string html, CampaignSnapshot from) =>
        _pages[(slug, culture)] = (html, from.LoadedAt + Options.PageCache);

    /// <summary>
    /// The community through which a member belongs to the campaign's audience (an active membership in one of its
    /// communities, of a layer it names), or null. The audience is cached; a member not in the cached set is looked up,
    /// so someone who joined a moment ago is not refused.
    /// </summary>
    public async Task<Guid?> AudienceCommunityAsync(CampaignSnapshot s, Guid memberId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var now = Now;
        var id = s.Campaign.Id;
        if (!_audiences.TryGetValue(id, out var entry) || entry.Until <= now || entry.Members.IsFaulted)
        {
            entry = (LoadAudienceAsync(s, null, CancellationToken.None), now + Options.AudienceCache);
            _audiences[id] = entry;
        }
        var members = await entry.Members.WaitAsync(ct);
        if (members.TryGetValue(memberId, out var community))
            return community;
        var one = await LoadAudienceAsync(s, memberId, ct);
        return one.TryGetValue(memberId, out var found) ? found : null;
    }

    /// <summary>Past this many remembered decisions the expired ones are dropped.</summary>
    private const int ExclusionsKept = 100_000;

    /// <summary>
    /// Whether the campaign's anti-abuse settings leave the member out (<see cref="CampaignExclusions"/>); without the
    /// settings, None at no cost. A member let in is remembered for <see cref="FlashSaleOptions.AudienceCache"/> (what let
    /// them in does not go away); one left out only for <see cref="FlashSaleOptions.PageCache"/>, so whoever speaks up
    /// is let in at once, while a burst of the same refused member still reads the database about once a second.
    /// </summary>
    public async Task<ExclusionReason> ExclusionAsync(CampaignSnapshot s, Guid memberId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (!CampaignExclusions.Apply(s.Rules))
            return ExclusionReason.None;
        var now = Now;
        var key = (s.Campaign.Id, memberId);
        if (_exclusions.TryGetValue(key, out var hit) && hit.Until > now)
            return hit.Reason;
        ExclusionReason reason;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            reason = await CampaignExclusions.DecideAsync(db, s.Campaign, s.Rules, memberId, null, ct);
        }
        if (_exclusions.Count >= ExclusionsKept)
            foreach (var old in _exclusions.Where(e => e.Value.Until <= now).Select(e => e.Key).ToList())
                _exclusions.TryRemove(old, out _);
        _exclusions[key] = (reason, now + (reason == ExclusionReason.None ? Options.AudienceCache : Options.PageCache));
        return reason;
    }

    private async Task<Dictionary<Guid, Guid>> LoadAudienceAsync(CampaignSnapshot s, Guid? memberId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ids = s.CommunityIds.ToList();
        var layers = s.Layers.ToList();
        var ws = s.Campaign.WorkspaceId;
        var q = db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .Where(m => m.WorkspaceId == ws && m.LeftAt == null && ids.Contains(m.CommunityId));
        if (memberId is { } one)
            q = q.Where(m => m.MemberId == one);
        if (layers.Count > 0)
            q = q.Where(m => layers.Contains(m.Member!.Layer));
        var rows = await q.Select(m => new { m.MemberId, m.CommunityId }).ToListAsync(ct);
        var result = new Dictionary<Guid, Guid>(rows.Count);
        foreach (var r in rows)
            result.TryAdd(r.MemberId, r.CommunityId);
        return result;
    }
}
