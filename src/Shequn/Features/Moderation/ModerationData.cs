using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Moderation;

/// <summary>A workspace's word list; its terms are rows so that single terms can be added and removed.</summary>
public sealed class ModerationWordList : IWorkspaceOwned, IAudited
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

/// <summary>
/// A workspace's moderation settings (domains, its own patterns, thresholds) and the stamps that tell every
/// node when to reload: <see cref="ListsStamp"/> takes a new random value with any change to lists or settings,
/// <see cref="ModelStamp"/> when a new model is stored. Random rather than counted, so that two nodes changing
/// at once still leave a value that neither of them cached. One row per workspace, made on first change.
/// </summary>
public sealed class ModerationPolicy : IWorkspaceOwned, IAudited
{
    public const int DomainsMaxLength = 20_000;
    public const int PatternsMaxLength = 20_000;
    public const int BuiltInRulesMaxLength = 4_000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }

    /// <summary>One domain per line.</summary>
    public string AllowedDomains { get; set; } = "";

    /// <summary>One domain per line.</summary>
    public string DeniedDomains { get; set; } = "";

    /// <summary>The workspace's own regular expressions as JSON (<see cref="CustomPatternSpec"/>[]).</summary>
    public string CustomPatterns { get; set; } = "[]";

    /// <summary>The built-in rules the workspace switched off or reweighted, as JSON (see <see cref="Moderation.BuiltInRules"/>).</summary>
    public string BuiltInRules { get; set; } = "[]";

    public double ReviewThreshold { get; set; } = ModerationThresholds.Default.Review;
    public double ActThreshold { get; set; } = ModerationThresholds.Default.Act;

    public long ListsStamp { get; set; }
    public long ModelStamp { get; set; }

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A change stamp that tells nodes to reload the lists and model; it guards nothing.")]
    public static long NewStamp() => Random.Shared.NextInt64(1, long.MaxValue);
}

/// <summary>A workspace's own regular expression as stored and sent over the API.</summary>
public sealed record CustomPatternSpec(string Name, string Pattern, double Weight);

/// <summary>The latest trained model of a workspace, so that a restart or another node need not retrain.</summary>
public sealed class StoredSpamModel : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }

    /// <summary><see cref="SpamModel.WriteTo"/> output, Brotli-compressed.</summary>
    public required byte[] Weights { get; set; }

    public int TrainingExamples { get; set; }
    public int SpamExamples { get; set; }
    public int HeldOut { get; set; }
    public double? Accuracy { get; set; }
    public double? Precision { get; set; }
    public double? Recall { get; set; }
    public DateTime TrainedAt { get; set; }
}

internal sealed class ModerationPolicyConfiguration : IEntityTypeConfiguration<ModerationPolicy>
{
    public void Configure(EntityTypeBuilder<ModerationPolicy> b)
    {
        b.Property(e => e.AllowedDomains).HasMaxLength(ModerationPolicy.DomainsMaxLength);
        b.Property(e => e.DeniedDomains).HasMaxLength(ModerationPolicy.DomainsMaxLength);
        b.Property(e => e.CustomPatterns).HasMaxLength(ModerationPolicy.PatternsMaxLength);
        b.Property(e => e.BuiltInRules).HasMaxLength(ModerationPolicy.BuiltInRulesMaxLength).HasDefaultValue("[]");
        b.HasIndex(e => e.WorkspaceId).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class StoredSpamModelConfiguration : IEntityTypeConfiguration<StoredSpamModel>
{
    public void Configure(EntityTypeBuilder<StoredSpamModel> b)
    {
        b.HasKey(e => e.WorkspaceId);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
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
