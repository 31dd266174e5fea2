using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;

namespace Shequn.Features.Campaigns;

public enum InvitationStatus
{
    /// <summary>Joined through the inviter; counts once they have stayed the campaign's days.</summary>
    Pending = 0,
    /// <summary>Stayed long enough: counts toward the inviter's goal.</summary>
    Counted = 1,
    /// <summary>Never counts (the reason says why: already a member, self-invite, a loop).</summary>
    Refused = 2,
    /// <summary>Left before the stay ended.</summary>
    Void = 3,
}

/// <summary>
/// One edge of a campaign's invitation tree (who brought whom), from a real join event: the join's actor on the
/// platform (WeCom's inviter, Telegram's "added by"). Unique per (campaign, invitee): a person is invited once per
/// campaign, by the first who brought them. Anti-cheat from what only a chat tool knows: an invitee counts only if they
/// were not a member of any of the workspace's communities before, did not invite themselves or their own inviter,
/// and stayed <see cref="CampaignRules.StayDays"/> days (the reward is held until then).
/// </summary>
public sealed class CampaignInvitation : IWorkspaceOwned
{
    public const int ReasonMaxLength = 40;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid InviterMemberId { get; set; }
    public Guid InviteeMemberId { get; set; }
    public Guid CommunityId { get; set; }
    /// <summary>The join in the event log.</summary>
    public long EventSeq { get; set; }
    public DateTime JoinedAt { get; set; }
    /// <summary>When the invitee has stayed long enough to count.</summary>
    public DateTime CountsAt { get; set; }
    public InvitationStatus Status { get; set; }
    /// <summary>Why it does not count: <c>alreadyMember</c>, <c>selfInvite</c>, <c>loop</c>, <c>leftEarly</c>, <c>silent</c>.</summary>
    public string? Reason { get; set; }
    public DateTime? SettledAt { get; set; }
}

