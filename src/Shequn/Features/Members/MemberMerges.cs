using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Points;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Members;

/// <summary>
/// One member merged into another (one person on several platforms or communities): the merged member's profile as it
/// was and the ids of every row that moved, so an unmerge recreates the member with the same id and moves exactly those
/// rows back. Deleted with the member it was merged into (it holds the other's profile: personal data).
/// </summary>
public sealed class MemberMerge : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }

    /// <summary>The member that stayed (A).</summary>
    public Guid IntoMemberId { get; set; }

    /// <summary>The member merged away (B): its id comes back on unmerge.</summary>
    public Guid MergedMemberId { get; set; }

    public required string MergedName { get; set; }

    /// <summary>B's member row as JSON.</summary>
    public required string Profile { get; set; }

    /// <summary>What moved, as JSON (<see cref="MergeMoves"/>).</summary>
    public required string Moves { get; set; }

    public DateTime MergedAt { get; set; } = DateTime.UtcNow;
    public Guid? MergedById { get; set; }
    public DateTime? UnmergedAt { get; set; }
    public Guid? UnmergedById { get; set; }
}

/// <summary>A row keyed by (community, member) or (member, tag): moved when A had none, else folded into A's.</summary>
/// <summary>A tag of B; <see cref="Row"/> is B's whole row as JSON when A had the tag already (B's row was dropped).</summary>
public sealed record MovedTag(Guid TagId, DateTime AssignedAt, bool Moved, string? Row = null);

public sealed record MovedActivity(Guid CommunityId, int Messages, DateTime FirstSpokeAt, DateTime LastSpokeAt, bool Moved,
    DateTime? IntoFirstSpokeAt = null, DateTime? IntoLastSpokeAt = null);

public sealed record MovedSpeaker(Guid CommunityId, DateOnly Day, bool Moved);

/// <summary>
/// B's rejection of a rule's auto-tag: moved to A unless A had rejected the same (tag, rule) itself, when B's row was
/// dropped and comes back on unmerge.
/// </summary>
public sealed record MovedRejection(Guid TagId, Guid RuleId, DateTime RejectedAt, Guid? RejectedById, bool Moved);

/// <summary>Every row of B that pointed at it, by table (see docs: the tables with a member id).</summary>
public sealed record MergeMoves(
    List<Guid> Memberships,
    List<Guid> InvitedMemberships,
    List<Guid> Identities,
    List<MovedTag> Tags,
    List<MovedActivity> Activities,
    List<MovedSpeaker> Speakers,
    List<Guid> Questions,
    List<Guid> AnsweredQuestions,
    List<Guid> Cases,
    List<Guid> PointsEntries,
    List<Guid> RelatedPointsEntries,
    List<Guid> Merges,
    List<Guid>? VipInvitations = null,
    string? VipInvitationRow = null,
    List<Guid>? FieldValues = null,
    List<string>? FieldValueRows = null,
    List<Guid>? ProfileLinks = null,
    List<Guid>? Reveals = null,
    List<MovedRejection>? Rejections = null,
    List<Guid>? FeedbackTickets = null,
    List<Guid>? HostedSessions = null,
    Campaigns.CampaignMoves? Campaigns = null,
    List<Guid>? LandingLeads = null);

public sealed record MergeInput(Guid? IntoMemberId = null, Guid? MemberId = null);

public sealed record MemberMergeDto(Guid Id, Guid IntoMemberId, Guid MergedMemberId, string MergedName, DateTime MergedAt, DateTime? UnmergedAt,
    int Memberships, int Identities, int PointsEntries);

public sealed record MergeCandidate(Guid Id, string DisplayName, string? City, DateTime CreatedAt, int Communities);

/// <summary>Members who may be one person: <c>phone</c> (same phone) or <c>nameCity</c> (same name and city).</summary>
public sealed record MergeSuggestion(string Reason, IReadOnlyList<MergeCandidate> Members);

public sealed record MergeResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

