using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Profiles;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Campaigns;

/// <summary>A campaign to create or change; on update a field left out stays as it is. Money in fen.</summary>
public sealed record CampaignInput(
    string? Name = null,
    CampaignKind? Kind = null,
    string? Description = null,
    DateTimeOffset? StartsAt = null,
    DateTimeOffset? EndsAt = null,
    CampaignAudience? Audience = null,
    GoalMetric? GoalMetric = null,
    long? GoalTarget = null,
    long? BudgetFen = null,
    bool? RemoveBudget = null,
    IReadOnlyList<CampaignReward>? Rewards = null,
    CampaignRules? Rules = null,
    IReadOnlyList<PageBlock>? Page = null);

public sealed record CampaignCommunityDto(Guid Id, string Name, ChatPlatform Platform);

/// <summary>
/// What a campaign achieved so far: <see cref="GoalValue"/> is the goal metric's count and <see cref="AchievementRate"/>
/// = value / target (seed 001). Orders and revenue come from the shop's confirmations (flash sales, group buys); ROI =
/// (revenue − reward cost) / reward cost, null while either is zero.
/// </summary>
public sealed record CampaignResults(
    int Participants, int Completions, int NewMembers, int RewardsIssued, long CostFen, long GoalValue, double AchievementRate,
    int Orders, long RevenueFen, double? Roi);

/// <summary>One edge of the invitation tree: who brought whom, where and when, and whether it counts (the reason when not).</summary>
public sealed record InvitationDto(
    Guid InviterId, string InviterName, Guid InviteeId, string InviteeName, Guid CommunityId, DateTime JoinedAt, DateTime CountsAt, InvitationStatus Status, string? Reason);

public sealed record CampaignAnnouncementDto(Guid PostId, string Title, DateTime DueAt, PostStatus Status);

public sealed record CampaignDto(
    Guid Id,
    string Name,
    CampaignKind Kind,
    string? Description,
    CampaignStatus Status,
    CampaignPhase Phase,
    DateTime StartsAt,
    DateTime EndsAt,
    CampaignAudience Audience,
    IReadOnlyList<CampaignCommunityDto> Communities,
    GoalMetric GoalMetric,
    long GoalTarget,
    long? BudgetFen,
    IReadOnlyList<CampaignReward> Rewards,
    CampaignRules Rules,
    IReadOnlyList<PageBlock> Page,
    string PageUrl,
    int StockLeft,
    CampaignResults Results,
    IReadOnlyList<CampaignAnnouncementDto> Announcements,
    Guid? CreatedByStaffId,
    DateTime? PublishedAt,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    CampaignLotteryInfo? Lottery = null);

/// <summary>One campaign in a list or on the calendar.</summary>
public sealed record CampaignSummaryDto(Guid Id, string Name, CampaignKind Kind, CampaignPhase Phase, DateTime StartsAt, DateTime EndsAt, int Communities, long GoalTarget);

/// <summary>An announcement to plan: text (blank: built from the campaign), time (blank: the campaign's start), and the communities (blank: all of the campaign's).</summary>
public sealed record AnnounceInput(string? Text = null, DateTimeOffset? DueAt = null, IReadOnlyList<Guid>? CommunityIds = null);

public enum CampaignOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    Conflict,
}

public sealed record CampaignResult(CampaignOutcome Outcome, CampaignDto? Campaign, Validation Validation, string? Conflict = null);

