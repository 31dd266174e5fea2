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
/// <para>
/// Invite tokens (<c>/c/{slug}?i={token}</c>, on share links and posters) name the member who shares, with the same key
/// and layout but a MAC over a distinct context: HMAC-SHA256(key, "invite" ‖ campaign id ‖ member id). The MAC inputs
/// differ in length and prefix, so an invite token never verifies as the member's own token: whoever scans a poster can
/// say who invited them but cannot act as the inviter.
/// </para>
/// </summary>
public sealed class CampaignLinks(IServiceScopeFactory scopes, IDataProtectionProvider protection) : IDisposable
{
    private const string KeyName = "member-links";
    private const int MacLength = 16;
    private readonly IDataProtector _protector = protection.CreateProtector("Shequn.Campaigns.MemberLinks.v1");
    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    private static readonly byte[] MemberContext = [];
    private static readonly byte[] InviteContext = "invite"u8.ToArray();

    public Task<string> TokenAsync(Guid campaignId, Guid memberId, CancellationToken ct = default) => SignAsync(MemberContext, campaignId, memberId, ct);

    /// <summary>The member a token names for this campaign, or null when it is malformed or not ours.</summary>
    public Task<Guid?> VerifyAsync(Guid campaignId, string? token, CancellationToken ct = default) => CheckAsync(MemberContext, campaignId, token, ct);

    /// <summary>The invite token of a member sharing this campaign (<c>?i=</c>): names them as the inviter, never acts for them.</summary>
    public Task<string> InviteTokenAsync(Guid campaignId, Guid memberId, CancellationToken ct = default) => SignAsync(InviteContext, campaignId, memberId, ct);

    /// <summary>The inviting member an invite token names for this campaign, or null.</summary>
    public Task<Guid?> VerifyInviteAsync(Guid campaignId, string? token, CancellationToken ct = default) => CheckAsync(InviteContext, campaignId, token, ct);

    private async Task<string> SignAsync(byte[] context, Guid campaignId, Guid memberId, CancellationToken ct)
    {
        var key = await KeyAsync(ct);
        var bytes = new byte[16 + MacLength];
        memberId.TryWriteBytes(bytes);
        Mac(key, context, campaignId, memberId).AsSpan(0, MacLength).CopyTo(bytes.AsSpan(16));
        return Base64Url.EncodeToString(bytes);
    }

    private async Task<Guid?> CheckAsync(byte[] context, Guid campaignId, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
            return null;
        var bytes = new byte[48];
        if (!Base64Url.IsValid(token) || !Base64Url.TryDecodeFromChars(token, bytes, out var written) || written != 16 + MacLength)
            return null;
        var memberId = new Guid(bytes.AsSpan(0, 16));
        var expected = Mac(await KeyAsync(ct), context, campaignId, memberId);
        return CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, MacLength), bytes.AsSpan(16, MacLength)) ? memberId : null;
    }

    public void Dispose() => _loading.Dispose();

    private static byte[] Mac(byte[] key, byte[] context, Guid campaignId, Guid memberId)
    {
        // The member's own tokens have no context, so tokens already handed out stay valid.
        Span<byte> data = stackalloc byte[context.Length + 32];
        context.CopyTo(data);
        campaignId.TryWriteBytes(data[context.Length..]);
        memberId.TryWriteBytes(data[(context.Length + 16)..]);
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
