using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Campaigns;

/// <summary>
/// Personal campaign links (<c>/c/{slug}?m={token}</c>), stateless so that ten thousand claimants need no row each:
/// the token is the member's id followed by the first 16 bytes of HMAC-SHA256(key, campaign id ‖ member id), base64url
/// (43 characters), checked in constant time. A token names one member for one campaign only. The key is 32 random
/// bytes made once (<see cref="CampaignLinkKey"/>, encrypted with the data-protection key ring that every node shares),
/// so every node signs and checks alike.
/// </summary>
public sealed class CampaignLinks(IServiceScopeFactory scopes, IDataProtectionProvider protection) : IDisposable
{
    private const string KeyName = "member-links";
    private const int MacLength = 16;
    private readonly IDataProtector _protector = protection.CreateProtector("Shequn.Campaigns.MemberLinks.v1");
    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    public async Task<string> TokenAsync(Guid campaignId, Guid memberId, CancellationToken ct = default)
    {
        var key = await KeyAsync(ct);
        var bytes = new byte[16 + MacLength];
        memberId.TryWriteBytes(bytes);
        Mac(key, campaignId, memberId).AsSpan(0, MacLength).CopyTo(bytes.AsSpan(16));
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The member a token names for this campaign, or null when it is malformed or not ours.</summary>
    public async Task<Guid?> VerifyAsync(Guid campaignId, string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
            return null;
        var bytes = new byte[48];
        if (!Base64Url.IsValid(token) || !Base64Url.TryDecodeFromChars(token, bytes, out var written) || written != 16 + MacLength)
            return null;
        var memberId = new Guid(bytes.AsSpan(0, 16));
        var expected = Mac(await KeyAsync(ct), campaignId, memberId);
        return CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, MacLength), bytes.AsSpan(16, MacLength)) ? memberId : null;
    }

    public void Dispose() => _loading.Dispose();

    private static byte[] Mac(byte[] key, Guid campaignId, Guid memberId)
    {
        Span<byte> data = stackalloc byte[32];
        campaignId.TryWriteBytes(data);
        memberId.TryWriteBytes(data[16..]);
        return HMACSHA256.HashData(key, data);
    }

    private async Task<byte[]> KeyAsync(CancellationToken ct)
    {
        if (_key is { } known)
            return known;
        await _loading.WaitAsync(ct);
        try
        {
            if (_key is { } loaded)
                return loaded;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var row = await db.Set<CampaignLinkKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Name == KeyName, ct);
            if (row is null)
            {
                db.Add(new CampaignLinkKey { Name = KeyName, ProtectedKey = _protector.Protect(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))) });
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException)
                {
                    // Another node made it first: theirs is the key.
                    db.ChangeTracker.Clear();
                }
                row = await db.Set<CampaignLinkKey>().AsNoTracking().SingleAsync(k => k.Name == KeyName, ct);
            }
            _key = Convert.FromBase64String(_protector.Unprotect(row.ProtectedKey));
            return _key;
        }
        finally
        {
            _loading.Release();
        }
    }
}