internal sealed class CampaignInvitationConfiguration : IEntityTypeConfiguration<CampaignInvitation>
{
    public void Configure(EntityTypeBuilder<CampaignInvitation> b)
    {
        b.ToTable("CampaignInvitations");
        b.HasKey(i => i.Id);
        b.Property(i => i.Reason).HasMaxLength(CampaignInvitation.ReasonMaxLength);
        b.HasIndex(i => new { i.CampaignId, i.InviteeMemberId }).IsUnique();
        b.HasIndex(i => new { i.CampaignId, i.InviterMemberId });
        b.HasIndex(i => new { i.Status, i.CountsAt });
        b.HasOne<Campaign>().WithMany().HasForeignKey(i => i.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(i => i.InviterMemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(i => i.InviteeMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Campaign mechanics at run time (section <c>Campaigns</c>).</summary>
public sealed class CampaignsOptions
{
    public bool InvitationsEnabled { get; set; } = true;

    /// <summary>How often pending invitations whose stay has ended are settled and rewards granted.</summary>
    public TimeSpan SettleInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Records invitations as a reaction of the event processor, in the batch's transaction: each join into a community of a
/// running invitation campaign whose platform names who brought the joiner becomes one <see cref="CampaignInvitation"/>
/// (pending, or refused with the reason), and the inviter a participant. Replayed batches find the row (unique per
/// invitee) and add nothing.
/// </summary>
public sealed class InvitationReaction(IOptions<CampaignsOptions> options) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.Value.InvitationsEnabled)
            return 0;
        var joins = events.Where(e => e.Kind == EventKind.MemberJoined && e.UserId is not null && effects.InviterOf.ContainsKey(e.Seq)
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is not null).ToList();
        if (joins.Count == 0)
            return 0;
        foreach (var group in joins.GroupBy(e => e.WorkspaceId))
            await RecordAsync(db, group.Key, [.. group], effects, ct);
        return 0;
    }

    private static async Task RecordAsync(AppDbContext db, Guid ws, List<CommunityEvent> joins, EventEffects effects, CancellationToken ct)
    {
        var first = joins.Min(e => e.OccurredAt);
        var last = joins.Max(e => e.OccurredAt);
        var campaigns = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && c.Kind == CampaignKind.Invitation && c.Status == CampaignStatus.Published && c.StartsAt <= last && c.EndsAt > first)
            .ToListAsync(ct);
        if (campaigns.Count == 0)
            return;
        var plans = campaigns.Select(c => (Campaign: c, Communities: c.CommunityIdsValue().ToHashSet(), Rules: c.RulesValue())).ToList();
        foreach (var e in joins)
        {
            var community = effects.CommunityOf[e.Seq]!.Id;
            var inviter = effects.InviterOf[e.Seq];
            if (!effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var invitee))
                continue;
            foreach (var (campaign, communities, rules) in plans.Where(p => p.Communities.Contains(community) && p.Campaign.StartsAt <= e.OccurredAt && e.OccurredAt < p.Campaign.EndsAt))
            {
                if (await db.Set<CampaignInvitation>().IgnoreQueryFilters().AnyAsync(i => i.CampaignId == campaign.Id && i.InviteeMemberId == invitee, ct)
                    || db.ChangeTracker.Entries<CampaignInvitation>().Any(x => x.Entity.CampaignId == campaign.Id && x.Entity.InviteeMemberId == invitee))
                    continue;
                var reason = await RefusalAsync(db, ws, campaign.Id, inviter, invitee, e.OccurredAt, ct);
                db.Add(new CampaignInvitation
                {
                    WorkspaceId = ws, CampaignId = campaign.Id, InviterMemberId = inviter, InviteeMemberId = invitee, CommunityId = community,
                    EventSeq = e.Seq, JoinedAt = e.OccurredAt, CountsAt = e.OccurredAt.AddDays(rules.StayDays ?? 0),
                    Status = reason is null ? InvitationStatus.Pending : InvitationStatus.Refused, Reason = reason,
                    SettledAt = reason is null ? null : e.OccurredAt,
                });
                if (reason is null && inviter != invitee)
                    await Participants.EnsureAsync(db, ws, campaign.Id, inviter, community, e.OccurredAt, ct);
            }
        }
    }

    /// <summary>Why this join cannot count, or null: what a chat tool knows and a shop does not.</summary>
    private static async Task<string?> RefusalAsync(AppDbContext db, Guid ws, Guid campaign, Guid inviter, Guid invitee, DateTime at, CancellationToken ct)
    {
        if (inviter == invitee)
            return "selfInvite";
        // Already a member: any stint in the workspace's communities that began before this join.
        if (await db.Memberships.IgnoreQueryFilters().AnyAsync(m => m.WorkspaceId == ws && m.MemberId == invitee && m.JoinedAt < at, ct))
            return "alreadyMember";
        // A loop: the invitee brought the inviter in this campaign.
        if (await db.Set<CampaignInvitation>().IgnoreQueryFilters().AnyAsync(i => i.CampaignId == campaign && i.InviterMemberId == invitee && i.InviteeMemberId == inviter, ct))
            return "loop";
        return null;
    }
}

/// <summary>Participant rows: one per (campaign, member), made on first need.</summary>
public static class Participants
{
    public static async Task<CampaignParticipant> EnsureAsync(AppDbContext db, Guid ws, Guid campaign, Guid member, Guid? community, DateTime at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var tracked = db.ChangeTracker.Entries<CampaignParticipant>().Select(x => x.Entity).FirstOrDefault(p => p.CampaignId == campaign && p.MemberId == member);
        if (tracked is not null)
            return tracked;
        var stored = await db.Set<CampaignParticipant>().IgnoreQueryFilters().SingleOrDefaultAsync(p => p.CampaignId == campaign && p.MemberId == member, ct);
        if (stored is not null)
            return stored;
        var made = new CampaignParticipant { WorkspaceId = ws, CampaignId = campaign, MemberId = member, CommunityId = community, JoinedAt = at };
        db.Add(made);
        return made;
    }
}

/// <summary>Reward grants: one per (campaign, key), the key saying why it was earned.</summary>
public static class CampaignGrants
{
    /// <summary>
    /// Adds an issued grant of reward <paramref name="index"/> (its cost copied) unless one with the key is stored or being added; true when added.
    /// A coupon reward's grant comes with its coupon code.
    /// </summary>
    public static async Task<bool> AddOnceAsync(AppDbContext db, Campaign campaign, int index, Guid member, string key, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        if (db.ChangeTracker.Entries<CampaignRewardGrant>().Any(x => x.Entity.CampaignId == campaign.Id && x.Entity.Key == key)
            || await db.Set<CampaignRewardGrant>().IgnoreQueryFilters().AnyAsync(g => g.CampaignId == campaign.Id && g.Key == key, ct))
            return false;
        var reward = campaign.RewardsValue()[index];
        var grant = new CampaignRewardGrant
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, MemberId = member, RewardIndex = index, Key = key,
            Status = GrantStatus.Issued, CostFen = reward.CostFen, CreatedAt = now, UpdatedAt = now,
        };
        db.Add(grant);
        // A coupon reward is a code the shop can redeem: one per grant (unique grant id), made with the grant.
        if (reward.Kind == RewardKind.Coupon)
        {
            db.Add(new CampaignCoupon
            {
                WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, MemberId = member, Code = CampaignCoupon.NewCode(), FaceValueFen = reward.ValueFen,
                Status = CouponStatus.Unused, IssuedAt = now, ValidUntil = campaign.RulesValue().CouponValidUntil(now), GrantId = grant.Id,
            });
        }
        return true;
    }
}
