using System.Text;
using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Acquisition;

/// <summary>Section <c>LiveCodes</c>.</summary>
public sealed class LiveCodeOptions
{
    /// <summary>How long a code's row, routes and rendered landing page are reused per node (what the page shows lags by at most this).</summary>
    public TimeSpan Cache { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>One address counts once per kind of scan within this window (bots, repeated reloads).</summary>
    public TimeSpan BurstWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A visitor routed within this long and not yet seen joining still holds a seat when routes are reconciled.</summary>
    public TimeSpan PendingWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the routes' counts are reconciled with the members really there, and QR expiries and full codes looked at.</summary>
    public TimeSpan UpkeepInterval { get; set; } = TimeSpan.FromMinutes(5);

    public bool UpkeepEnabled { get; set; } = true;

    /// <summary>A personal WeChat group QR stops working 7 days after it was made.</summary>
    public TimeSpan QrLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Staff are asked for a fresh QR this long before one dies.</summary>
    public TimeSpan QrRefreshBefore { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Scans a node writes in one transaction at most (group commit).</summary>
    public int MaxBatch { get; set; } = 2000;
}

/// <summary>A route of a code with what routing and the landing page need of its community.</summary>
public sealed record RouteInfo(Guid Id, int Position, string? Choice, Guid CommunityId, string CommunityName, ChatPlatform Platform,
    int Cap, bool Open, string? JoinUrl, Guid? QrImageId, DateTime? QrExpiresAt, string? Intro, string? Rules);

/// <summary>What the short link needs of a code, read once per <see cref="LiveCodeOptions.Cache"/>.</summary>
public sealed class LiveCodeSnapshot
{
    public required LiveCode Code { get; init; }
    public required IReadOnlyList<RouteInfo> Routes { get; init; }
    public required string Language { get; init; }
    public required string WorkspaceName { get; init; }
    public DateTime LoadedAt { get; init; }

    /// <summary>The choices the landing page offers: the routes' labels, in order, once each.</summary>
    public IReadOnlyList<string> Choices => [.. Routes.Where(r => !string.IsNullOrWhiteSpace(r.Choice)).Select(r => r.Choice!.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)];

    public RouteInfo? Route(Guid id) => Routes.FirstOrDefault(r => r.Id == id);

    public RouteInfo? FirstRoute => Routes.Count > 0 ? Routes[0] : null;

    private volatile bool _fullSeen;

    /// <summary>Set once staff have been told this code is full: later full visitors on this node skip the database until the next read.</summary>
    public bool FullSeen { get => _fullSeen; set => _fullSeen = value; }
}

/// <summary>
/// Live codes by their short code, cached briefly per node with one load at a time per code, so a burst of scans reads
/// the code once a second. The seats themselves are never cached: <see cref="ScanBook"/> counts them in the database.
/// </summary>
public sealed class LiveCodeDirectory(IServiceScopeFactory scopes, TimeProvider time, IOptions<LiveCodeOptions> options)
{
    private readonly ConcurrentDictionary<string, (LiveCodeSnapshot? Snapshot, DateTime Until)> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<LiveCodeSnapshot?>> _loading = new(StringComparer.Ordinal);
    // Pages kept as the UTF-8 bytes sent, so a burst of scans is not encoded again for every visitor.
    private readonly ConcurrentDictionary<(string Code, string Culture), (byte[] Html, DateTime Until)> _pages = new();

    public LiveCodeOptions Options => options.Value;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>The code (any workspace, any state), or null when it never existed.</summary>
    public async Task<LiveCodeSnapshot?> FindAsync(string code, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(code) || code.Length != LiveCode.CodeLength)
            return null;
        if (_byCode.TryGetValue(code, out var cached) && cached.Until > Now)
            return cached.Snapshot;
        var loading = _loading.GetOrAdd(code, LoadAndRememberAsync);
        try
        {
            return await loading.WaitAsync(ct);
        }
        finally
        {
            _loading.TryRemove(new KeyValuePair<string, Task<LiveCodeSnapshot?>>(code, loading));
        }
    }

    /// <summary>Drops what this node remembers of a code (after staff change it here; other nodes see it within the cache time).</summary>
    public void Forget(string code)
    {
        _byCode.TryRemove(code, out _);
        foreach (var key in _pages.Keys.Where(k => k.Code == code || k.Code.StartsWith(code + "/", StringComparison.Ordinal)))
            _pages.TryRemove(key, out _);
    }

    public byte[]? CachedPage(string code, string culture) =>
        _pages.TryGetValue((code, culture), out var p) && p.Until > Now ? p.Html : null;

    public byte[] RememberPage(string code, string culture, string html)
    {
        var bytes = Encoding.UTF8.GetBytes(html);
        _pages[(code, culture)] = (bytes, Now + Options.Cache);
        return bytes;
    }

    private async Task<LiveCodeSnapshot?> LoadAndRememberAsync(string code)
    {
        var snapshot = await LoadAsync(code);
        _byCode[code] = (snapshot, Now + Options.Cache);
        return snapshot;
    }

    private async Task<LiveCodeSnapshot?> LoadAsync(string code)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var row = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.Code == code);
        if (row is null)
            return null;
        var now = Now;
        var routes = await db.Set<LiveCodeRoute>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.LiveCodeId == row.Id && r.WorkspaceId == row.WorkspaceId)
            .OrderBy(r => r.Position)
            .Select(r => new
            {
                r.Id, r.Position, r.Choice, r.CommunityId, r.Community!.Name, r.Community.Platform, r.Community.Capacity, r.Community.State,
                r.JoinUrl, r.QrImageId, r.QrExpiresAt, r.Community.Intro, r.Community.Rules,
            })
            .ToListAsync();
        var workspace = await db.Workspaces.AsNoTracking().Where(w => w.Id == row.WorkspaceId).Select(w => new { w.Name, w.Language }).SingleAsync();
        return new LiveCodeSnapshot
        {
            Code = row,
            Routes = [.. routes.Select(r => new RouteInfo(r.Id, r.Position, r.Choice, r.CommunityId, r.Name, r.Platform,
                Math.Min(row.Limit, r.Capacity), r.State == CommunityState.Active && HasWayIn(r.Platform, r.JoinUrl, r.QrImageId, r.QrExpiresAt, row.WeComQrUrl, now),
                r.JoinUrl, r.QrImageId, r.QrExpiresAt, r.Intro, r.Rules))],
            Language = workspace.Language,
            WorkspaceName = workspace.Name,
            LoadedAt = now,
        };
    }

    /// <summary>A route can take visitors when they have a way in: a link, an uploaded QR still alive, or the code's WeCom QR.</summary>
    public static bool HasWayIn(ChatPlatform platform, string? joinUrl, Guid? qrImageId, DateTime? qrExpiresAt, string? weComQrUrl, DateTime now) => platform switch
    {
        ChatPlatform.WeCom => !string.IsNullOrEmpty(joinUrl) || !string.IsNullOrEmpty(weComQrUrl),
        ChatPlatform.Manual => qrImageId is not null && qrExpiresAt > now || !string.IsNullOrEmpty(joinUrl),
        _ => !string.IsNullOrEmpty(joinUrl),
    };
}
