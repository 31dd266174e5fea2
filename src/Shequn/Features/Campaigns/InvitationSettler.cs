using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;

namespace Shequn.Features.Campaigns;

/// <summary>
/// Settles invitations whose stay has ended and grants what they earned, on one app process at a time (a lease on the
/// <c>campaigns</c> checkpoint row): an invitee still in the community since the join counts, one who left is void (and, with <see cref="CampaignRules.ExcludeSilent"/>, one who never spoke there since joining). An
/// inviter with <see cref="CampaignRules.InviteesNeeded"/> counted invitees gets the campaign's first reward (key
/// <c>invite:{inviter}</c>) and completes; with a second reward the invitee gets it too (券 for both sides, key
/// <c>invitee:{invitee}</c>). A reward whose quantity is used up is granted no more. Every status moves only from
/// pending (a conditional update) and every grant has its unique key, so a second process or a rerun changes nothing.
/// </summary>
public sealed partial class InvitationSettler(IServiceScopeFactory scopes, TimeProvider time, IOptions<CampaignsOptions> options, ILogger<InvitationSettler> log)
    : BackgroundService
{
    public const string CheckpointName = "campaigns";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly string _node = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.InvitationsEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SettleAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(options.Value.SettleInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Settles what is due now; returns how many invitations were settled, or null when another process holds the lease.</summary>
    public async Task<int?> SettleAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        if (!await CheckpointLease.TryClaimAsync(db, CheckpointName, _node, now, Lease, ct))
            return null;
        try
        {
            return await SettleDueAsync(db, now, ct);
        }
        finally
        {
            await CheckpointLease.ReleaseAsync(db, CheckpointName, _node, time.GetUtcNow().UtcDateTime);
        }
    }

    private static async Task<int> SettleDueAsync(AppDbContext db, DateTime now, CancellationToken ct)
    {
        var due = await db.Set<CampaignInvitation>().IgnoreQueryFilters().AsNoTracking()
            .Where(i => i.Status == InvitationStatus.Pending && i.CountsAt <= now).OrderBy(i => i.CountsAt).Take(1000).ToListAsync(ct);
        var settled = 0;
        var silentExcluded = new Dictionary<Guid, bool>();
        foreach (var inv in due)
        {
            var stayed = await db.Memberships.IgnoreQueryFilters().AnyAsync(m => m.WorkspaceId == inv.WorkspaceId && m.CommunityId == inv.CommunityId
                && m.MemberId == inv.InviteeMemberId && m.JoinedAt <= inv.JoinedAt && (m.LeftAt == null || m.LeftAt >= inv.CountsAt), ct);
            string? reason = stayed ? null : "leftEarly";
            if (stayed)
            {
                if (!silentExcluded.TryGetValue(inv.CampaignId, out var excludeSilent))
                {
                    var rules = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().Where(c => c.Id == inv.CampaignId).Select(c => c.Rules).SingleAsync(ct);
                    silentExcluded[inv.CampaignId] = excludeSilent = System.Text.Json.JsonSerializer.Deserialize<CampaignRules>(rules, CampaignJson.Options)?.ExcludeSilent == true;
                }
                // An account that joined and never said a word is the cheapest fake invitee there is.
                if (excludeSilent && !await db.Set<MemberActivity>().IgnoreQueryFilters().AnyAsync(a => a.CommunityId == inv.CommunityId
                    && a.MemberId == inv.InviteeMemberId && a.Messages > 0 && a.LastSpokeAt >= inv.JoinedAt, ct))
                    reason = "silent";
            }
            var status = reason is null ? InvitationStatus.Counted : InvitationStatus.Void;
            settled += await db.Set<CampaignInvitation>().IgnoreQueryFilters()
                .Where(i => i.Id == inv.Id && i.Status == InvitationStatus.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, status).SetProperty(i => i.Reason, reason).SetProperty(i => i.SettledAt, now), ct);
        }
        foreach (var group in due.GroupBy(i => i.CampaignId))
            await GrantAsync(db, group.Key, [.. group], now, ct);
        return settled;
    }

    private static async Task GrantAsync(AppDbContext db, Guid campaignId, List<CampaignInvitation> settled, DateTime now, CancellationToken ct)
    {
        var campaign = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == campaignId, ct);
        var rewards = campaign.RewardsValue();
        var needed = campaign.RulesValue().InviteesNeeded ?? 1;
        var ws = campaign.WorkspaceId;
        var counted = await db.Set<CampaignInvitation>().IgnoreQueryFilters().AsNoTracking()
            .Where(i => i.CampaignId == campaignId && i.Status == InvitationStatus.Counted).ToListAsync(ct);
        foreach (var invitee in counted.Where(i => settled.Any(s => s.Id == i.Id)))
        {
            var p = await Participants.EnsureAsync(db, ws, campaignId, invitee.InviteeMemberId, invitee.CommunityId, invitee.JoinedAt, ct);
            p.IsNewMember = true;
            p.InvitedByMemberId ??= invitee.InviterMemberId;
            if (InviteeReward(rewards) is { } index)
                await GrantOnceAsync(db, campaign, index, invitee.InviteeMemberId, $"invitee:{invitee.InviteeMemberId:N}", now, ct);
        }
        foreach (var inviter in counted.GroupBy(i => i.InviterMemberId).Where(g => g.Count() >= needed && settled.Any(s => s.InviterMemberId == g.Key)))
        {
            var p = await Participants.EnsureAsync(db, ws, campaignId, inviter.Key, inviter.First().CommunityId, inviter.Min(i => i.JoinedAt), ct);
            p.CompletedAt ??= now;
            if (rewards.Count > 0)
                await GrantOnceAsync(db, campaign, 0, inviter.Key, $"invite:{inviter.Key:N}", now, ct);
        }
        await db.SaveChangesWithoutAuditAsync(ct);
    }

    /// <summary>
    /// The invitee's reward: the second when there are two or more; with one coupon reward only, that coupon for both sides
    /// (券 for the inviter and the friend); otherwise none.
    /// </summary>
    internal static int? InviteeReward(IReadOnlyList<CampaignReward> rewards) => rewards.Count switch
    {
        > 1 => 1,
        1 when rewards[0].Kind == RewardKind.Coupon => 0,
        _ => null,
    };

    private static async Task GrantOnceAsync(AppDbContext db, Campaign campaign, int index, Guid member, string key, DateTime now, CancellationToken ct)
    {
        // The settler holds the lease, so counting then adding cannot race another settler for the last reward.
        var given = await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().CountAsync(g => g.CampaignId == campaign.Id && g.RewardIndex == index && g.Status != GrantStatus.Void, ct)
            + db.ChangeTracker.Entries<CampaignRewardGrant>().Count(x => x.State == EntityState.Added && x.Entity.CampaignId == campaign.Id && x.Entity.RewardIndex == index);
        if (given < campaign.RewardsValue()[index].Quantity)
            await CampaignGrants.AddOnceAsync(db, campaign, index, member, key, now, ct);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Settling campaign invitations failed; trying again at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception ex);
}
