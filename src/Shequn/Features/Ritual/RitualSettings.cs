using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Ritual;

/// <summary>
/// A community's joining ritual (入群仪式, seed 001 §4): which steps run and their texts. At most one per community;
/// a community without a row follows the defaults (<see cref="Defaults"/>: every step on except quiet hours). A text
/// left null is the built-in text in the workspace's language (Ritual.Default.* in the localization tables).
/// Not filtered by workspace in the model: it is always read through its community (visible to the reader, or the
/// processor's event), by <see cref="CommunityId"/>.
/// </summary>
public sealed class RitualSettings : IWorkspaceOwned, IAudited
{
    public const int DefaultBurstSeconds = 60;
    public const int MaxBurstSeconds = 3600;
    public const int DefaultReminderMinutes = 10;
    public const int MaxReminderMinutes = 7 * 24 * 60;
    public const int DefaultQuietStart = 22 * 60;
    public const int DefaultQuietEnd = 8 * 60;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }

    /// <summary>The whole ritual for this community.</summary>
    public bool Enabled { get; set; } = true;

    public bool WelcomeEnabled { get; set; } = true;
    public string? WelcomeText { get; set; }
    /// <summary>Joins within this many seconds of the first share one welcome.</summary>
    public int BurstSeconds { get; set; } = DefaultBurstSeconds;

    /// <summary>Applies only where the community's rule set has a nickname format.</summary>
    public bool NicknameCheckEnabled { get; set; } = true;
    public int NicknameReminderMinutes { get; set; } = DefaultReminderMinutes;
    public string? NicknameReminderText { get; set; }
    public string? NicknameThanksText { get; set; }

    public bool SelfIntroEnabled { get; set; } = true;
    public string? SelfIntroText { get; set; }

    /// <summary>A staff task to introduce and praise the newcomer (对新人的介绍和推崇).</summary>
    public bool IntroduceTaskEnabled { get; set; } = true;
    public string? IntroduceTaskText { get; set; }

    /// <summary>Messages due inside the quiet hours are held until they end (times of day in the workspace's zone).</summary>
    public bool QuietHoursEnabled { get; set; }
    /// <summary>Minutes after local midnight.</summary>
    public int QuietStartMinute { get; set; } = DefaultQuietStart;
    public int QuietEndMinute { get; set; } = DefaultQuietEnd;

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>What a community without saved settings follows.</summary>
    public static RitualSettings Defaults(Guid workspaceId, Guid communityId) => new() { WorkspaceId = workspaceId, CommunityId = communityId };
}

/// <summary>
/// One newcomer greeted by the ritual: which welcome names them (a burst shares one) and their nickname reminder,
/// so a later batch, another node or a restart finds them in the database. Written by <see cref="RitualReaction"/>.
/// </summary>
public sealed class RitualNewcomer : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    /// <summary>The join in the log; unique.</summary>
    public long EventSeq { get; set; }
    public ChatPlatform Platform { get; set; }
    public required string UserId { get; set; }
    public string? Nickname { get; set; }
    public DateTime JoinedAt { get; set; }
    /// <summary>The welcome (an <see cref="Outbox.OutboundAction"/>) that names this newcomer, if any.</summary>
    public Guid? WelcomeActionId { get; set; }
    /// <summary>The nickname reminder queued for this newcomer, if the nickname did not follow the format.</summary>
    public Guid? ReminderActionId { get; set; }
    /// <summary>When the nickname was changed to follow the format (the reminder is then cancelled or thanked for).</summary>
    public DateTime? NicknameFixedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class RitualSettingsConfiguration : IEntityTypeConfiguration<RitualSettings>
{
    public void Configure(EntityTypeBuilder<RitualSettings> b)
    {
        b.ToTable("RitualSettings");
        b.HasKey(e => e.Id);
        foreach (var text in new[] { nameof(RitualSettings.WelcomeText), nameof(RitualSettings.NicknameReminderText), nameof(RitualSettings.NicknameThanksText),
            nameof(RitualSettings.SelfIntroText), nameof(RitualSettings.IntroduceTaskText) })
            b.Property(text).HasMaxLength(Scripts.ScriptText.MaxLength);
        b.HasIndex(e => e.CommunityId).IsUnique();
        b.HasIndex(e => e.WorkspaceId);
        b.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RitualNewcomerConfiguration : IEntityTypeConfiguration<RitualNewcomer>
{
    public void Configure(EntityTypeBuilder<RitualNewcomer> b)
    {
        b.ToTable("RitualNewcomers");
        b.HasKey(e => e.Id);
        b.Property(e => e.UserId).HasMaxLength(128);
        b.Property(e => e.Nickname).HasMaxLength(100);
        b.HasIndex(e => e.EventSeq).IsUnique();
        b.HasIndex(e => new { e.CommunityId, e.UserId, e.JoinedAt });
        // A welcome's newcomers in order, and how many (the count from the index alone).
        b.HasIndex(e => new { e.WelcomeActionId, e.WorkspaceId, e.EventSeq });
        // The community's latest greeted newcomer names the welcome a new join may still join.
        b.HasIndex(e => new { e.CommunityId, e.EventSeq });
        b.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
