using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Platform.Api;

namespace Shequn.Features.Vip;

/// <summary>
/// A workspace's VIP eligibility rules (seed 004: VIP groups are for paying customers and for members who often help
/// answer others, after one to three months in a general group). A candidate has been in a general community
/// (comprehensive, regional, category) for at least <see cref="TenureDays"/> and is a paying customer (carries the tag
/// <see cref="PayingTagId"/>; the workspace chooses which tag means "paid", e.g. 已购客户) or answered at least
/// <see cref="AnswersMin"/> questions of other members in the last <see cref="AnswersDays"/> days (the response tracking's
/// questions: replies to them, or first answers it credited to the member).
/// </summary>
public sealed class VipRules : IWorkspaceOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid? PayingTagId { get; set; }
    public int AnswersMin { get; set; } = 3;
    public int AnswersDays { get; set; } = 30;
    public int TenureDays { get; set; } = 30;

    /// <summary>
    /// A VIP community new candidates are invited into on their own when the daily job evaluates (see
    /// <see cref="VipAutoInvites"/>); null (the default): staff invite from <c>/vip</c>.
    /// </summary>
    public Guid? AutoInviteCommunityId { get; set; }

    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public const int MaxDays = 365;
    public const int MaxAnswers = 1000;

    public static VipRules DefaultFor(Guid workspaceId) => new() { WorkspaceId = workspaceId };
}

/// <summary>
/// Staff invited a candidate to a VIP community: one per member (a unique index keeps two staff from inviting at once),
/// with the outbound action that makes the invite (an invite link, or a staff task where the platform cannot).
/// </summary>
public sealed class VipInvitation : IWorkspaceOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid MemberId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid? ActionId { get; set; }
    public DateTime InvitedAt { get; set; } = DateTime.UtcNow;
    public Guid? InvitedById { get; set; }
    /// <summary>When the member joined the VIP community (set by <see cref="VipLayerReaction"/>).</summary>
    public DateTime? JoinedAt { get; set; }
}

internal sealed class VipRulesConfiguration : IEntityTypeConfiguration<VipRules>
{
    public void Configure(EntityTypeBuilder<VipRules> b)
    {
        b.ToTable("VipRules");
        b.HasKey(r => r.Id);
        b.HasIndex(r => r.WorkspaceId).IsUnique();
        b.HasOne<Workspaces.Workspace>().WithMany().HasForeignKey(r => r.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Tags.Tag>().WithMany().HasForeignKey(r => r.PayingTagId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Community>().WithMany().HasForeignKey(r => r.AutoInviteCommunityId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class VipInvitationConfiguration : IEntityTypeConfiguration<VipInvitation>
{
    public void Configure(EntityTypeBuilder<VipInvitation> b)
    {
        b.ToTable("VipInvitations");
        b.HasKey(i => i.Id);
        b.HasIndex(i => new { i.WorkspaceId, i.MemberId }).IsUnique();
        b.HasIndex(i => new { i.CommunityId, i.MemberId });
        b.HasOne<Member>().WithMany().HasForeignKey(i => i.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Community>().WithMany().HasForeignKey(i => i.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// The rules as the API reads and writes them (a save replaces them all): <c>autoInviteCommunityId</c>, a VIP community,
/// turns on inviting new candidates there automatically; left out or null, it is off.
/// </summary>
public sealed record VipRulesDto(Guid? PayingTagId, int AnswersMin, int AnswersDays, int TenureDays, Guid? AutoInviteCommunityId = null);

public static class VipRulesCheck
{
    public static void Validate(Validation v, VipRulesDto input)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(input);
        if (input.AnswersMin is < 1 or > VipRules.MaxAnswers)
            v.Add("answersMin", "OutOfRange", $"'answersMin' must be between 1 and {VipRules.MaxAnswers}.", 1, VipRules.MaxAnswers);
        if (input.AnswersDays is < 1 or > VipRules.MaxDays)
            v.Add("answersDays", "OutOfRange", $"'answersDays' must be between 1 and {VipRules.MaxDays}.", 1, VipRules.MaxDays);
        if (input.TenureDays is < 0 or > VipRules.MaxDays)
            v.Add("tenureDays", "OutOfRange", $"'tenureDays' must be between 0 and {VipRules.MaxDays}.", 0, VipRules.MaxDays);
    }
}
