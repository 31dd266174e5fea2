using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Connectors.WeCom;

/// <summary>What the last call to WeCom with this connection's corp id and secret said.</summary>
public enum WeComConnectionStatus
{
    /// <summary>Saved, not yet checked against WeCom.</summary>
    Unchecked = 0,
    Connected = 1,
    /// <summary>WeCom refused the corp id or secret (40001, 40013 …): wrong, or reset in WeCom's admin.</summary>
    AuthFailed = 2,
    /// <summary>Another failure (network, permission, visibility range); the detail has WeCom's words.</summary>
    Error = 3,
}

/// <summary>
/// A WeCom corp (self-built app with the 客户联系 permission) connected to a workspace. The secret, the callback Token
/// and the EncodingAESKey are kept only encrypted (<see cref="WeComSecrets"/>), so a database dump reveals none of
/// them; the key ring that decrypts them is itself encrypted (ADR-007).
/// </summary>
public sealed class WeComConnection : IWorkspaceOwned, IAudited
{
    public const int CorpIdMaxLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string CorpId { get; set; }
    /// <summary>The app's (or 客户联系's) secret, encrypted.</summary>
    public required string ProtectedSecret { get; set; }
    /// <summary>The callback Token, encrypted.</summary>
    public required string ProtectedToken { get; set; }
    /// <summary>The callback EncodingAESKey (43 characters), encrypted.</summary>
    public required string ProtectedAesKey { get; set; }
    /// <summary>Last four characters of the secret, for the masked display.</summary>
    public required string SecretHint { get; set; }
    public WeComConnectionStatus Status { get; set; }
    /// <summary>WeCom's own words for the last failure (errcode and errmsg), or null while connected.</summary>
    public string? StatusDetail { get; set; }
    public DateTime StatusAt { get; set; } = DateTime.UtcNow;
    /// <summary>When the last full sync (groupchat/list + get of every group) finished.</summary>
    public DateTime? LastSyncAt { get; set; }
    /// <summary>Which app process syncs this connection, and until when (two nodes never sync one corp at once).</summary>
    public string? SyncLeaseOwner { get; set; }
    public DateTime? SyncLeaseUntil { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>A secret as shown in the console: <c>••••wxyz</c>.</summary>
    public static string Mask(string? hint) => "••••" + hint;

    public static string HintOf(string secret) => secret.Length >= 8 ? secret[^4..] : "";
}

/// <summary>
/// A customer group Shequn knows through a connection: what WeCom last said about it (name, owner, notice, the
/// member list and its version) and whether it must be fetched again. The member list is what the event log has
/// been told, so a re-fetch turns the difference into joins and leaves.
/// </summary>
public sealed class WeComChat : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid ConnectionId { get; set; }
    public required string ChatId { get; set; }
    public string? Name { get; set; }
    /// <summary>The owner's userid: the sender of the group's mass-send tasks.</summary>
    public string? Owner { get; set; }
    public string? Notice { get; set; }
    /// <summary><c>member_version</c> as of the last fetch or in-order callback.</summary>
    public string? MemberVersion { get; set; }
    /// <summary>Member ids and names as JSON (<c>{"userid":"name or null"}</c>).</summary>
    public string Members { get; set; } = "{}";
    /// <summary>A callback came that the stored state cannot absorb (lost callback, name change, new group): fetch it.</summary>
    public bool NeedsRefresh { get; set; }
    public bool Dismissed { get; set; }
    public DateTime? RefreshedAt { get; set; }
    /// <summary>Counts changes; the optimistic concurrency token between callbacks and refreshes.</summary>
    public int Revision { get; set; }
}

public enum WeComGroupMessageState
{
    /// <summary>add_msg_template made the task: nothing is sent until the owner confirms it in the WeCom client.</summary>
    AwaitingConfirmation = 0,
    /// <summary>The owner confirmed and WeCom sent it to the group.</summary>
    Sent = 1,
    /// <summary>WeCom reports it was not delivered (the group already had its daily mass message, …).</summary>
    NotSent = 2,
    /// <summary>Nobody confirmed within the polling window (a week); it is no longer followed.</summary>
    Expired = 3,
}

