using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;

namespace Shequn.Connectors.Telegram;

/// <summary>Whether Shequn manages a group a bot was added to. Nobody is asked before a bot is added to a group, so the
/// owner (or an admin) decides first.</summary>
public enum TelegramChatApproval
{
    /// <summary>The bot was added; the group waits on the connection page. Its events are logged but not applied.</summary>
    Pending = 0,
    /// <summary>A community manages the group; its events are applied from the approval on.</summary>
    Approved = 1,
    /// <summary>Staff chose not to manage it. Its events are logged but never applied.</summary>
    Ignored = 2,
}

/// <summary>
/// A Telegram group a connected bot is (or was) in, learned from <c>my_chat_member</c> (or from the first update that
/// names the group). Holds the approval state and, once approved, the community. A basic group that becomes a
/// supergroup keeps its row: <see cref="ChatId"/> moves to the new id and <see cref="MigratedFromChatId"/> keeps the old.
/// </summary>
public sealed class TelegramChat : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid BotId { get; set; }
    public long ChatId { get; set; }
    public long? MigratedFromChatId { get; set; }
    public required string Title { get; set; }
    /// <summary><c>group</c>, <c>supergroup</c> (or <c>channel</c>).</summary>
    public required string Type { get; set; }
    /// <summary>The bot's own status there (ChatMember status: member, administrator, left, kicked…).</summary>
    public required string BotStatus { get; set; }
    public TelegramChatApproval Approval { get; set; }
    public Guid? CommunityId { get; set; }
    /// <summary>Who added the bot (Telegram user id and name), when Telegram said.</summary>
    public long? AddedById { get; set; }
    public string? AddedByName { get; set; }
    public DateTime SeenAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public bool BotIsIn => BotStatus is "member" or "administrator" or "creator" or "restricted";
}

/// <summary>An update (or part of one) Shequn has no meaning for: kept as it came, for inspection, and skipped.</summary>
public sealed class TelegramRawUpdate : IWorkspaceOwned
{
    public const int JsonMaxLength = 64_000;

    public long Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public long BotUserId { get; set; }
    public long UpdateId { get; set; }
    public required string Reason { get; set; }
    public required string Json { get; set; }
    public DateTime ReceivedAt { get; set; } = DateTime.UtcNow;
}

internal sealed class TelegramChatConfiguration : IEntityTypeConfiguration<TelegramChat>
{
    public void Configure(EntityTypeBuilder<TelegramChat> b)
    {
        b.ToTable("TelegramChats");
        b.HasKey(x => x.Id);
        b.Property(x => x.Title).HasMaxLength(255);
        b.Property(x => x.Type).HasMaxLength(20);
        b.Property(x => x.BotStatus).HasMaxLength(20);
        b.Property(x => x.AddedByName).HasMaxLength(100);
        b.HasIndex(x => new { x.WorkspaceId, x.ChatId }).IsUnique();
        b.HasIndex(x => x.MigratedFromChatId);
    }
}

internal sealed class TelegramRawUpdateConfiguration : IEntityTypeConfiguration<TelegramRawUpdate>
{
    public void Configure(EntityTypeBuilder<TelegramRawUpdate> b)
    {
        b.ToTable("TelegramRawUpdates");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedOnAdd();
        b.Property(x => x.Reason).HasMaxLength(200);
        b.Property(x => x.Json).HasMaxLength(TelegramRawUpdate.JsonMaxLength);
        b.HasIndex(x => new { x.WorkspaceId, x.ReceivedAt });
        b.HasIndex(x => new { x.BotUserId, x.UpdateId }).IsUnique();
    }
}
