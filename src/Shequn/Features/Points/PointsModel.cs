using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Points;

/// <summary>
/// What earns points (seed 002). Each kind is one rule per workspace. Later kinds (purchases, campaigns) are new values
/// here and a new reason in <see cref="PointsReason"/>; the ledger does not change.
/// </summary>
public enum PointRuleKind
{
    /// <summary>签到: a member posts a check-in keyword in a community; at most once per member per day (workspace zone).</summary>
    CheckIn = 0,
    /// <summary>A member's message answers another member's question (response tracking).</summary>
    HelpfulAnswer = 1,
    /// <summary>Someone the member invited joined a community (<see cref="Membership.InviterMemberId"/>).</summary>
    Invitation = 2,
}

/// <summary>Why a ledger entry was written.</summary>
public enum PointsReason
{
    CheckIn = 0,
    HelpfulAnswer = 1,
    Invitation = 2,
    /// <summary>Staff added or took away points by hand, with a reason.</summary>
    Manual = 3,
}

/// <summary>Why the processor wrote an entry of zero points instead of awarding (<see cref="MemberPointsEntry.Skipped"/>).</summary>
public enum PointsSkip
{
    /// <summary>The event was processed more than <see cref="PointsOptions.LateAfter"/> after it happened (an import, a catch-up).</summary>
    Late = 0,
}

/// <summary>A workspace's rule for one <see cref="PointRuleKind"/>; a kind without a row follows <see cref="PointRuleDefaults"/>.</summary>
public sealed class PointRule : IWorkspaceOwned, IAudited
{
    public const int KeywordsMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public PointRuleKind Kind { get; set; }
    public int Points { get; set; }
    public bool Enabled { get; set; } = true;

    /// <summary>Check-in only: the words that count as a check-in, comma separated (a message containing one).</summary>
    public string? Keywords { get; set; }

    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>A named level a member reaches at <see cref="Threshold"/> points, with its rights in words.</summary>
public sealed class PointLevel : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 50;
    public const int RightsMaxLength = 1000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public int Threshold { get; set; }
    public string? Rights { get; set; }
}

/// <summary>
/// One change of a member's points: append-only (never updated or deleted, except that a merge of members moves it
/// with the member and an erasure deletes it). The balance is the sum of <see cref="Delta"/>. Entries the processor
/// writes carry the event that caused them and a <see cref="Key"/> (unique per workspace: <c>event:{seq}:{rule}</c>),
/// so a replayed batch never awards twice.
/// </summary>
public sealed class MemberPointsEntry : IWorkspaceOwned
{
    public const int ReasonTextMaxLength = 200;
    public const int KeyMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid MemberId { get; set; }
    public int Delta { get; set; }
    public PointsReason Reason { get; set; }
    public string? ReasonText { get; set; }

    /// <summary>The event that caused it (null for a manual adjustment).</summary>
    public long? EventSeq { get; set; }

    public string? Key { get; set; }

    /// <summary>The other member involved: the invited member, the member whose question was answered.</summary>
    public Guid? RelatedMemberId { get; set; }

    /// <summary>The staff member who adjusted by hand.</summary>
    public Guid? StaffId { get; set; }

    /// <summary>When it happened (the event's time; the adjustment's).</summary>
    public DateTime OccurredAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>
    /// Set on an entry of zero points the processor wrote instead of an award: the event would have earned points had it
    /// been processed live. It keeps the award's key, so a replay neither awards nor records it again.
    /// </summary>
    public PointsSkip? Skipped { get; set; }
}

internal sealed class PointRuleConfiguration : IEntityTypeConfiguration<PointRule>
{
    public void Configure(EntityTypeBuilder<PointRule> b)
    {
        b.ToTable("PointRules");
        b.HasKey(r => r.Id);
        b.Property(r => r.Keywords).HasMaxLength(PointRule.KeywordsMaxLength);
        b.HasIndex(r => new { r.WorkspaceId, r.Kind }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(r => r.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PointLevelConfiguration : IEntityTypeConfiguration<PointLevel>
{
    public void Configure(EntityTypeBuilder<PointLevel> b)
    {
        b.ToTable("PointLevels");
        b.HasKey(l => l.Id);
        b.Property(l => l.Name).HasMaxLength(PointLevel.NameMaxLength);
        b.Property(l => l.Rights).HasMaxLength(PointLevel.RightsMaxLength);
        b.HasIndex(l => new { l.WorkspaceId, l.Name }).IsUnique();
        b.HasIndex(l => new { l.WorkspaceId, l.Threshold }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(l => l.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class MemberPointsEntryConfiguration : IEntityTypeConfiguration<MemberPointsEntry>
{
    public void Configure(EntityTypeBuilder<MemberPointsEntry> b)
    {
        b.ToTable("MemberPointsEntries");
        b.HasKey(e => e.Id);
        b.Property(e => e.ReasonText).HasMaxLength(MemberPointsEntry.ReasonTextMaxLength);
        b.Property(e => e.Key).HasMaxLength(MemberPointsEntry.KeyMaxLength);
        // The idempotency key: one award per event and rule (null for manual entries, which are never replayed).
        b.HasIndex(e => new { e.WorkspaceId, e.Key }).IsUnique();
        b.HasIndex(e => new { e.MemberId, e.Reason, e.OccurredAt });
        b.HasIndex(e => e.RelatedMemberId);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>The rule a kind follows until staff save their own.</summary>
public static class PointRuleDefaults
{
    public const string CheckInKeywords = "打卡,签到";

    public static PointRule For(Guid workspaceId, PointRuleKind kind) => kind switch
    {
        PointRuleKind.CheckIn => new PointRule { WorkspaceId = workspaceId, Kind = kind, Points = 1, Keywords = CheckInKeywords },
        PointRuleKind.HelpfulAnswer => new PointRule { WorkspaceId = workspaceId, Kind = kind, Points = 5 },
        _ => new PointRule { WorkspaceId = workspaceId, Kind = kind, Points = 10 },
    };

    /// <summary>The workspace's rules, one per kind, with defaults for kinds it has not saved (not tracked).</summary>
    public static async Task<Dictionary<PointRuleKind, PointRule>> ForWorkspaceAsync(AppDbContext db, Guid workspaceId, CancellationToken ct)
    {
        var saved = await db.Set<PointRule>().IgnoreQueryFilters().AsNoTracking().Where(r => r.WorkspaceId == workspaceId).ToListAsync(ct);
        var rules = saved.ToDictionary(r => r.Kind);
        foreach (var kind in Enum.GetValues<PointRuleKind>())
            rules.TryAdd(kind, For(workspaceId, kind));
        return rules;
    }

    public static IReadOnlyList<string> SplitKeywords(string? keywords) =>
        [.. (keywords ?? "").Split([',', '，', '、', ';', '；', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct()];
}