/// <summary>
/// Campaigns as staff plan them (console and API alike). Everyone but KOCs drafts campaigns for the communities they
/// see; an owner or sub-owner publishes and cancels them. A campaign is seen by whoever sees one of its communities and
/// changed only by someone who sees them all. Once published, the mechanic's rules, rewards and start are fixed (people
/// took part under them); the name, description, page, audience additions and end stay editable.
/// </summary>
public sealed partial class CampaignDesk(AppDbContext db, WorkspaceZones zones, TimeProvider time, PostSchedulerSignal signal, IOptions<ProfilesOptions> profiles)
{
    public static bool MayPublish(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public static bool MayEdit(StaffProfile? me) => me?.CanEditCommunities == true;

    internal DateTime Now => time.GetUtcNow().UtcDateTime;

    public string PageUrl(string slug) => $"{profiles.Value.PublicBaseUrl.TrimEnd('/')}/c/{slug}";

    public async Task<IReadOnlyList<CampaignSummaryDto>> ListAsync(CampaignKind? kind, CampaignPhase? phase, Guid? communityId, DateTime? from = null, DateTime? to = null, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return [];
        var q = db.Set<Campaign>().AsNoTracking();
        if (kind is { } k)
            q = q.Where(c => c.Kind == k);
        if (from is { } f)
            q = q.Where(c => c.EndsAt > f);
        if (to is { } t)
            q = q.Where(c => c.StartsAt < t);
        var now = Now;
        var rows = await q.OrderByDescending(c => c.StartsAt).ThenBy(c => c.Id).ToListAsync(ct);
        return [.. rows
            .Select(c => (c, ids: c.CommunityIdsValue()))
            .Where(x => Sees(me, x.ids) && (communityId is null || x.ids.Contains(communityId.Value)))
            .Where(x => phase is null || x.c.PhaseAt(now) == phase)
            .Select(x => new CampaignSummaryDto(x.c.Id, x.c.Name, x.c.Kind, x.c.PhaseAt(now), x.c.StartsAt, x.c.EndsAt,
                me.SeesAllCommunities ? x.ids.Count : x.ids.Count(me.Sees), x.c.GoalTarget))];
    }

    public async Task<CampaignDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null || !Sees(me, campaign.CommunityIdsValue()))
            return null;
        return await DtoAsync(campaign, ct);
    }

    public async Task<CampaignResult> CreateAsync(CampaignInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        if (input.Kind is null)
            v.Add("kind", "Required", "'kind' is required.");
        if (input.StartsAt is null)
            v.Add("startsAt", "Required", "'startsAt' is required.");
        if (input.EndsAt is null)
            v.Add("endsAt", "Required", "'endsAt' is required.");
        if (input.Audience is null)
            v.Add("audience", "Required", "'audience' is required: communityIds, tiers, platforms or tagIds.");
        if (input.GoalTarget is null)
            v.Add("goalTarget", "Required", "'goalTarget' is required.");
        if (input.EndsAt is { } end && end.UtcDateTime <= Now)
            v.Add("endsAt", "Campaigns.EndInThePast", "'endsAt' is in the past: a campaign is planned to end later.");
        var campaign = new Campaign
        {
            WorkspaceId = db.CurrentWorkspaceId, Name = "", Slug = Campaign.NewSlug(), CreatedByStaffId = me!.Id,
            Kind = input.Kind ?? CampaignKind.FlashSale,
        };
        await ApplyAsync(v, me, campaign, input, ct);
        if (!v.IsValid)
            return new(CampaignOutcome.Invalid, null, v);
        db.Add(campaign);
        await db.SaveChangesAsync(ct);
        return new(CampaignOutcome.Saved, await DtoAsync(campaign, ct), v);
    }

    public async Task<CampaignResult> UpdateAsync(Guid id, CampaignInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var (campaign, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (campaign!.Status == CampaignStatus.Cancelled)
            return new(CampaignOutcome.Conflict, null, v, "The campaign was cancelled; make a new one.");
        if (input.Kind is { } kind && kind != campaign.Kind)
            v.Add("kind", "Campaigns.KindFixed", "A campaign's kind cannot change; make a new campaign.");
        if (campaign.Status == CampaignStatus.Published)
        {
            if (!MayPublish(me))
                return new(CampaignOutcome.Forbidden, null, v, "Only an owner or a sub-owner changes a published campaign.");
            if (input.Rules is not null || input.Rewards is not null || input.GoalMetric is not null
                || (input.StartsAt is { } s && s.UtcDateTime != campaign.StartsAt && campaign.StartsAt <= Now))
            {
                return new(CampaignOutcome.Conflict, null, v,
                    "A published campaign's rules, rewards, goal metric and (once started) start are fixed: people take part under them. Cancel it and make a new one.");
            }
        }
        if (input.EndsAt is { } end && end.UtcDateTime <= Now && end.UtcDateTime != campaign.EndsAt)
            v.Add("endsAt", "Campaigns.EndInThePast", "'endsAt' is in the past: a campaign is planned to end later.");
        await ApplyAsync(v, me!, campaign, input, ct);
        if (!v.IsValid)
            return new(CampaignOutcome.Invalid, null, v);
        return await SaveAsync(campaign, v, ct);
    }

    /// <summary>Draft → published (owner or sub-owner): the page opens, the stock is set, actions count within the period.</summary>
    public async Task<CampaignResult> PublishAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var (campaign, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (!MayPublish(me))
            return new(CampaignOutcome.Forbidden, null, v, "Only an owner or a sub-owner publishes campaigns.");
        if (campaign!.Status != CampaignStatus.Draft)
            return new(CampaignOutcome.Conflict, null, v, $"Only a draft can be published; this campaign is {campaign.Status.ToString().ToLowerInvariant()}.");
        if (campaign.EndsAt <= Now)
            v.Add("endsAt", "Campaigns.EndInThePast", "'endsAt' has passed: move the end to a later time first.");
        await CheckSkuAsync(v, campaign, ct);
        if (!v.IsValid)
            return new(CampaignOutcome.Invalid, null, v);
        campaign.Status = CampaignStatus.Published;
        campaign.PublishedAt = Now;
        campaign.PublishedByStaffId = me!.Id;
        campaign.StockLeft = campaign.RulesValue().Stock ?? 0;
        if (campaign.Kind == CampaignKind.Lottery)
            db.Add(Lotteries.Open(campaign, Now)); // the commitment is public from now on; the seed stays secret until the draw
        return await SaveAsync(campaign, v, ct);
    }

    /// <summary>Calls a campaign off: its announcements not sent yet are withdrawn; what members earned stays theirs.</summary>
    public async Task<CampaignResult> CancelAsync(Guid id, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var (campaign, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (campaign!.Status == CampaignStatus.Published && !MayPublish(me))
            return new(CampaignOutcome.Forbidden, null, v, "Only an owner or a sub-owner cancels a published campaign.");
        if (campaign.Status == CampaignStatus.Cancelled)
            return new(CampaignOutcome.Conflict, null, v, "The campaign is already cancelled.");
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var planner = new PostPlanner(db, zones, time, signal);
        var posts = await db.Set<Post>().Where(p => p.CampaignId == id && p.Status != PostStatus.Cancelled).Select(p => p.Id).ToListAsync(ct);
        foreach (var postId in posts)
            await planner.CancelAsync(postId, ct);
        campaign.Status = CampaignStatus.Cancelled;
        campaign.CancelledAt = Now;
        var result = await SaveAsync(campaign, v, ct);
        if (result.Outcome == CampaignOutcome.Saved)
            await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Plans an announcement: a calendar post (content type campaign, <see cref="Post.CampaignId"/>) with the text and the
    /// page's link, to the campaign's communities or some of them; approved at once when the caller may approve posts.
    /// </summary>
    public async Task<CampaignResult> AnnounceAsync(Guid id, AnnounceInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return new(CampaignOutcome.Forbidden, null, v);
        var (campaign, refusal) = await LoadForChangeAsync(me!, id, ct);
        if (refusal is not null)
            return refusal;
        if (campaign!.Status == CampaignStatus.Cancelled)
            return new(CampaignOutcome.Conflict, null, v, "The campaign was cancelled.");
        var ids = campaign.CommunityIdsValue();
        var chosen = input.CommunityIds is { Count: > 0 } some ? some.Distinct().ToList() : [.. ids];
        for (var i = 0; i < chosen.Count; i++)
        {
            if (!ids.Contains(chosen[i]))
                v.Add($"communityIds[{i}]", "Campaigns.NotInAudience", $"'communityIds[{i}]' is not one of the campaign's communities.");
        }
        if (!v.IsValid)
            return new(CampaignOutcome.Invalid, null, v);
        var due = input.DueAt ?? new DateTimeOffset(campaign.StartsAt > Now.AddMinutes(5) ? campaign.StartsAt : Now.AddMinutes(5), TimeSpan.Zero);
        var text = string.IsNullOrWhiteSpace(input.Text) ? await DefaultAnnouncementAsync(campaign, ct) : input.Text.Trim();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var planner = new PostPlanner(db, zones, time, signal);
        var made = await planner.CreateAsync(new PostInput(Truncate(campaign.Name, Post.TitleMaxLength), text, PageUrl(campaign.Slug), ContentType.Campaign, due,
            new PostTargets(chosen)), ct);
        if (made.Outcome != PostOutcome.Saved)
        {
            // The post's refusals name the post's fields; the announcement's are the same ones (text, dueAt, targets → communityIds).
            return new(made.Outcome switch
            {
                PostOutcome.Forbidden => CampaignOutcome.Forbidden,
                PostOutcome.Conflict => CampaignOutcome.Conflict,
                _ => CampaignOutcome.Invalid,
            }, null, made.Validation, made.Conflict);
        }
        var post = await db.Set<Post>().SingleAsync(p => p.Id == made.Post!.Id, ct);
        post.CampaignId = campaign.Id;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(CampaignOutcome.Saved, await DtoAsync(campaign, ct), v);
    }

    public Task<CampaignResults> ResultsAsync(Campaign campaign, CancellationToken ct = default) => ResultsOfAsync(db, campaign, ct);

    /// <summary>What a campaign achieved so far, read from its own rows (the advisor reads it without a desk).</summary>
    internal static async Task<CampaignResults> ResultsOfAsync(AppDbContext context, Campaign campaign, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var participants = context.Set<CampaignParticipant>().AsNoTracking().Where(p => p.CampaignId == campaign.Id);
        var counts = await participants.GroupBy(_ => 1).Select(g => new
        {
            All = g.Count(),
            Completed = g.Count(p => p.CompletedAt != null),
            New = g.Count(p => p.IsNewMember),
        }).SingleOrDefaultAsync(ct);
        var grants = context.Set<CampaignRewardGrant>().AsNoTracking().Where(g => g.CampaignId == campaign.Id && g.Status != GrantStatus.Void);
        var issued = await grants.CountAsync(g => g.Status != GrantStatus.Held, ct);
        var costs = await grants.Where(g => g.Status != GrantStatus.Held).Select(g => g.CostFen).ToListAsync(ct);
        var cost = costs.Sum();
        var (all, completed, fresh) = (counts?.All ?? 0, counts?.Completed ?? 0, counts?.New ?? 0);
        var (orders, revenue) = await OrdersAsync(context, campaign, ct);
        long value = campaign.GoalMetric switch
        {
            GoalMetric.Participants => all,
            GoalMetric.Completions => completed,
            GoalMetric.NewMembers => fresh,
            GoalMetric.RewardsIssued => issued,
            GoalMetric.Orders => orders,
            GoalMetric.Revenue => revenue,
            _ => 0,
        };
        var rate = campaign.GoalTarget > 0 ? Math.Round(value / (double)campaign.GoalTarget, 4) : 0;
        double? roi = orders > 0 && cost > 0 ? Math.Round((revenue - cost) / (double)cost, 4) : null;
        return new(all, completed, fresh, issued, cost, value, rate, orders, revenue, roi);
    }

    /// <summary>
    /// The orders the shop confirmed for the campaign and what they brought in: paid flash-sale claims (units × price) and
    /// paid group-buy seats (less the tier differences refunded; a failed group's refunded seats are no orders).
    /// </summary>
    private static async Task<(int Orders, long RevenueFen)> OrdersAsync(AppDbContext context, Campaign campaign, CancellationToken ct)
    {
        var price = campaign.RulesValue().PriceFen ?? 0;
        switch (campaign.Kind)
        {
            case CampaignKind.FlashSale:
                var units = await context.Set<CampaignClaim>().AsNoTracking().Where(c => c.CampaignId == campaign.Id && c.Status == ClaimStatus.Paid).Select(c => c.Quantity).ToListAsync(ct);
                return (units.Count, units.Sum() * price);
            case CampaignKind.GroupBuy:
                var seats = await context.Set<CampaignGroupSeat>().AsNoTracking().Where(x => x.CampaignId == campaign.Id && x.Status == SeatStatus.Paid).Select(x => x.PriceFen).ToListAsync(ct);
                var back = await context.Set<CampaignRefund>().AsNoTracking().Where(r => r.CampaignId == campaign.Id && r.Reason == RefundReason.TierDifference).Select(r => r.AmountFen).ToListAsync(ct);
                return (seats.Count, seats.Sum() - back.Sum());
            default:
                return (0, 0);
        }
    }

    /// <summary>
    /// The invitation tree of a campaign the caller sees: every recorded invitation (who brought whom, where, its status
    /// and why it does not count), inviters first by how many of theirs counted.
    /// </summary>
    public async Task<IReadOnlyList<InvitationDto>?> InvitationsAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null || !Sees(me, campaign.CommunityIdsValue()))
            return null;
        var rows = await db.Set<CampaignInvitation>().AsNoTracking().Where(i => i.CampaignId == id)
            .Join(db.Members, i => i.InviterMemberId, m => m.Id, (i, inviter) => new { i, InviterName = inviter.DisplayName })
            .Join(db.Members, x => x.i.InviteeMemberId, m => m.Id, (x, invitee) => new { x.i, x.InviterName, InviteeName = invitee.DisplayName })
            .ToListAsync(ct);
        var counted = rows.Where(r => r.i.Status == InvitationStatus.Counted).GroupBy(r => r.i.InviterMemberId).ToDictionary(g => g.Key, g => g.Count());
        return [.. rows
            .Where(r => me.Sees(r.i.CommunityId))
            .OrderByDescending(r => counted.GetValueOrDefault(r.i.InviterMemberId)).ThenBy(r => r.i.InviterMemberId).ThenBy(r => r.i.JoinedAt)
            .Select(r => new InvitationDto(r.i.InviterMemberId, r.InviterName, r.i.InviteeMemberId, r.InviteeName, r.i.CommunityId, r.i.JoinedAt, r.i.CountsAt,
                r.i.Status, r.i.Reason))];
    }

    /// <summary>
    /// A campaign for a staff API: the caller's profile and the campaign when they see it (and it is of
    /// <paramref name="kind"/>, when given); the campaign is null otherwise, the profile null when nobody is signed in.
    /// </summary>
    internal static async Task<(Campaign? Campaign, StaffProfile? Me)> VisibleAsync(AppDbContext db, Guid id, CampaignKind? kind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return (null, null);
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        return campaign is not null && (kind is null || campaign.Kind == kind) && Sees(me, campaign.CommunityIdsValue()) ? (campaign, me) : (null, me);
    }

    internal static bool Sees(StaffProfile me, IReadOnlyList<Guid> communityIds) =>
        me.SeesAllCommunities || communityIds.Any(me.Sees);

    private async Task<string> DefaultAnnouncementAsync(Campaign campaign, CancellationToken ct)
    {
        var english = await WorkspaceSettings.LanguageAsync(db, campaign.WorkspaceId, ct) == "en";
        var zone = await zones.GetAsync(campaign.WorkspaceId, ct);
        var start = TimeZoneInfo.ConvertTimeFromUtc(campaign.StartsAt, zone);
        var end = TimeZoneInfo.ConvertTimeFromUtc(campaign.EndsAt, zone);
        var text = english
            ? $"📣 {campaign.Name}\n{start:MM-dd HH:mm} – {end:MM-dd HH:mm}"
            : $"📣 {campaign.Name}\n活动时间：{start:M月d日 HH:mm} 至 {end:M月d日 HH:mm}";
        if (!string.IsNullOrWhiteSpace(campaign.Description))
            text += "\n" + Truncate(campaign.Description, 500);
        if (campaign.Kind == CampaignKind.Leaderboard)
            text += "\n" + LeaderboardRuleText.Announcement(campaign.RulesValue(), english ? "en" : "zh-CN");
        return text;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    internal async Task<(Campaign?, CampaignResult?)> LoadForChangeAsync(StaffProfile me, Guid id, CancellationToken ct)
    {
        var campaign = await db.Set<Campaign>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null)
            return (null, new(CampaignOutcome.NotFound, null, new Validation()));
        var ids = campaign.CommunityIdsValue();
        if (!Sees(me, ids))
            return (null, new(CampaignOutcome.NotFound, null, new Validation()));
        if (!ids.All(me.Sees))
            return (null, new(CampaignOutcome.Forbidden, null, new Validation(), "The campaign also runs in communities you are not assigned to."));
        return (campaign, null);
    }

    private async Task<CampaignResult> SaveAsync(Campaign campaign, Validation v, CancellationToken ct)
    {
        if (db.ChangeTracker.HasChanges())
        {
            campaign.UpdatedAt = Now;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                return new(CampaignOutcome.Conflict, null, v, "Someone else changed the campaign meanwhile; load it again.");
            }
        }
        return new(CampaignOutcome.Saved, await DtoAsync(campaign, ct), v);
    }

    /// <summary>
    /// An image block names an image of the workspace's library: not another workspace's, and not a photo a member
    /// uploaded (their personal data, never shown on a page; <see cref="PhotoUploads"/>).
    /// </summary>
    private async Task CheckPageImagesAsync(Validation v, IReadOnlyList<PageBlock> page, CancellationToken ct)
    {
        var named = page.Where(b => b.ImageId is not null).Select(b => b.ImageId!.Value).Distinct().ToList();
        if (named.Count == 0)
            return;
        var known = (await PhotoUploads.Library(db).Where(i => named.Contains(i.Id)).Select(i => i.Id).ToListAsync(ct)).ToHashSet();
        for (var i = 0; i < page.Count; i++)
        {
            if (page[i].ImageId is { } id && !known.Contains(id))
                v.Add($"page[{i}].imageId", "UnknownValue", $"'page[{i}].imageId' has an unknown value '{id}'.", id);
        }
    }

    /// <summary>Validates the fields given against the campaign as it would be, and applies them when all are valid.</summary>
    private async Task ApplyAsync(Validation v, StaffProfile me, Campaign c, CampaignInput input, CancellationToken ct)
    {
        if (input.Name is not null || c.Name.Length == 0)
            v.Required("name", input.Name?.Trim(), Campaign.NameMaxLength);
        v.MaxLength("description", input.Description?.Trim(), Campaign.DescriptionMaxLength);
        if (input.Kind is { } kind)
            v.Defined("kind", kind);
        var startsAt = input.StartsAt is { } s ? Seconds(s.UtcDateTime) : c.StartsAt;
        var endsAt = input.EndsAt is { } e ? Seconds(e.UtcDateTime) : c.EndsAt;
        if (input.StartsAt is not null || input.EndsAt is not null)
            CampaignRulesCheck.Period(v, startsAt, endsAt);
        var metric = input.GoalMetric ?? c.GoalMetric;
        var target = input.GoalTarget ?? c.GoalTarget;
        if (input.GoalMetric is not null || input.GoalTarget is not null)
            CampaignRulesCheck.Goal(v, metric, target);
        var rules = input.Rules ?? c.RulesValue();
        var rewards = input.Rewards ?? c.RewardsValue();
        var budget = input.RemoveBudget == true ? null : input.BudgetFen ?? c.BudgetFen;
        var effectiveKind = c.Status == CampaignStatus.Draft && input.Kind is { } k2 ? k2 : c.Kind;
        CampaignRulesCheck.Rules(v, effectiveKind, rules);
        CampaignRulesCheck.Rewards(v, effectiveKind, rewards, budget);
        if (effectiveKind == CampaignKind.PointsRedemption)
            CampaignPoints.CheckCardReward(v, rules, rewards);
        var page = input.Page ?? c.PageValue();
        if (input.Page is not null)
        {
            CampaignRulesCheck.Page(v, page);
            await CheckPageImagesAsync(v, page, ct);
        }

        List<Community>? communities = null;
        if (input.Audience is { } audience)
        {
            var targets = audience.AsTargets();
            if (targets.IsEmpty)
                v.Add("audience", "Required", "'audience' needs communityIds, tiers, platforms or tagIds.");
            else
                communities = await new PostPlanner(db, zones, time, signal).ResolveAsync(v, me, targets, ct, "audience");
            foreach (var layer in audience.Layers ?? [])
                v.Defined("audience.layers", layer);
            if (c.Status == CampaignStatus.Published && communities is not null)
            {
                var before = c.CommunityIdsValue();
                if (before.Except(communities.Select(x => x.Id)).Any())
                    v.Add("audience", "Campaigns.AudienceShrinks", "A published campaign's audience can grow but not lose communities: people there may already take part.");
            }
        }
        if (!v.IsValid)
            return;
        var probe = new Campaign { Name = "", Slug = c.Slug, Id = c.Id, Kind = effectiveKind, StartsAt = startsAt, EndsAt = endsAt, Rules = CampaignJson.Write(rules), Status = c.Status };
        await CheckSkuAsync(v, probe, ct);
        if (!v.IsValid)
            return;

        c.Name = input.Name?.Trim() ?? c.Name;
        if (input.Description is not null)
            c.Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim();
        c.Kind = effectiveKind;
        c.StartsAt = startsAt;
        c.EndsAt = endsAt;
        c.GoalMetric = metric;
        c.GoalTarget = target;
        c.BudgetFen = budget;
        if (input.Rules is not null)
            c.Rules = CampaignJson.Write(rules);
        if (input.Rewards is not null)
            c.Rewards = CampaignJson.Write(rewards.Select(r => r with { Name = r.Name.Trim() }).ToList());
        if (input.Page is not null)
            c.Page = CampaignJson.Write(page);
        if (input.Audience is not null && communities is not null)
        {
            c.Audience = CampaignJson.Write(input.Audience);
            c.CommunityIds = CampaignJson.Write(communities.Select(x => x.Id).Order().ToList());
        }
    }

    /// <summary>Two campaigns selling one SKU may not overlap in time: their stocks would both be sold (campaigns.md, oversell).</summary>
    private async Task CheckSkuAsync(Validation v, Campaign c, CancellationToken ct)
    {
        var sku = c.RulesValue().Sku?.Trim();
        if (c.Kind != CampaignKind.FlashSale || string.IsNullOrEmpty(sku))
            return;
        var overlapping = await db.Set<Campaign>().AsNoTracking()
            .Where(o => o.Id != c.Id && o.Kind == CampaignKind.FlashSale && o.Status != CampaignStatus.Cancelled && o.StartsAt < c.EndsAt && c.StartsAt < o.EndsAt)
            .ToListAsync(ct);
        if (overlapping.FirstOrDefault(o => string.Equals(o.RulesValue().Sku?.Trim(), sku, StringComparison.OrdinalIgnoreCase)) is { } other)
            v.Add("rules.sku", "Campaigns.SkuOverlap", $"'{other.Name}' sells SKU '{sku}' in an overlapping period: one stock cannot be sold twice.", other.Name, sku);
    }

    private static DateTime Seconds(DateTime utc) => new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private async Task<CampaignDto> DtoAsync(Campaign c, CancellationToken ct)
    {
        var ids = c.CommunityIdsValue();
        var communities = await db.Communities.AsNoTracking().Where(x => ids.Contains(x.Id))
            .OrderBy(x => x.Name).Select(x => new CampaignCommunityDto(x.Id, x.Name, x.Platform)).ToListAsync(ct);
        var announcements = await db.Set<Post>().AsNoTracking().Where(p => p.CampaignId == c.Id)
            .OrderBy(p => p.DueAt).Select(p => new CampaignAnnouncementDto(p.Id, p.Title, p.DueAt, p.Status)).ToListAsync(ct);
        return new CampaignDto(c.Id, c.Name, c.Kind, c.Description, c.Status, c.PhaseAt(Now), c.StartsAt, c.EndsAt, c.AudienceValue(), communities,
            c.GoalMetric, c.GoalTarget, c.BudgetFen, c.RewardsValue(), c.RulesValue(), c.PageValue(), PageUrl(c.Slug), c.StockLeft,
            await ResultsAsync(c, ct), announcements, c.CreatedByStaffId, c.PublishedAt, c.CreatedAt, c.UpdatedAt,
            await LotteryDesk.InfoAsync(db, c, slug => PageUrl(slug) + "/draw", ct));
    }
}