internal sealed class MemberMergeConfiguration : IEntityTypeConfiguration<MemberMerge>
{
    public void Configure(EntityTypeBuilder<MemberMerge> b)
    {
        b.ToTable("MemberMerges");
        b.HasKey(m => m.Id);
        b.Property(m => m.MergedName).HasMaxLength(Member.NameMaxLength);
        b.HasIndex(m => m.IntoMemberId);
        b.HasIndex(m => m.MergedMemberId);
        b.HasOne<Workspace>().WithMany().HasForeignKey(m => m.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(m => m.IntoMemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Merge suggestions, merge and unmerge (owner and sub-owners: a merge touches every community the two were in). The
/// query filter keeps both members in the acting workspace, so a member of another workspace is simply not found. One
/// transaction each way.
/// </summary>
public sealed class MemberMerges(AppDbContext db)
{
    public const int SuggestionsShown = 100;

    public static bool MayMerge(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public async Task<IReadOnlyList<MergeSuggestion>?> SuggestionsAsync(CancellationToken ct = default)
    {
        if (!MayMerge(await db.Current.GetProfileAsync(db, ct)))
            return null;
        // The most recent duplicates first (a member just made or merged in is what staff look at).
        var phones = await db.Members.Where(m => m.Phone != null && m.Phone != "").GroupBy(m => m.Phone)
            .Where(g => g.Count() > 1).OrderByDescending(g => g.Max(m => m.CreatedAt)).Select(g => g.Key!).Take(SuggestionsShown).ToListAsync(ct);
        var names = await db.Members.Where(m => m.City != null && m.City != "").GroupBy(m => new { m.DisplayName, m.City })
            .Where(g => g.Count() > 1).OrderByDescending(g => g.Max(m => m.CreatedAt)).Select(g => g.Key).Take(SuggestionsShown).ToListAsync(ct);
        var result = new List<MergeSuggestion>();
        var byPhone = (await Candidates(db.Members.Where(m => phones.Contains(m.Phone!))).ToListAsync(ct)).ToLookup(c => c.Phone);
        foreach (var phone in phones)
            result.Add(new("phone", [.. byPhone[phone].Select(c => c.Candidate)]));
        var displayNames = names.Select(n => n.DisplayName).Distinct().ToList();
        var cities = names.Select(n => n.City).Distinct().ToList();
        var byName = (await Candidates(db.Members.Where(m => displayNames.Contains(m.DisplayName) && cities.Contains(m.City))).ToListAsync(ct))
            .ToLookup(c => (c.Candidate.DisplayName, c.Candidate.City));
        foreach (var key in names)
            result.Add(new("nameCity", [.. byName[(key.DisplayName, key.City)].Select(c => c.Candidate)]));
        return result;
    }

    private sealed record CandidateRow(MergeCandidate Candidate, string? Phone);

    private static IQueryable<CandidateRow> Candidates(IQueryable<Member> members) =>
        members.OrderBy(m => m.CreatedAt).Select(m => new CandidateRow(new MergeCandidate(m.Id, m.DisplayName, m.City, m.CreatedAt,
            m.Memberships.Select(s => s.CommunityId).Distinct().Count()), m.Phone));

    public async Task<IReadOnlyList<MemberMergeDto>> ListAsync(Guid? memberId, CancellationToken ct = default)
    {
        if (!MayMerge(await db.Current.GetProfileAsync(db, ct)))
            return [];
        var rows = await db.Set<MemberMerge>().AsNoTracking()
            .Where(m => memberId == null || m.IntoMemberId == memberId || m.MergedMemberId == memberId)
            .OrderByDescending(m => m.MergedAt).Take(200).ToListAsync(ct);
        return [.. rows.Select(ToDto)];
    }

    private static MemberMergeDto ToDto(MemberMerge m)
    {
        var moves = JsonSerializer.Deserialize<MergeMoves>(m.Moves)!;
        return new(m.Id, m.IntoMemberId, m.MergedMemberId, m.MergedName, m.MergedAt, m.UnmergedAt, moves.Memberships.Count, moves.Identities.Count, moves.PointsEntries.Count);
    }

    /// <summary>Merges <see cref="MergeInput.MemberId"/> (B) into <see cref="MergeInput.IntoMemberId"/> (A).</summary>
    public async Task<MergeResult<MemberMergeDto>> MergeAsync(MergeInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayMerge(me))
            return new(EditOutcome.Forbidden, null, validation);
        if (input.IntoMemberId is null)
            validation.Add("intoMemberId", "Required", "'intoMemberId' is required: the member that stays.");
        if (input.MemberId is null)
            validation.Add("memberId", "Required", "'memberId' is required: the member merged into the other.");
        else if (input.MemberId == input.IntoMemberId)
            validation.Add("memberId", "MergeIntoSelf", "A member cannot be merged into itself.");
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var a = await db.VisibleMembers(me).AsNoTracking().SingleOrDefaultAsync(m => m.Id == input.IntoMemberId, ct);
        var b = await db.VisibleMembers(me).AsNoTracking().SingleOrDefaultAsync(m => m.Id == input.MemberId, ct);
        if (a is null)
            validation.Add("intoMemberId", "UnknownMember", $"No such member in this workspace: {input.IntoMemberId}.", input.IntoMemberId!);
        if (b is null)
            validation.Add("memberId", "UnknownMember", $"No such member in this workspace: {input.MemberId}.", input.MemberId!);
        if (!validation.IsValid)
            return new(EditOutcome.NotFound, null, validation);
        if (b!.LegalHold)
        {
            validation.Add("memberId", "MergeLegalHold", "The member is under a legal hold: it cannot be merged away.");
            return new(EditOutcome.Invalid, null, validation);
        }

        var (ws, ai, bi) = (a!.WorkspaceId, a.Id, b.Id);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Campaign rows that cannot be combined without losing something sold refuse the merge (docs/campaign-merges.md).
        if (await Campaigns.CampaignMerges.ConflictsAsync(db, ws, ai, bi, ct) is { Count: > 0 } conflicts)
        {
            foreach (var conflict in conflicts)
                validation.Add("memberId", "MergeCampaignConflict", conflict);
            return new(EditOutcome.Invalid, null, validation);
        }
        b.Memberships = [];
        b.Tags = [];
        var profile = JsonSerializer.Serialize(b);
        await ForgetCohortOutcomesAsync(ws, ai, bi, ct);

        var memberships = await MoveAsync(db.Memberships.IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var invited = await MoveAsync(db.Memberships.IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.InviterMemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.InviterMemberId, ai), ct), ct);
        var identities = await MoveAsync(db.Set<MemberIdentity>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);

        // Tags: moved when A has none of that tag; otherwise A keeps its own and B's goes.
        // Every row, whatever a filter hides; a dropped row is kept whole (all its columns) for the unmerge.
        var aTags = (await db.Set<MemberTag>().IgnoreQueryFilters().Where(t => t.MemberId == ai).Select(t => t.TagId).ToListAsync(ct)).ToHashSet();
        var bTags = await db.Set<MemberTag>().IgnoreQueryFilters().AsNoTracking().Where(t => t.MemberId == bi).ToListAsync(ct);
        var tags = bTags.Select(t => aTags.Contains(t.TagId)
            ? new MovedTag(t.TagId, t.AssignedAt, false, JsonSerializer.Serialize(t))
            : new MovedTag(t.TagId, t.AssignedAt, true)).ToList();
        var movedTags = tags.Where(t => t.Moved).Select(t => t.TagId).ToList();
        await db.Set<MemberTag>().IgnoreQueryFilters().Where(t => t.MemberId == bi && movedTags.Contains(t.TagId))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.MemberId, ai), ct);
        await db.Set<MemberTag>().IgnoreQueryFilters().Where(t => t.MemberId == bi).ExecuteDeleteAsync(ct);

        // Auto-tag rejections: one per (member, tag, rule); a rule B's evidence was rejected for stays blocked for the person.
        var aRejected = (await db.Set<AutoTagRejection>().Where(r => r.MemberId == ai).Select(r => new { r.TagId, r.RuleId }).ToListAsync(ct))
            .Select(r => (r.TagId, r.RuleId)).ToHashSet();
        var rejections = (await db.Set<AutoTagRejection>().AsNoTracking().Where(r => r.MemberId == bi).ToListAsync(ct))
            .Select(r => new MovedRejection(r.TagId, r.RuleId, r.RejectedAt, r.RejectedById, !aRejected.Contains((r.TagId, r.RuleId)))).ToList();
        await MoveRejectionsAsync(bi, ai, rejections, ct);
        await db.Set<AutoTagRejection>().Where(r => r.MemberId == bi).ExecuteDeleteAsync(ct);

        // Activity: one row per (community, member); where both spoke, A's row takes B's counts.
        var aActivity = await db.Set<MemberActivity>().IgnoreQueryFilters().Where(x => x.MemberId == ai).ToDictionaryAsync(x => x.CommunityId, ct);
        var bActivity = await db.Set<MemberActivity>().IgnoreQueryFilters().AsNoTracking().Where(x => x.MemberId == bi).ToListAsync(ct);
        var activities = new List<MovedActivity>();
        foreach (var x in bActivity)
        {
            if (aActivity.TryGetValue(x.CommunityId, out var into))
            {
                activities.Add(new(x.CommunityId, x.Messages, x.FirstSpokeAt, x.LastSpokeAt, false, into.FirstSpokeAt, into.LastSpokeAt));
                into.Messages += x.Messages;
                into.FirstSpokeAt = into.FirstSpokeAt < x.FirstSpokeAt ? into.FirstSpokeAt : x.FirstSpokeAt;
                into.LastSpokeAt = into.LastSpokeAt > x.LastSpokeAt ? into.LastSpokeAt : x.LastSpokeAt;
            }
            else
                activities.Add(new(x.CommunityId, x.Messages, x.FirstSpokeAt, x.LastSpokeAt, true));
        }
        var movedActivity = activities.Where(x => x.Moved).Select(x => x.CommunityId).ToList();
        await db.Set<MemberActivity>().IgnoreQueryFilters().Where(x => x.MemberId == bi && movedActivity.Contains(x.CommunityId))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct);
        await db.Set<MemberActivity>().IgnoreQueryFilters().Where(x => x.MemberId == bi).ExecuteDeleteAsync(ct);

        // Daily speakers: (community, day, member); a day both spoke stays one speaker.
        var aDays = (await db.Set<DailySpeaker>().Where(x => x.MemberId == ai).Select(x => new { x.CommunityId, x.Day }).ToListAsync(ct))
            .Select(x => (x.CommunityId, x.Day)).ToHashSet();
        var speakers = (await db.Set<DailySpeaker>().Where(x => x.MemberId == bi).Select(x => new { x.CommunityId, x.Day }).ToListAsync(ct))
            .Select(x => new MovedSpeaker(x.CommunityId, x.Day, !aDays.Contains((x.CommunityId, x.Day)))).ToList();
        foreach (var byCommunity in speakers.Where(x => x.Moved).GroupBy(x => x.CommunityId))
        {
            var days = byCommunity.Select(x => x.Day).ToList();
            await db.Set<DailySpeaker>().Where(x => x.MemberId == bi && x.CommunityId == byCommunity.Key && days.Contains(x.Day))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct);
        }
        await db.Set<DailySpeaker>().Where(x => x.MemberId == bi).ExecuteDeleteAsync(ct);

