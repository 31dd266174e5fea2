using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Profiles;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Campaigns;

/// <summary>What a draw attempt did.</summary>
public enum DrawOutcome
{
    Drawn = 0,
    /// <summary>Entries closed and the seed revealed, but nobody entered: no winners, a note.</summary>
    NoEntries = 1,
    /// <summary>Someone else drew first (or the campaign is not a published lottery that has ended).</summary>
    NotDrawn = 2,
}

/// <summary>
/// Draws lotteries whose campaign has ended, on one app process at a time (a lease on the <c>lottery</c> checkpoint row),
/// and serves the staff's "draw now". Each draw is one transaction that starts with the conditional update
/// <c>DrawnAt = now WHERE DrawnAt IS NULL</c>: a second process, a second click or a rerun finds nothing to update and
/// does nothing. In the same transaction it reads the closed list, runs <see cref="LotteryDraw.Draw"/> with the
/// campaign's rewards as prizes, writes one grant per winner (key <c>lottery:{prize}:{n}</c>), completes the winners'
/// participant rows and queues one announcement per community (key <c>lottery:{campaign}:{community}:winners</c>).
/// </summary>
public sealed partial class LotteryDrawer(IServiceScopeFactory scopes, TimeProvider time, IOptions<LotteryOptions> options, ILogger<LotteryDrawer> log)
    : BackgroundService
{
    public const string CheckpointName = "lottery";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly string _node = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DrawDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(options.Value.DrawInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Draws every ended lottery not drawn yet; returns how many were drawn, or null when another process holds the lease.</summary>
    public async Task<int?> DrawDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        if (!await CheckpointLease.TryClaimAsync(db, CheckpointName, _node, now, Lease, ct))
            return null;
        try
        {
            var due = await db.Set<CampaignLottery>().IgnoreQueryFilters().AsNoTracking().Where(l => l.DrawnAt == null)
                .Join(db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Status == CampaignStatus.Published && c.EndsAt <= now), l => l.CampaignId, c => c.Id, (l, c) => c.Id)
                .Take(100).ToListAsync(ct);
            var drawn = 0;
            foreach (var id in due)
            {
                await using var each = scopes.CreateAsyncScope();
                var work = each.ServiceProvider.GetRequiredService<LotteryWork>();
                if (await work.DrawAsync(id, audited: false, ct) != DrawOutcome.NotDrawn)
                    drawn++;
            }
            return drawn;
        }
        finally
        {
            await CheckpointLease.ReleaseAsync(db, CheckpointName, _node, time.GetUtcNow().UtcDateTime);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Drawing ended lotteries failed; trying again at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}

/// <summary>One draw, in its own transaction (scoped: one per draw).</summary>
public sealed class LotteryWork(AppDbContext db, TimeProvider time, OutboxSignal signal, IOptions<ProfilesOptions> profiles)
{
    public string DrawUrl(string slug) => $"{profiles.Value.PublicBaseUrl.TrimEnd('/')}/c/{slug}/draw";

    /// <summary>Draws one ended lottery once; <see cref="DrawOutcome.NotDrawn"/> when it was drawn already or cannot be.</summary>
    public async Task<DrawOutcome> DrawAsync(Guid campaignId, bool audited, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.Id == campaignId, ct);
        if (campaign is null || campaign.Kind != CampaignKind.Lottery || campaign.Status != CampaignStatus.Published || campaign.EndsAt > now)
            return DrawOutcome.NotDrawn;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The arbiter: only the attempt that moves DrawnAt from null draws; it also closes entries (EnterAsync's increment needs null).
        var mine = await db.Set<CampaignLottery>().IgnoreQueryFilters().Where(l => l.CampaignId == campaignId && l.DrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.DrawnAt, now), ct);
        if (mine == 0)
            return DrawOutcome.NotDrawn;
        var lottery = await db.Set<CampaignLottery>().IgnoreQueryFilters().SingleAsync(l => l.CampaignId == campaignId, ct);
        var entries = await Lotteries.EntriesAsync(db, campaignId, ct);
        var listing = entries.Select(e => e.Entry).ToList();
        lottery.EntriesHash = LotteryDraw.EntriesHash(listing);
        if (entries.Count == 0)
        {
            lottery.Warning = "No entries: nothing was drawn.";
            await db.SaveChangesWithoutAuditAsync(ct);
            await tx.CommitAsync(ct);
            return DrawOutcome.NoEntries;
        }
        var rewards = campaign.RewardsValue();
        var (prizes, warning) = Prizes(rewards, entries.Count);
        var result = LotteryDraw.Draw(lottery.Seed, listing, prizes);
        lottery.Winners = CampaignJson.Write(result.Winners);
        lottery.Warning = warning;

        var perPrize = new Dictionary<int, int>();
        foreach (var w in result.Winners)
        {
            var n = perPrize[w.PrizeIndex] = perPrize.GetValueOrDefault(w.PrizeIndex, -1) + 1;
            var entry = entries[w.EntryIndex];
            db.Add(new CampaignRewardGrant
            {
                WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, MemberId = entry.MemberId, RewardIndex = w.PrizeIndex,
                Key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"lottery:{w.PrizeIndex}:{n}"), Status = GrantStatus.Issued,
                CostFen = rewards[w.PrizeIndex].CostFen, CreatedAt = now, UpdatedAt = now,
            });
            var participant = await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, entry.MemberId, entry.CommunityId, entry.EnteredAt, ct);
            participant.CompletedAt ??= now;
        }

        var english = await WorkspaceSettings.LanguageAsync(db, campaign.WorkspaceId, ct) == "en";
        var text = Lotteries.Announcement(campaign, result.Winners, DrawUrl(campaign.Slug), english);
        var ids = campaign.CommunityIdsValue();
        var communities = await db.Communities.IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == campaign.WorkspaceId && ids.Contains(c.Id) && c.State != CommunityState.Dissolved).ToListAsync(ct);
        foreach (var community in communities)
        {
            var key = AnnouncementKey(campaign.Id, community.Id);
            if (await db.Set<OutboundAction>().IgnoreQueryFilters().AnyAsync(a => a.IdempotencyKey == key, ct))
                continue;
            db.Add(OutboundAction.Create(campaign.WorkspaceId, community.Id, PostTexts.KindFor(community.Platform), new ActionPayload(Text: text), key));
        }
        if (audited)
            await db.SaveChangesAsync(ct);
        else
            await db.SaveChangesWithoutAuditAsync(ct);
        await tx.CommitAsync(ct);
        signal.Notify();
        return DrawOutcome.Drawn;
    }

    public static string AnnouncementKey(Guid campaign, Guid community) => $"lottery:{campaign:N}:{community:N}:winners";

    /// <summary>
    /// The prizes of a draw: the rewards in order with their quantities, cut from the end to the number of entrants when
    /// there are fewer (everyone then wins something in prize order); the warning says what stays ungiven.
    /// </summary>
    public static (List<LotteryPrize> Prizes, string? Warning) Prizes(IReadOnlyList<CampaignReward> rewards, int entrants)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        var prizes = new List<LotteryPrize>();
        var left = entrants;
        foreach (var r in rewards)
        {
            // Cut only at the end, so a winner's prize index is the reward's index.
            var count = Math.Min(Math.Max(r.Quantity, 0), left);
            if (count == 0)
                break;
            prizes.Add(new LotteryPrize(r.Name, count));
            left -= count;
        }
        var ungiven = rewards.Sum(r => (long)Math.Max(r.Quantity, 0)) - prizes.Sum(p => p.Count);
        var warning = ungiven > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"More prizes than entrants: {entrants} entrants, {ungiven} prizes not given.")
            : null;
        return (prizes, warning);
    }
}
