using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Communities;

/// <summary>
/// A workspace's own label for communities (华东, 新品试用, 母婴): staff filter the list by it and target posts at every
/// community carrying it. Not a member tag (<see cref="Tags.Tag"/>): those describe people.
/// One row per label with a join row per community, so a rename is one row and counts are one query.
/// </summary>
public sealed class CommunityTag : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 30;

    /// <summary>The most tags one community carries; more than this stops being a label and becomes noise.</summary>
    public const int MaxPerCommunity = 20;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }

    /// <summary>
    /// <see cref="Name"/> in upper case (invariant), under a unique index: names are unique per workspace whatever their
    /// case, on both providers (SQLite's <c>lower()</c> and collations know only ASCII).
    /// </summary>
    public required string NormalizedName { get; set; }

    /// <summary>A chip colour, <c>#rrggbb</c>; null: the console's default.</summary>
    public string? Color { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public List<CommunityTagLink> Communities { get; set; } = [];

    public static string Normalize(string name) => name.Trim().ToUpperInvariant();

    /// <summary>
    /// Those of <paramref name="ids"/> that are tags of the workspace (<paramref name="tags"/>); each other one is named
    /// in <paramref name="v"/> as <c>{field}[i]</c>, an unknown value.
    /// </summary>
    public static async Task<List<Guid>> KnownAsync(IQueryable<CommunityTag> tags, Platform.Api.Validation v, string field, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(ids);
        var known = await tags.Where(t => ids.Contains(t.Id)).Select(t => t.Id).ToListAsync(ct);
        for (var i = 0; i < ids.Count; i++)
        {
            if (!known.Contains(ids[i]))
                v.Add($"{field}[{i}]", "UnknownValue", $"'{field}[{i}]' has an unknown value '{ids[i]}'.", ids[i]);
        }
        return known;
    }

    /// <summary>A colour as the API takes it: <c>#</c> and six hex digits.</summary>
    public static bool IsColor(string color) =>
        color.Length == 7 && color[0] == '#' && color.Skip(1).All(char.IsAsciiHexDigit);
}

/// <summary>A community carries a tag.</summary>
public sealed class CommunityTagLink
{
    public Guid CommunityId { get; set; }
    public Guid TagId { get; set; }
    public DateTime TaggedAt { get; set; } = DateTime.UtcNow;

    public Community? Community { get; set; }
    public CommunityTag? Tag { get; set; }
}

internal sealed class CommunityTagConfiguration : IEntityTypeConfiguration<CommunityTag>
{
    public void Configure(EntityTypeBuilder<CommunityTag> b)
    {
        b.ToTable("CommunityTags");
        b.HasKey(t => t.Id);
        b.Property(t => t.Name).HasMaxLength(CommunityTag.NameMaxLength);
        b.Property(t => t.NormalizedName).HasMaxLength(CommunityTag.NameMaxLength);
        b.Property(t => t.Color).HasMaxLength(7);
        b.HasIndex(t => new { t.WorkspaceId, t.NormalizedName }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(t => t.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CommunityTagLinkConfiguration : IEntityTypeConfiguration<CommunityTagLink>
{
    public void Configure(EntityTypeBuilder<CommunityTagLink> b)
    {
        b.ToTable("CommunityTagLinks");
        b.HasKey(l => new { l.CommunityId, l.TagId });
        // "Communities with tag X" (the list's filter, post targets, counts).
        b.HasIndex(l => l.TagId);
        b.HasOne(l => l.Community).WithMany(c => c.Tags).HasForeignKey(l => l.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(l => l.Tag).WithMany(t => t.Communities).HasForeignKey(l => l.TagId).OnDelete(DeleteBehavior.Cascade);
    }
}
