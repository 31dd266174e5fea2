using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Advisor;

/// <summary>What the advisor checks (issue 15, product.md §3.8); the order is the page's order within a group.</summary>
public enum AdviceRule
{
    /// <summary>A community over 350 members (seed 000 E: 150–200 best, never over 350).</summary>
    Oversized = 0,
    /// <summary>A sub-owner running more than 4 communities (seed 004: 2–4).</summary>
    SubOwnerOverloaded = 1,
    /// <summary>No member spoke for 30 days (seed 000 A, 断舍离).</summary>
    Silent = 2,
    /// <summary>Days without a staff message or a post.</summary>
    NoContent = 3,
    /// <summary>Commercial posts on every one of the last 7 days (seed 000 E).</summary>
    CommercialEveryDay = 4,
    /// <summary>Member questions still waiting for an answer.</summary>
    Unanswered = 5,
    /// <summary>VIP candidates not invited yet.</summary>
    VipCandidates = 6,
    /// <summary>Members whose group nickname breaks the rule set's format.</summary>
    Nicknames = 7,
    /// <summary>A staff member's share of answers within the target fell week on week.</summary>
    ResponseRateDropped = 8,
    /// <summary>A campaign past half its period and under half its goal.</summary>
    CampaignBehind = 9,
    /// <summary>A channel whose cost per retained member is far above the others'.</summary>
    ChannelCostly = 10,
    /// <summary>This month's spending heading past the cap.</summary>
    BudgetOverrun = 11,
}

public enum AdviceSeverity
{
    Info = 0,
    Warning = 1,
    Critical = 2,
}

/// <summary>What an advice is about; its <see cref="Advice.SubjectId"/> is that thing's id (the workspace's for workspace-wide advice).</summary>
public enum AdviceSubject
{
    Community = 0,
    Staff = 1,
    Campaign = 2,
    Channel = 3,
    Workspace = 4,
}

/// <summary>What the page offers to do about an advice: one click (freeze, stop routing) or a page to go to.</summary>
public enum AdviceAction
{
    Freeze = 0,
    OpenCommunity = 1,
    OpenLiveCodes = 2,
    OpenStaff = 3,
    OpenCalendar = 4,
    OpenResponses = 5,
    OpenVip = 6,
    OpenRuleSets = 7,
    OpenCampaign = 8,
    OpenChannels = 9,
    OpenBudget = 10,
    /// <summary>Take the community off the live codes that route to it (those with another route).</summary>
    StopRouting = 11,
}

/// <summary>One of a silent community's most active members over its history (from the stored per-member activity).</summary>
public sealed record CoreMember(Guid MemberId, string DisplayName, int Messages, DateTime LastSpokeAt);

/// <summary>A figure behind an advice: a name the page translates (<c>Advisor.Number.{Name}</c>) and its value.</summary>
public sealed record AdviceNumber(string Name, long Value);

/// <summary>
/// One thing to do: the rule that found it, what it is about, why (a <see cref="Reason"/> the console translates, its
/// English for the API), the numbers behind it, and the actions offered. <see cref="Fingerprint"/> states the facts that
/// matter, bucketed so that noise does not change it: a dismissal holds while it is unchanged.
/// </summary>
public sealed record Advice(
    AdviceRule Rule,
    AdviceSeverity Severity,
    AdviceSubject SubjectKind,
    string SubjectId,
    string SubjectName,
    Reason Why,
    IReadOnlyList<AdviceNumber> Numbers,
    string Fingerprint,
    IReadOnlyList<AdviceAction> Actions,
    string? Link,
    IReadOnlyList<CoreMember>? CoreMembers = null,
    bool Dismissed = false)
{
    /// <summary>The reason in English, for API readers.</summary>
    public string Explanation => Why.English;
}

/// <summary>
/// Staff dismissed an advice: it stays hidden while the advisor finds the same <see cref="Fingerprint"/> for the same rule
/// and subject, and shows again when the facts change. One row per rule and subject (a later dismissal replaces it).
/// </summary>
public sealed class AdviceDismissal : IWorkspaceOwned, IAudited
{
    public const int SubjectIdMaxLength = 128;
    public const int FingerprintMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public AdviceRule Rule { get; set; }
    public required string SubjectId { get; set; }
    public required string Fingerprint { get; set; }
    public Guid? DismissedById { get; set; }
    public DateTime DismissedAt { get; set; }
}

internal sealed class AdviceDismissalConfiguration : IEntityTypeConfiguration<AdviceDismissal>
{
    public void Configure(EntityTypeBuilder<AdviceDismissal> b)
    {
        b.ToTable("AdviceDismissals");
        b.HasKey(d => d.Id);
        b.Property(d => d.SubjectId).HasMaxLength(AdviceDismissal.SubjectIdMaxLength);
        b.Property(d => d.Fingerprint).HasMaxLength(AdviceDismissal.FingerprintMaxLength);
        b.HasIndex(d => new { d.WorkspaceId, d.Rule, d.SubjectId }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(d => d.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}
