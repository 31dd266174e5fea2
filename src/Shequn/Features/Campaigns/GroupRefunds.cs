using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;

namespace Shequn.Features.Campaigns;

/// <summary>What the shop's refund endpoint receives; <see cref="RefundId"/> is the idempotency key (also sent as <c>Idempotency-Key</c>).</summary>
public sealed record ShopRefundRequest(Guid RefundId, Guid CampaignId, string OrderId, long AmountFen, RefundReason Reason);

/// <summary>
/// Sends recorded refund requests until each is confirmed (campaigns.md: the mall suites lose these). An attempt is
/// claimed by a conditional update that also pushes the next attempt out (30 s, doubling, at most an hour), so two
/// nodes never send the same attempt and a node dying mid-attempt leaves it to be retried. Where it goes: the
/// Sandbox's pretend shop (confirmed at once), the shop endpoint configured in <c>Campaigns:ShopRefundUrl</c> (a 2xx
/// confirms it; its JSON <c>reference</c>, if any, is kept), or nowhere — staff refund by hand and mark it done.
/// </summary>
public sealed class GroupRefunds(AppDbContext db, TimeProvider time, IOptions<GroupBuyOptions> options, IHttpClientFactory http)
{
    public const string HttpClientName = "shop";
    private static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongestPause = TimeSpan.FromHours(1);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public static TimeSpan PauseAfter(int attempts) =>
        attempts >= 8 ? LongestPause : TimeSpan.FromTicks(Math.Min(LongestPause.Ticks, FirstPause.Ticks << Math.Max(0, attempts - 1)));

    public async Task<IReadOnlyList<Guid>> DueAsync(int max, CancellationToken ct = default)
    {
        var now = Now;
        return await db.Set<CampaignRefund>().IgnoreQueryFilters().AsNoTracking()
            .Where(r => r.Status == RefundStatus.Pending && r.NextAttemptAt != null && r.NextAttemptAt <= now)
            .OrderBy(r => r.NextAttemptAt).Take(max).Select(r => r.Id).ToListAsync(ct);
    }

    /// <summary>One attempt at a due refund; true when it is done after it.</summary>
    public async Task<bool> AttemptAsync(Guid refundId, CancellationToken ct = default)
    {
        var now = Now;
        var refunds = db.Set<CampaignRefund>().IgnoreQueryFilters();
        var refund = await refunds.AsNoTracking().SingleOrDefaultAsync(r => r.Id == refundId, ct);
        if (refund is null || refund.Status != RefundStatus.Pending || refund.NextAttemptAt is null || refund.NextAttemptAt > now)
            return false;
        var next = now + PauseAfter(refund.Attempts + 1);
        var attempts = refund.Attempts;
        var claimed = await refunds.Where(r => r.Id == refundId && r.Status == RefundStatus.Pending && r.Attempts == attempts)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Attempts, attempts + 1).SetProperty(r => r.NextAttemptAt, next), ct);
        if (claimed == 0)
            return false;
        string? reference;
        try
        {
            reference = await SendAsync(refund, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            var error = ex.Message.Length > CampaignRefund.ErrorMaxLength ? ex.Message[..CampaignRefund.ErrorMaxLength] : ex.Message;
            await refunds.Where(r => r.Id == refundId && r.Status == RefundStatus.Pending).ExecuteUpdateAsync(u => u.SetProperty(r => r.LastError, error), ct);
            return false;
        }
        if (reference is null)
        {
            // Nowhere to send it any more (the endpoint was removed): staff refund by hand.
            await refunds.Where(r => r.Id == refundId && r.Status == RefundStatus.Pending).ExecuteUpdateAsync(u => u.SetProperty(r => r.NextAttemptAt, (DateTime?)null), ct);
            return false;
        }
        return await MarkDoneAsync(refundId, reference, ct);
    }

    /// <summary>Pending → done with the reference, once; true when it is done now (by this call or an earlier one).</summary>
    public async Task<bool> MarkDoneAsync(Guid refundId, string reference, CancellationToken ct = default)
    {
        var now = Now;
        var refunds = db.Set<CampaignRefund>().IgnoreQueryFilters();
        await refunds.Where(r => r.Id == refundId && r.Status == RefundStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RefundStatus.Done).SetProperty(r => r.DoneAt, now).SetProperty(r => r.Reference, reference)
                .SetProperty(r => r.NextAttemptAt, (DateTime?)null).SetProperty(r => r.LastError, (string?)null), ct);
        return await refunds.AnyAsync(r => r.Id == refundId && r.Status == RefundStatus.Done, ct);
    }

    /// <summary>The shop's reference for a done refund, or null when there is nowhere to send it; throws when the shop refused or could not be reached.</summary>
    private async Task<string?> SendAsync(CampaignRefund refund, CancellationToken ct)
    {
        var url = options.Value.ShopRefundUrl;
        if (string.IsNullOrWhiteSpace(url))
            return await SandboxAsync(refund, ct) ? "sandbox-refund-" + refund.Id.ToString("N")[..12] : null;
        var body = JsonSerializer.Serialize(new ShopRefundRequest(refund.Id, refund.CampaignId, refund.OrderId, refund.AmountFen, refund.Reason), CampaignJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", refund.Id.ToString());
        if (!string.IsNullOrEmpty(options.Value.ShopRefundSecret))
        {
            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ShopRefundSecret), Encoding.UTF8.GetBytes(body));
            request.Headers.Add("X-Shequn-Signature", "sha256=" + Convert.ToHexStringLower(mac));
        }
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The shop answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        var answer = response.Content.Headers.ContentType?.MediaType == "application/json"
            ? await response.Content.ReadFromJsonAsync<JsonElement>(ct) : default;
        var reference = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        reference = string.IsNullOrWhiteSpace(reference) ? $"http-{(int)response.StatusCode}" : reference.Trim();
        return reference.Length > CampaignRefund.ReferenceMaxLength ? reference[..CampaignRefund.ReferenceMaxLength] : reference;
    }

    private async Task<bool> SandboxAsync(CampaignRefund refund, CancellationToken ct)
    {
        var ids = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking().Where(c => c.Id == refund.CampaignId).Select(c => c.CommunityIds).SingleAsync(ct);
        return await CampaignSnapshots.SandboxOnlyAsync(db, JsonSerializer.Deserialize<List<Guid>>(ids, CampaignJson.Options) ?? [], ct);
    }
}