        var questions = await MoveAsync(db.Set<MemberQuestion>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var answered = await MoveAsync(db.Set<MemberQuestion>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.AnsweredByMemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.AnsweredByMemberId, ai), ct), ct);
        var cases = await MoveAsync(db.Set<ModerationCase>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var points = await MoveAsync(db.Set<MemberPointsEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var related = await MoveAsync(db.Set<MemberPointsEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.RelatedMemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.RelatedMemberId, ai), ct), ct);
        var merges = await MoveAsync(db.Set<MemberMerge>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.IntoMemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.IntoMemberId, ai), ct), ct);

        // A VIP invitation is one per member: B's moves to A unless A has its own; then B's is kept whole for an unmerge.
        string? keptInvitation = null;
        var vip = new List<Guid>();
        if (await db.Set<Vip.VipInvitation>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(x => x.WorkspaceId == ws && x.MemberId == bi, ct) is { } invitation)
        {
            if (await db.Set<Vip.VipInvitation>().IgnoreQueryFilters().AnyAsync(x => x.WorkspaceId == ws && x.MemberId == ai, ct))
                keptInvitation = JsonSerializer.Serialize(invitation);
            else
            {
                await db.Set<Vip.VipInvitation>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.Id == invitation.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct);
                vip.Add(invitation.Id);
            }
        }

        // Profile answers are one per field: B's move to A for the fields A has not answered; the others are kept whole.
        var aKeys = await db.Set<Profiles.MemberFieldValue>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai).Select(x => x.Key).ToListAsync(ct);
        var bValues = await db.Set<Profiles.MemberFieldValue>().IgnoreQueryFilters().AsNoTracking().Where(x => x.WorkspaceId == ws && x.MemberId == bi).ToListAsync(ct);
        var fieldValues = bValues.Where(x => !aKeys.Contains(x.Key)).Select(x => x.Id).ToList();
        var fieldValueRows = bValues.Where(x => aKeys.Contains(x.Key)).Select(x => JsonSerializer.Serialize(x)).ToList();
        await db.Set<Profiles.MemberFieldValue>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && fieldValues.Contains(x.Id)).ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct);
        var links = await MoveAsync(db.Set<Profiles.ProfileLink>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var reveals = await MoveAsync(db.Set<Profiles.PersonalDataReveal>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var tickets = await MoveAsync(db.Set<Feedback.FeedbackTicket>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, ai), ct), ct);
        var hosted = await MoveAsync(db.Set<Topics.TopicSession>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.HostMemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.HostMemberId, ai), ct), ct);

        var campaigns = await Campaigns.CampaignMerges.MergeAsync(db, ws, ai, bi, ct);
        // Landing-page leads tied to B by its phone are the person's: A's (their answers fill A below).
        var leads = await MoveAsync(db.Set<Acquisition.LiveCodeLead>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == bi), x => x.Id,
            q => q.ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, (Guid?)ai), ct), ct);

        await db.SaveChangesAsync(ct); // A's folded activity rows
        await db.Members.IgnoreQueryFilters().Where(m => m.Id == bi).ExecuteDeleteAsync(ct);

        var moves = new MergeMoves(memberships, invited, identities, tags, activities, speakers, questions, answered, cases, points, related, merges, vip, keptInvitation, fieldValues, fieldValueRows, links, reveals, rejections, tickets, hosted, campaigns, leads);
        var merge = new MemberMerge
        {
            WorkspaceId = ws,
            IntoMemberId = ai,
            MergedMemberId = bi,
            MergedName = b.DisplayName,
            Profile = profile,
            Moves = JsonSerializer.Serialize(moves),
            MergedById = me!.Id,
        };
        db.Set<MemberMerge>().Add(merge);
        db.AddAuditNote(nameof(Member), ai, "merged", null, new Dictionary<string, object?>
        {
            ["MergedMemberId"] = bi, ["Memberships"] = memberships.Count, ["Identities"] = identities.Count, ["PointsEntries"] = points.Count,
            ["CampaignRows"] = campaigns.Moved.Values.Sum(x => x.Count), ["CampaignOverLimit"] = campaigns.OverLimit.Count == 0 ? null : JsonSerializer.Serialize(campaigns.OverLimit),
        });
        await db.SaveChangesAsync(ct);
        // B's phone reached A with its leads: their answers fill what A lacks, as saving a phone on A would (same transaction).
        await Acquisition.LandingAnswers.MergedAsync(db, await db.Members.IgnoreQueryFilters().SingleAsync(m => m.Id == ai, ct), leads, ct);
        await tx.CommitAsync(ct);
        return new(EditOutcome.Saved, ToDto(merge), validation);
    }

    private async Task MoveRejectionsAsync(Guid from, Guid to, List<MovedRejection> rejections, CancellationToken ct)
    {
        foreach (var byTag in rejections.Where(r => r.Moved).GroupBy(r => r.TagId))
        {
            var rules = byTag.Select(r => r.RuleId).ToList();
            await db.Set<AutoTagRejection>().Where(r => r.MemberId == from && r.TagId == byTag.Key && rules.Contains(r.RuleId))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.MemberId, to), ct);
        }
    }

    private static async Task<List<Guid>> MoveAsync<T>(IQueryable<T> rows, System.Linq.Expressions.Expression<Func<T, Guid>> id,
        Func<IQueryable<T>, Task<int>> update, CancellationToken ct)
    {
        var ids = await rows.Select(id).ToListAsync(ct);
        if (ids.Count > 0)
            await update(rows);
        return ids;
    }

    /// <summary>Recreates the merged member with its id and profile and moves back the rows that moved (those still on A).</summary>
    public async Task<MergeResult<MemberMergeDto>> UnmergeAsync(Guid mergeId, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayMerge(me))
            return new(EditOutcome.Forbidden, null, validation);
        var merge = await db.Set<MemberMerge>().SingleOrDefaultAsync(m => m.Id == mergeId, ct);
        if (merge is null)
            return new(EditOutcome.NotFound, null, validation);
        if (merge.UnmergedAt is not null || await db.Members.IgnoreQueryFilters().AnyAsync(m => m.Id == merge.MergedMemberId, ct))
        {
            validation.Add("id", "AlreadyUnmerged", "This merge was undone already.");
            return new(EditOutcome.Invalid, null, validation);
        }
        var (ws, ai, bi) = (merge.WorkspaceId, merge.IntoMemberId, merge.MergedMemberId);
        var moves = JsonSerializer.Deserialize<MergeMoves>(merge.Moves)!;
        var b = JsonSerializer.Deserialize<Member>(merge.Profile)!;
        b.Id = bi;
        b.WorkspaceId = ws;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Members.Add(b);
        await db.SaveChangesWithoutAuditAsync(ct);
        await ForgetCohortOutcomesAsync(ws, ai, bi, ct);

        await db.Memberships.IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && moves.Memberships.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        await db.Memberships.IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.InviterMemberId == ai && moves.InvitedMemberships.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.InviterMemberId, bi), ct);
        await db.Set<MemberIdentity>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && moves.Identities.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);

        var movedTags = moves.Tags.Where(t => t.Moved).Select(t => t.TagId).ToList();
        await db.Set<MemberTag>().IgnoreQueryFilters().Where(t => t.MemberId == ai && movedTags.Contains(t.TagId))
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.MemberId, bi), ct);
        var liveTags = (await db.Set<Tag>().Select(t => t.Id).ToListAsync(ct)).ToHashSet();
        foreach (var t in moves.Tags.Where(t => !t.Moved && liveTags.Contains(t.TagId)))
        {
            var row = (t.Row is null ? null : JsonSerializer.Deserialize<MemberTag>(t.Row)) ?? new MemberTag { TagId = t.TagId, AssignedAt = t.AssignedAt };
            (row.MemberId, row.Member, row.Tag) = (bi, null, null);
            db.Set<MemberTag>().Add(row);
        }

        // Rejections: the moved ones still on A go back; B's copies of A's own come back for the tags and rules that are left.
        var rejections = moves.Rejections ?? [];
        await MoveRejectionsAsync(ai, bi, rejections, ct);
        var liveRules = (await db.Set<TagRule>().IgnoreQueryFilters().Where(r => r.WorkspaceId == ws).Select(r => r.Id).ToListAsync(ct)).ToHashSet();
        foreach (var r in rejections.Where(r => !r.Moved && liveTags.Contains(r.TagId) && liveRules.Contains(r.RuleId)))
            db.Set<AutoTagRejection>().Add(new AutoTagRejection { MemberId = bi, TagId = r.TagId, RuleId = r.RuleId, RejectedAt = r.RejectedAt, RejectedById = r.RejectedById });

        var movedActivity = moves.Activities.Where(x => x.Moved).Select(x => x.CommunityId).ToList();
        await db.Set<MemberActivity>().IgnoreQueryFilters().Where(x => x.MemberId == ai && movedActivity.Contains(x.CommunityId))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        var folded = moves.Activities.Where(x => !x.Moved).ToList();
        var foldedIds = folded.Select(x => x.CommunityId).ToList();
        var intoRows = await db.Set<MemberActivity>().IgnoreQueryFilters().Where(x => x.MemberId == ai && foldedIds.Contains(x.CommunityId))
            .ToDictionaryAsync(x => x.CommunityId, ct);
        var communities = (await db.Communities.IgnoreQueryFilters().Where(c => c.WorkspaceId == ws).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        foreach (var x in folded.Where(x => communities.Contains(x.CommunityId)))
        {
            db.Set<MemberActivity>().Add(new MemberActivity
            {
                WorkspaceId = ws, CommunityId = x.CommunityId, MemberId = bi, Messages = x.Messages, FirstSpokeAt = x.FirstSpokeAt, LastSpokeAt = x.LastSpokeAt,
            });
            if (intoRows.TryGetValue(x.CommunityId, out var into))
            {
                into.Messages = Math.Max(0, into.Messages - x.Messages);
                if (x.IntoFirstSpokeAt is { } first)
                    into.FirstSpokeAt = first;
                if (x.IntoLastSpokeAt is { } last && into.LastSpokeAt <= (last > x.LastSpokeAt ? last : x.LastSpokeAt))
                    into.LastSpokeAt = last;
            }
        }

        foreach (var byCommunity in moves.Speakers.Where(x => x.Moved).GroupBy(x => x.CommunityId))
        {
            var days = byCommunity.Select(x => x.Day).ToList();
            await db.Set<DailySpeaker>().Where(x => x.MemberId == ai && x.CommunityId == byCommunity.Key && days.Contains(x.Day))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        }
        foreach (var x in moves.Speakers.Where(x => !x.Moved && communities.Contains(x.CommunityId)))
            db.Set<DailySpeaker>().Add(new DailySpeaker { CommunityId = x.CommunityId, Day = x.Day, MemberId = bi });

        await db.Set<MemberQuestion>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && moves.Questions.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        await db.Set<MemberQuestion>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.AnsweredByMemberId == ai && moves.AnsweredQuestions.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.AnsweredByMemberId, bi), ct);
        await db.Set<ModerationCase>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && moves.Cases.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        await db.Set<MemberPointsEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && moves.PointsEntries.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        await db.Set<MemberPointsEntry>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.RelatedMemberId == ai && moves.RelatedPointsEntries.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RelatedMemberId, bi), ct);
        await db.Set<MemberMerge>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.IntoMemberId == ai && moves.Merges.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.IntoMemberId, bi), ct);
        var values = moves.FieldValues ?? [];
        await db.Set<Profiles.MemberFieldValue>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && values.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        foreach (var value in (moves.FieldValueRows ?? []).Select(r => JsonSerializer.Deserialize<Profiles.MemberFieldValue>(r)!))
        {
            value.MemberId = bi;
            db.Set<Profiles.MemberFieldValue>().Add(value);
        }
        var links = moves.ProfileLinks ?? [];
        await db.Set<Profiles.ProfileLink>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && links.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        var reveals = moves.Reveals ?? [];
        await db.Set<Profiles.PersonalDataReveal>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && reveals.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        var tickets = moves.FeedbackTickets ?? [];
        await db.Set<Feedback.FeedbackTicket>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && tickets.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        var hosted = moves.HostedSessions ?? [];
        await db.Set<Topics.TopicSession>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.HostMemberId == ai && hosted.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.HostMemberId, bi), ct);
        var vip = moves.VipInvitations ?? [];
        await db.Set<Vip.VipInvitation>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && vip.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, bi), ct);
        if (moves.VipInvitationRow is { } invitationRow && JsonSerializer.Deserialize<Vip.VipInvitation>(invitationRow) is { } kept
            && await db.Communities.IgnoreQueryFilters().AnyAsync(c => c.Id == kept.CommunityId, ct))
        {
            kept.MemberId = bi;
            db.Set<Vip.VipInvitation>().Add(kept);
        }

        if (moves.Campaigns is { } campaigns)
            await Campaigns.CampaignMerges.UnmergeAsync(db, ws, ai, bi, campaigns, ct);
        // The leads go back; what their answers filled on A stays (A lacked it, and the answers were the person's then).
        var leads = moves.LandingLeads ?? [];
        await db.Set<Acquisition.LiveCodeLead>().IgnoreQueryFilters().Where(x => x.WorkspaceId == ws && x.MemberId == ai && leads.Contains(x.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.MemberId, (Guid?)bi), ct);

        merge.UnmergedAt = DateTime.UtcNow;
        merge.UnmergedById = me!.Id;
        db.AddAuditNote(nameof(Member), ai, "unmerged", null, new Dictionary<string, object?> { ["MergedMemberId"] = bi });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new(EditOutcome.Saved, ToDto(merge), validation);
    }

    /// <summary>Both members' stays and speaking days change: their joins' stored cohort outcomes go (the report computes
    /// them until the settle job stores them again).</summary>
    private Task<int> ForgetCohortOutcomesAsync(Guid ws, Guid a, Guid b, CancellationToken ct) =>
        db.Set<Analytics.CohortJoin>().IgnoreQueryFilters().Where(r => r.WorkspaceId == ws && (r.MemberId == a || r.MemberId == b)).ExecuteDeleteAsync(ct);
}
