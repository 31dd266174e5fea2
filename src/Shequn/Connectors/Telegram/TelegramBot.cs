using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Connectors.Telegram;

/// <summary>How a bot hears about updates: Telegram pushes them to our webhook, or we poll <c>getUpdates</c>.</summary>
public enum TelegramUpdateMode
{
    Webhook = 0,
    Polling = 1,
}

/// <summary>What the last call to Telegram with this bot's token said about the connection.</summary>
public enum TelegramBotStatus
{
    Connected = 0,
    /// <summary>Telegram refused the token (401/404): revoked in @BotFather or mistyped.</summary>
    Unauthorized = 1,
    /// <summary>Another failure (network, webhook refused); the detail says which.</summary>
    Error = 2,
}

/// <summary>
/// A Telegram bot connected to a workspace. Its token is kept only encrypted (<see cref="TelegramSecrets"/>), so a
/// database dump alone reveals no token; the key ring that decrypts it is itself encrypted (ADR-007).
/// </summary>
public sealed class TelegramBot : IWorkspaceOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>The bot's Telegram user id (the part of the token before the colon); one workspace per bot.</summary>
    public long BotUserId { get; set; }
    public required string Username { get; set; }
    /// <summary>The token, encrypted with <see cref="TelegramSecrets"/>.</summary>
    public required string ProtectedToken { get; set; }
    /// <summary>The webhook's <c>secret_token</c>, encrypted; Telegram sends it back in <c>X-Telegram-Bot-Api-Secret-Token</c>.</summary>
    public required string ProtectedWebhookSecret { get; set; }
    public TelegramUpdateMode Mode { get; set; }
    public TelegramBotStatus Status { get; set; }
    /// <summary>Telegram's own words for the last failure, or null while connected.</summary>
    public string? StatusDetail { get; set; }
    /// <summary>When the status was last established (a change, or the periodic check that confirmed it).</summary>
    public DateTime StatusAt { get; set; } = DateTime.UtcNow;
    /// <summary>Long polling: the next <c>getUpdates</c> offset (highest confirmed update_id + 1).</summary>
    public long PollOffset { get; set; }
    /// <summary>Long polling: which app process polls this bot now (one at a time), and until when its lease holds.</summary>
    public string? PollLeaseOwner { get; set; }
    public DateTime? PollLeaseUntil { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>The token as shown in the console: <c>123456:••••wxyz</c>.</summary>
    public static string Mask(string token)
    {
        var colon = token.IndexOf(':', StringComparison.Ordinal);
        var id = colon > 0 ? token[..colon] : "";
        var tail = token.Length >= 4 ? token[^4..] : "";
        return $"{id}:••••{tail}";
    }
}

internal sealed class TelegramBotConfiguration : IEntityTypeConfiguration<TelegramBot>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<TelegramBot> b)
    {
        b.ToTable("TelegramBots");
        b.HasKey(x => x.Id);
        b.Property(x => x.Username).HasMaxLength(64);
        b.Property(x => x.ProtectedToken).HasMaxLength(2000);
        b.Property(x => x.ProtectedWebhookSecret).HasMaxLength(2000);
        b.Property(x => x.StatusDetail).HasMaxLength(1000);
        b.Property(x => x.PollLeaseOwner).HasMaxLength(100);
        b.HasIndex(x => x.BotUserId).IsUnique();
        b.HasIndex(x => x.WorkspaceId);
    }
}

/// <summary>Encrypts and decrypts platform secrets with ASP.NET Data Protection (the database-held, encrypted key ring).</summary>
public sealed class TelegramSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Shequn.Connectors.Telegram.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}
