using System.Net.Http.Json;
using System.Text.Json;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>A campaign made through the API, with what the browser tests need of it.</summary>
public sealed record MadeCampaign(string Id, string Slug);

/// <summary>
/// What the campaign browser tests set up through the API rather than the console (which other tests drive): a
/// Sandbox community, members who joined it (join events through <c>/api/events</c>), campaigns and personal links.
/// </summary>
internal static class CampaignKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<Guid> CommunityAsync(HttpClient api, string name)
    {
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name = name + Guid.NewGuid().ToString("N")[..4], platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
    }

    /// <summary>Sandbox events (joins, then messages) posted now; returns once every joiner is a member, by display name.</summary>
    public static async Task<Dictionary<string, string>> JoinAsync(HttpClient api, Guid community, string[] users, params (string User, string Text)[] messages)
    {
        var at = DateTimeOffset.UtcNow;
        var run = Guid.NewGuid().ToString("N")[..8];
        var events = users.Select((u, i) => new Dictionary<string, object?>
        {
            ["platform"] = "sandbox", ["id"] = $"j-{run}-{i}", ["kind"] = "memberJoined", ["occurredAt"] = at, ["communityId"] = community,
            ["user"] = new { id = $"{run}-{u}", name = u },
        }).Concat(messages.Select((m, i) => new Dictionary<string, object?>
        {
            ["platform"] = "sandbox", ["id"] = $"m-{run}-{i}", ["kind"] = "messagePosted", ["occurredAt"] = at.AddSeconds(1 + i), ["communityId"] = community,
            ["user"] = new { id = $"{run}-{m.User}", name = m.User, staff = false }, ["message"] = new { id = $"msg-{run}-{i}", kind = "text", text = m.Text },
        })).ToList();
        var posted = await api.PostAsJsonAsync("/api/events", events, Ct);
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(Ct));
        for (var attempt = 0; ; attempt++)
        {
            var members = (await api.GetFromJsonAsync<JsonElement>($"/api/members?communityId={community}", Ct)).GetProperty("items").EnumerateArray()
                .ToDictionary(m => m.GetProperty("displayName").GetString()!, m => m.GetProperty("id").GetString()!);
            if (users.All(members.ContainsKey))
                return members;
            Assert.True(attempt < 100, "The joins were not processed: " + string.Join(", ", members.Keys));
            await Task.Delay(200, Ct);
        }
    }

    public static async Task<MadeCampaign> CreateAsync(HttpClient api, object body, bool publish = true)
    {
        var made = await api.PostAsJsonAsync("/api/campaigns", body, Ct);
        Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync(Ct));
        var dto = await made.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = dto.GetProperty("id").GetString()!;
        if (publish)
        {
            var published = await api.PostAsync($"/api/campaigns/{id}/publish", null, Ct);
            Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync(Ct));
        }
        var url = dto.GetProperty("pageUrl").GetString()!;
        return new MadeCampaign(id, url[(url.LastIndexOf('/') + 1)..]);
    }

    public static async Task<JsonElement> GetAsync(HttpClient api, string id) => await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}", Ct);

    /// <summary>The member's personal link as a path on the app (the public base address may be another host).</summary>
    public static async Task<string> LinkAsync(HttpClient api, string id, string member) =>
        new Uri((await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{id}/links/{member}", Ct)).GetProperty("url").GetString()!).PathAndQuery;

    /// <summary>A coupon campaign of <paramref name="community"/>: one ¥5 code per member, valid for <paramref name="validDays"/> days.</summary>
    public static object Coupons(string name, Guid community, int? validDays) => new
    {
        name = name + Guid.NewGuid().ToString("N")[..4], kind = "coupon", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(7),
        audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
        rewards = new[] { new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 100, quantity = 50 } },
        rules = new { stock = 50, perPersonLimit = 1, couponValidDays = validDays },
    };

    /// <summary>A member claims a coupon through the public endpoint the page's button posts to; returns the code.</summary>
    public static async Task<string> ClaimCouponAsync(HttpClient api, string slug, string link)
    {
        var claimed = await api.PostAsJsonAsync($"/c/{slug}/coupon", new { token = Token(link), requestId = Guid.NewGuid().ToString("N") }, Ct);
        Assert.True(claimed.IsSuccessStatusCode, await claimed.Content.ReadAsStringAsync(Ct));
        return (await claimed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString()!;
    }

    /// <summary>
    /// The console in English for this browser only, after signing in (which writes the account's language): the culture
    /// cookie the language switch writes, without changing the shared demo account.
    /// </summary>
    public static Task EnglishAsync(Microsoft.Playwright.IBrowserContext context, string baseUrl) =>
        context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = ".AspNetCore.Culture", Value = "c%3Den%7Cuic%3Den", Url = baseUrl }]);

    /// <summary>The token of a personal link (<c>?m=</c>).</summary>
    public static string Token(string link) => link[(link.IndexOf("?m=", StringComparison.Ordinal) + 3)..];
}