/// <summary>A mass-send task made by <c>add_msg_template</c> for one action in one group, followed until WeCom says what happened.</summary>
public sealed class WeComGroupMessage : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid ConnectionId { get; set; }
    public Guid CommunityId { get; set; }
    public Guid ActionId { get; set; }
    public required string MsgId { get; set; }
    public required string ChatId { get; set; }
    public required string Sender { get; set; }
    /// <summary>The text sent, for the log event once WeCom reports it sent.</summary>
    public string? Text { get; set; }
    public WeComGroupMessageState State { get; set; }
    /// <summary>get_groupmsg_send_result's status for this group: 0 unsent, 1 sent, 2/3 failed.</summary>
    public int? SendStatus { get; set; }
    public DateTime? SentAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? CheckedAt { get; set; }
}

internal sealed class WeComConnectionConfiguration : IEntityTypeConfiguration<WeComConnection>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<WeComConnection> b)
    {
        b.ToTable("WeComConnections");
        b.HasKey(x => x.Id);
        b.Property(x => x.CorpId).HasMaxLength(WeComConnection.CorpIdMaxLength);
        b.Property(x => x.ProtectedSecret).HasMaxLength(2000);
        b.Property(x => x.ProtectedToken).HasMaxLength(2000);
        b.Property(x => x.ProtectedAesKey).HasMaxLength(2000);
        b.Property(x => x.SecretHint).HasMaxLength(8);
        b.Property(x => x.StatusDetail).HasMaxLength(1000);
        b.Property(x => x.SyncLeaseOwner).HasMaxLength(100);
        b.HasIndex(x => new { x.WorkspaceId, x.CorpId }).IsUnique();
    }
}

internal sealed class WeComChatConfiguration : IEntityTypeConfiguration<WeComChat>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<WeComChat> b)
    {
        b.ToTable("WeComChats");
        b.HasKey(x => x.Id);
        b.Property(x => x.ChatId).HasMaxLength(128);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Owner).HasMaxLength(128);
        b.Property(x => x.Notice).HasMaxLength(2000);
        b.Property(x => x.MemberVersion).HasMaxLength(128);
        b.Property(x => x.Members).HasMaxLength(200_000);
        b.Property(x => x.Revision).IsConcurrencyToken();
        b.HasIndex(x => new { x.ConnectionId, x.ChatId }).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.ChatId });
        b.HasOne<WeComConnection>().WithMany().HasForeignKey(x => x.ConnectionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WeComGroupMessageConfiguration : IEntityTypeConfiguration<WeComGroupMessage>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<WeComGroupMessage> b)
    {
        b.ToTable("WeComGroupMessages");
        b.HasKey(x => x.Id);
        b.Property(x => x.MsgId).HasMaxLength(200);
        b.Property(x => x.ChatId).HasMaxLength(128);
        b.Property(x => x.Sender).HasMaxLength(128);
        b.Property(x => x.Text).HasMaxLength(8000);
        b.HasIndex(x => new { x.ConnectionId, x.State });
        b.HasIndex(x => new { x.CommunityId, x.CreatedAt });
        b.HasIndex(x => x.ActionId);
        b.HasOne<WeComConnection>().WithMany().HasForeignKey(x => x.ConnectionId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Encrypts and decrypts WeCom secrets with ASP.NET Data Protection (the database-held, encrypted key ring).</summary>
public sealed class WeComSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Shequn.Connectors.WeCom.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);

    public WeComCredentials Credentials(WeComConnection c) => new(c.CorpId, Unprotect(c.ProtectedSecret));

    public WeComCrypto Crypto(WeComConnection c) => new(Unprotect(c.ProtectedToken), Unprotect(c.ProtectedAesKey), c.CorpId);
}
