using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shequn.BrowserTests.Features.Campaigns;
using Shequn.BrowserTests.Infrastructure;
using Shequn.Fakes.Xss;

namespace Shequn.BrowserTests.Platform;

/// <summary>
/// Stored XSS (docs/security.md): the payload corpus (<see cref="XssPayloads"/>) goes in through the real inbound paths —
/// Sandbox events through <c>/api/events</c> (nicknames, messages, a group renamed on the platform), the swap board's H5
/// form, the profile form (typed in the browser), and staff's tags and scripts through the API — and then every console page (each <c>@page</c> route, with the
/// seeded community, member and tag in the routed ones) and the H5 pages that show them are opened in chromium with a trap
/// installed before any page script: <c>__xss()</c> counts calls, the CSP's refusals and dialogs are recorded. Nothing may
/// run, and each payload must be on the pages as text (so a test whose data never arrived fails).
/// </summary>
public sealed partial class StoredXssTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Defined by the browser ahead of the page's own scripts (the CSP does not apply to it).</summary>
    private const string Trap =
        "window.__xssHits = 0; window.__xss = () => { window.__xssHits = (window.__xssHits || 0) + 1; };"
        + "window.__cspViolations = [];"
        + "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));";

    [Fact]
    public async Task MemberAndStaffText_WithXssPayloads_ShowsAsText_OnEveryPage_AndNothingRuns()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        using var api = app.ApiClient();
        var run = Guid.NewGuid().ToString("N")[..6];
        var payloads = XssPayloads.All.ToArray();

        // Members: one per payload, the payload as nickname, each posting it in a message (Sandbox events, /api/events).
        var community = await CampaignKit.CommunityAsync(api, "XSS演练");
        var members = await CampaignKit.JoinAsync(api, community, payloads, [.. payloads.Select(p => (p, Said(p)))]);
        // The group renamed on the platform.
        var groupName = payloads[2] + run;
        await PostEventsAsync(api, new Dictionary<string, object?>
        {
            ["platform"] = "sandbox", ["id"] = "rename-" + run, ["kind"] = "communityRenamed", ["occurredAt"] = DateTimeOffset.UtcNow,
            ["communityId"] = community, ["title"] = groupName,
        });

        // Staff text members and staff read: tags (≤ 50 characters) and a script.
        var tagNames = payloads.Where(p => p.Length + run.Length <= 50).Select(p => p + run).ToList();
        var tagIds = new List<string>();
        foreach (var name in tagNames)
        {
            var made = await api.PostAsJsonAsync("/api/tags", new { name }, Ct);
            Assert.True(made.IsSuccessStatusCode, $"{name}: {await made.Content.ReadAsStringAsync(Ct)}");
            var id = (await made.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
            tagIds.Add(id);
            var assigned = await api.PostAsJsonAsync($"/api/tags/{id}/members", new { memberIds = members.Values.Select(Guid.Parse).ToArray() }, Ct);
            Assert.True(assigned.IsSuccessStatusCode, await assigned.Content.ReadAsStringAsync(Ct));
        }
        var scriptName = payloads[1] + run;
        // Script text takes {variables}; the template-injection payload is for the other fields.
        var script = await api.PostAsJsonAsync("/api/scripts", new
        {
            category = "welcome", name = scriptName, text = string.Join("\n", payloads.Where(p => !p.Contains('{', StringComparison.Ordinal)).Select(Scripted)),
        }, Ct);
        Assert.True(script.IsSuccessStatusCode, await script.Content.ReadAsStringAsync(Ct));

        // The swap board: every member lists an item through the H5 form's endpoint.
        var now = DateTimeOffset.UtcNow;
        var swap = await CampaignKit.CreateAsync(api, new
        {
            name = "XSS换物" + run, kind = "swap", startsAt = now.AddHours(-1), endsAt = now.AddDays(3), audience = new { communityIds = new[] { community } },
            goalMetric = "participants", goalTarget = 10,
        });
        for (var i = 0; i < payloads.Length; i++)
        {
            var token = CampaignKit.Token(await CampaignKit.LinkAsync(api, swap.Id, members[payloads[i]]));
            var listed = await api.PostAsJsonAsync($"/c/{swap.Slug}/swap/items", new
            {
                token, requestId = $"xss-{run}-{i}", title = payloads[i].Length <= 60 ? payloads[i] : payloads[i][..60], description = Swapped(payloads[i]),
            }, Ct);
            Assert.True(listed.IsSuccessStatusCode, $"{payloads[i]}: {await listed.Content.ReadAsStringAsync(Ct)}");
        }
        await WaitUntilAsync(async () => (await api.GetFromJsonAsync<JsonElement>($"/api/communities/{community}", Ct)).GetProperty("name").GetString() == groupName,
            "the community was not renamed");

        await using var context = await app.NewContextAsync();
        await context.AddInitScriptAsync(Trap);
        var dialogs = new List<string>();
        context.Page += (_, p) => p.Dialog += async (_, d) =>
        {
            lock (dialogs)
                dialogs.Add($"{p.Url}: {d.Type} {d.Message}");
            await d.DismissAsync();
        };
        var problems = new List<string>();
        var text = new Dictionary<string, string>();

        // Profile answers through the H5 form, as a member types them: refused once (no consent), so the form shows the
        // answers back in its fields (an attribute breakout's chance), then sent.
        var member = members[payloads[0]];
        var (city, industry) = (payloads[3], payloads[0]);
        var profileLink = await api.PostAsync($"/api/members/{member}/profile-link", null, Ct);
        Assert.True(profileLink.IsSuccessStatusCode, await profileLink.Content.ReadAsStringAsync(Ct));
        var profilePath = new Uri((await profileLink.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("url").GetString()!).AbsolutePath;
        var form = await context.NewPageAsync();
        await form.GotoAsync(profilePath);
        await form.GetByTestId("profile-field-city").FillAsync(city);
        await form.GetByTestId("profile-field-industry").FillAsync(industry);
        await form.GetByTestId("profile-submit").ClickAsync();
        await form.GetByTestId("profile-consent-error").WaitForAsync();
        await SettledAsync(form, profilePath + " (refused)", problems);
        Assert.Equal(city, await form.GetByTestId("profile-field-city").InputValueAsync());
        Assert.Equal(industry, await form.GetByTestId("profile-field-industry").InputValueAsync());
        await form.GetByTestId("profile-consent").CheckAsync();
        await form.GetByTestId("profile-submit").ClickAsync();
        await form.GetByTestId("profile-form-thanks").WaitForAsync();
        await SettledAsync(form, profilePath + " (sent)", problems);
        await form.CloseAsync();

        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        var liveCode = (await api.GetFromJsonAsync<JsonElement>("/api/live-codes", Ct)).EnumerateArray().First().GetProperty("id").GetString();
        var routed = new Dictionary<string, string>
        {
            ["/communities/{Id:guid}"] = $"/communities/{community}", ["/communities/{Id:guid}/activity"] = $"/communities/{community}/activity",
            ["/communities/{Id:guid}/chat"] = $"/communities/{community}/chat", ["/communities/{Id:guid}/import"] = $"/communities/{community}/import",
            ["/communities/{Id:guid}/ritual"] = $"/communities/{community}/ritual", ["/members/{Id:guid}"] = $"/members/{member}",
            ["/live-codes/{Id:guid}"] = $"/live-codes/{liveCode}", ["/tags/{Id:guid}/review"] = $"/tags/{tagIds[0]}/review",
        };
        var paths = ConsoleRoutes().Where(r => r is not "/login" and not "/setup").Select(r => routed.TryGetValue(r, out var p) ? p : r).ToList();
        Assert.DoesNotContain(paths, p => p.Contains('{', StringComparison.Ordinal));
        paths.Add($"/members?communityId={community}");

        foreach (var path in paths)
        {
            await page.OpenAsync(path);
            text[path] = await SettledAsync(page, path, problems);
        }
        // The H5 pages a member sees, as a member would (no staff cookie needed; the trap is the context's).
        var h5 = await context.NewPageAsync();
        foreach (var path in new[] { $"/c/{swap.Slug}/swap", $"/c/{swap.Slug}" })
        {
            await h5.GotoAsync(path);
            await h5.WaitForLoadStateAsync(LoadState.NetworkIdle);
            text[path] = await SettledAsync(h5, path, problems);
        }

        lock (dialogs)
            problems.AddRange(dialogs);
        Assert.True(problems.Count == 0, "Script ran or was refused:\n" + string.Join("\n", problems));

        // The payloads arrived and show as text: nicknames in the members list, messages in the chat, items on the board, …
        var membersPage = text[$"/members?communityId={community}"];
        var chat = text[$"/communities/{community}/chat"];
        var board = text[$"/c/{swap.Slug}/swap"];
        var missing = new List<string>();
        foreach (var p in payloads)
        {
            if (!membersPage.Contains(p, StringComparison.Ordinal))
                missing.Add("members list, nickname: " + p);
            if (!chat.Contains(Said(p), StringComparison.Ordinal))
                missing.Add("chat, message: " + p);
            if (!board.Contains(Swapped(p), StringComparison.Ordinal))
                missing.Add("swap board, item: " + p);
        }
        foreach (var answer in new[] { city, industry }.Where(a => !text[$"/members/{member}"].Contains(a, StringComparison.Ordinal)))
            missing.Add("member detail, profile answer: " + answer);
        foreach (var name in tagNames.Where(n => !text["/tags"].Contains(n, StringComparison.Ordinal)))
            missing.Add("tags: " + name);
        if (!text["/communities"].Contains(groupName, StringComparison.Ordinal))
            missing.Add("communities: " + groupName);
        if (!text["/scripts"].Contains(scriptName, StringComparison.Ordinal))
            missing.Add("scripts: " + scriptName);
        Assert.True(missing.Count == 0, "Not shown as text:\n" + string.Join("\n", missing));
    }

    private static string Said(string payload) => "说：" + payload;

    private static string Swapped(string payload) => "换：" + payload;

    private static string Scripted(string payload) => "话术：" + payload;

    /// <summary>The page's trap and refusals once it has settled, and its visible text.</summary>
    private static async Task<string> SettledAsync(IPage page, string path, List<string> problems)
    {
        // An image's onerror or a details' ontoggle fires a moment after the render.
        await page.WaitForTimeoutAsync(150);
        var hits = await page.EvaluateAsync<int>("() => window.__xssHits ?? -1");
        if (hits != 0)
            problems.Add($"{path}: __xss() ran {hits} time(s)" + (hits < 0 ? " (the trap was not installed)" : ""));
        var refused = await page.EvaluateAsync<string[]>("() => window.__cspViolations ?? []");
        problems.AddRange(refused.Select(r => $"{path}: CSP refused {r}"));
        return await page.EvaluateAsync<string>("() => document.body.innerText");
    }

    private static async Task PostEventsAsync(HttpClient api, params object[] events)
    {
        var posted = await api.PostAsJsonAsync("/api/events", events, Ct);
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(Ct));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, string what)
    {
        for (var attempt = 0; !await done(); attempt++)
        {
            Assert.True(attempt < 100, what);
            await Task.Delay(200, Ct);
        }
    }

    /// <summary>Every console page's route, from the <c>@page</c> directives of src/Shequn.</summary>
    private static List<string> ConsoleRoutes() =>
        [.. Directory.EnumerateFiles(Path.Combine(ConsoleApp.RepoRoot, "src", "Shequn"), "*.razor", SearchOption.AllDirectories)
            .SelectMany(f => PageDirective().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Distinct().Order(StringComparer.Ordinal)];

    [GeneratedRegex("""^@page "([^"]+)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex PageDirective();
}
