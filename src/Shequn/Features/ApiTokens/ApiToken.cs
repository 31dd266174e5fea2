using System.Security.Cryptography;
using System.Text;
using Shequn.Data;

namespace Shequn.Features.ApiTokens;

/// <summary>
/// A bearer token acting as one staff member: 256 random bits after the <c>shq_</c> prefix; only its SHA-256 hash is
/// stored (a slow hash buys nothing against a secret this long).
/// </summary>
public sealed class ApiToken : IWorkspaceOwned, IAudited
{
    public const string Scheme = "shq_";
    public const int NameMaxLength = 100;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid StaffUserId { get; set; }
    public required string Name { get; set; }
    public required string Hash { get; set; }
    public required string Prefix { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }

    /// <summary>When set, the token is refused from this moment (401 saying it expired).</summary>
    public DateTime? ExpiresAt { get; set; }

    public Staff.StaffUser? StaffUser { get; set; }

    public static string NewSecret() =>
        Scheme + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string HashOf(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static ApiToken Issue(Guid workspaceId, Guid staffUserId, string name, string secret, DateTime? expiresAt = null) => new()
    {
        ExpiresAt = expiresAt,
        WorkspaceId = workspaceId,
        StaffUserId = staffUserId,
        Name = name,
        Hash = HashOf(secret),
        Prefix = secret[..Math.Min(secret.Length, 10)],
    };

    internal static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
