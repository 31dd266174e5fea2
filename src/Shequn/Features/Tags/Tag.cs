using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Tags;

public sealed class Tag : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public List<MemberTag> Members { get; set; } = [];
}

/// <summary>Who gave a member a tag: staff, or an auto-tag rule (<see cref="TagRule"/>).</summary>
public enum TagSource
{
    Manual = 0,
    Auto = 1,
}

/// <summary>
/// Whether staff agree with a tag. Staff's own tags are confirmed; a rule's start suggested until staff confirm or reject
/// them. A rejected row is kept (hidden from every ordinary query by the model's filter) so that no rule gives the tag
/// back and the tag's accuracy can be reported.
/// </summary>
public enum MemberTagState
{
    /// <summary>The default, so that tags made before review existed count as staff's.</summary>
    Confirmed = 0,
    Suggested = 1,
    Rejected = 2,
}

public sealed class MemberTag
{
    public Guid MemberId { get; set; }
    public Guid TagId { get; set; }
    public DateTime AssignedAt { get; set; } = DateTime.UtcNow;

    public TagSource Source { get; set; }

    /// <summary>The rule that gave an auto-tag (null for staff's tags, or when the rule was deleted).</summary>
    public Guid? RuleId { get; set; }

    public MemberTagState State { get; set; }

    /// <summary>When staff confirmed or rejected an auto-tag, and who.</summary>
    public DateTime? ReviewedAt { get; set; }
    public Guid? ReviewedById { get; set; }

    public Member? Member { get; set; }
    public Tag? Tag { get; set; }
}

/// <summary>
/// Staff rejected the tag as one rule proposed it for the member. A rejection is a judgement of that rule's evidence
/// about that member, so it blocks only that rule: another rule proposing the same tag later (on new evidence) may
/// suggest it again, and staff review it again. Kept after the tag row is revived, so the rejected rule stays blocked.
/// </summary>
public sealed class AutoTagRejection
{
    public Guid MemberId { get; set; }
    public Guid TagId { get; set; }
    public Guid RuleId { get; set; }
    public DateTime RejectedAt { get; set; } = DateTime.UtcNow;
    public Guid? RejectedById { get; set; }
}

internal sealed class AutoTagRejectionConfiguration : Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<AutoTagRejection>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<AutoTagRejection> b)
    {
        b.ToTable("AutoTagRejections");
        b.HasKey(e => new { e.MemberId, e.TagId, e.RuleId });
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(Microsoft.EntityFrameworkCore.DeleteBehavior.Cascade);
        b.HasOne<Tag>().WithMany().HasForeignKey(e => e.TagId).OnDelete(Microsoft.EntityFrameworkCore.DeleteBehavior.Cascade);
        b.HasOne<TagRule>().WithMany().HasForeignKey(e => e.RuleId).OnDelete(Microsoft.EntityFrameworkCore.DeleteBehavior.Cascade);
        b.HasIndex(e => e.TagId);
        b.HasIndex(e => e.RuleId);
    }
}

/// <summary>
/// Which rule may (re)suggest a tag to a member: none while the member carries it (suggested or confirmed); when the
/// member's tag was rejected, every rule except those whose suggestion staff rejected (<see cref="AutoTagRejection"/>,
/// and the rule on a rejected row from before rejections were kept per rule).
/// </summary>
public static class AutoTagSuggestions
{
    /// <summary>
    /// Adds or revives suggestions for <paramref name="wanted"/>: (member, tag) → the rules proposing it, in order (the
    /// first rule that may suggest it is named on the row); does not save. Returns how many.
    /// </summary>
    public static async Task<int> SuggestAsync(
        AppDbContext db, IReadOnlyDictionary<(Guid Member, Guid Tag), List<Guid>> wanted, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(wanted);
        if (wanted.Count == 0)
            return 0;
        var memberIds = wanted.Keys.Select(k => k.Member).Distinct().ToList();
        var tagIds = wanted.Keys.Select(k => k.Tag).Distinct().ToList();
        var existing = (await db.MemberTags.IgnoreQueryFilters()
            .Where(mt => tagIds.Contains(mt.TagId) && memberIds.Contains(mt.MemberId)).ToListAsync(ct))
            .ToDictionary(mt => (mt.MemberId, mt.TagId));
        var rejectedPairs = existing.Values.Where(r => r.State == MemberTagState.Rejected).Select(r => r.MemberId).Distinct().ToList();
        var blocked = rejectedPairs.Count == 0 ? [] : (await db.Set<AutoTagRejection>().AsNoTracking()
                .Where(r => tagIds.Contains(r.TagId) && rejectedPairs.Contains(r.MemberId)).Select(r => new { r.MemberId, r.TagId, r.RuleId }).ToListAsync(ct))
            .Select(r => (r.MemberId, r.TagId, r.RuleId)).ToHashSet();
        var count = 0;
        foreach (var ((member, tag), rules) in wanted)
        {
            if (rules.Count == 0)
                continue;
            if (!existing.TryGetValue((member, tag), out var row))
            {
                db.MemberTags.Add(new MemberTag
                {
                    MemberId = member, TagId = tag, AssignedAt = now, Source = TagSource.Auto, RuleId = rules[0], State = MemberTagState.Suggested,
                });
                count++;
            }
            else if (row.State == MemberTagState.Rejected && row.Source == TagSource.Auto
                && rules.FirstOrDefault(r => r != row.RuleId && !blocked.Contains((member, tag, r))) is var rule && rule != Guid.Empty)
            {
                // Another rule's evidence: suggested again for staff to review; the rejected rule stays blocked.
                (row.State, row.RuleId, row.AssignedAt, row.ReviewedAt, row.ReviewedById) = (MemberTagState.Suggested, rule, now, null, null);
                count++;
            }
        }
        return count;
    }
}
