using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Moderation;

/// <summary>A workspace's word list; its terms are rows so that single terms can be added and removed.</summary>
public sealed class ModerationWordList : IWorkspaceOwned
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public LexiconCategory Category { get; set; }
    public double Weight { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public List<ModerationTerm> Terms { get; set; } = [];
}

public sealed class ModerationTerm
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WordListId { get; set; }
    public required string Text { get; set; }

    public ModerationWordList? WordList { get; set; }
}

/// <summary>A message a workspace labelled as spam or not, for training its model.</summary>
public sealed class LabelledMessage : IWorkspaceOwned
{
    public const int TextMaxLength = 4000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public bool IsSpam { get; set; }
    public required string Text { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class ModerationWordListConfiguration : IEntityTypeConfiguration<ModerationWordList>
{
    public void Configure(EntityTypeBuilder<ModerationWordList> b)
    {
        b.Property(e => e.Name).HasMaxLength(ModerationWordList.NameMaxLength);
        b.Property(e => e.Category).HasConversion<string>().HasMaxLength(32);
        b.HasIndex(e => new { e.WorkspaceId, e.Name }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ModerationTermConfiguration : IEntityTypeConfiguration<ModerationTerm>
{
    public void Configure(EntityTypeBuilder<ModerationTerm> b)
    {
        b.Property(e => e.Text).HasMaxLength(WordListImport.MaxTermLength);
        b.HasOne(e => e.WordList).WithMany(l => l.Terms).HasForeignKey(e => e.WordListId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => new { e.WordListId, e.Text }).IsUnique();
    }
}

internal sealed class LabelledMessageConfiguration : IEntityTypeConfiguration<LabelledMessage>
{
    public void Configure(EntityTypeBuilder<LabelledMessage> b)
    {
        b.Property(e => e.Text).HasMaxLength(LabelledMessage.TextMaxLength);
        b.HasIndex(e => e.WorkspaceId);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
