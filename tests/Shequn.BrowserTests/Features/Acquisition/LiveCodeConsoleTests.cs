using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Acquisition;

/// <summary>
/// Channels and live codes in the console (the editor: routes, the short link, the QR image, a refusal named at its
/// field) and the public side of a code on a phone: the landing page, a choice, the Sandbox join, the not-found page.
/// </summary>
public sealed partial class LiveCodeConsoleTests(ConsoleApp app)
{
    private const string Koc = "koc.ajie@demo.shequn.local";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LiveCodeEditor_ChannelAndTwoSandboxRoutes_SavedWithShortLinkAndQrAndTargetPastLimitRefusedAtTheField()
    {
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var (shanghai, beijing) = ("活码上海群" + suffix, "活码北京群" + suffix);
        using (var api = app.ApiClient())
        {
            await CreateSandboxCommunityAsync(api, shanghai);
            await CreateSandboxCommunityAsync(api, beijing);
        }
        var channel = "直播间" + suffix;
        var name = "直播间活码" + suffix;

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);

        // A channel, through its dialog.
        await page.OpenAsync("/channels");
        await page.GetByTestId("channel-new").ClickAsync();
        await page.Locator("input[data-testid=channel-edit-name]").FillAsync(channel);
        await page.SelectOptionAsync(page.GetByTestId("channel-edit-kind"), "直播间");
        await page.Locator("input[data-testid=channel-edit-cost]").FillAsync("3000");
        await page.GetByTestId("channel-save").ClickAsync();
        var row = page.GetByTestId("channel-table").Locator("tbody tr").Filter(new() { HasTextString = channel });
        await row.WaitForAsync();
        Assert.Equal("直播间", (await row.GetByTestId("channel-kind").InnerTextAsync()).Trim());
        Assert.Equal("¥3,000 / 月", (await row.GetByTestId("channel-cost").InnerTextAsync()).Trim());

        // A live code routing by choice to the two groups.
        await page.OpenAsync("/live-codes");
        await page.GetByTestId("live-code-new").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/live-codes/new");
        await page.WaitForInteractiveAsync();
        await page.Locator("input[data-testid=live-code-edit-name]").FillAsync(name);
        await page.SelectOptionAsync(page.GetByTestId("live-code-edit-channel"), channel);
        await page.SelectOptionAsync(page.GetByTestId("live-code-edit-policy"), "按选择分配");
        await page.Locator("input[data-testid=live-code-edit-choice-question]").FillAsync("您在哪个城市？");
        await page.Locator("textarea[data-testid=live-code-edit-intro]").FillAsync("同城健康交流，每周分享营养知识。");
        foreach (var (community, choice) in new[] { (shanghai, "上海"), (beijing, "北京") })
        {
            await page.SelectOptionAsync(page.GetByTestId("live-code-route-add"), community);
            await page.GetByTestId("live-code-route-add-button").ClickAsync();
            var route = page.GetByTestId("live-code-route").Filter(new() { HasTextString = community });
            await route.Locator("input[data-testid=live-code-route-choice]").FillAsync(choice);
        }
        await page.GetByTestId("live-code-save").ClickAsync();
        await page.WaitForURLAsync(new Regex("/live-codes/[0-9a-f-]{36}$"));

        var link = (await page.GetByTestId("live-code-link").InnerTextAsync()).Trim();
        Assert.Matches(ShortLink(), link);
        var qr = page.GetByTestId("live-code-qr");
        await qr.WaitForAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=live-code-qr]'); return i && i.complete && i.naturalWidth > 0; }");
        Assert.Equal(258, await qr.EvaluateAsync<int>("i => i.naturalWidth"));
        Assert.Equal(7, await page.GetByTestId("live-code-downloads").Locator("a").CountAsync());
        var routes = page.GetByTestId("live-code-route");
        Assert.Equal(2, await routes.CountAsync());
        Assert.Contains(shanghai, await routes.Nth(0).GetByTestId("live-code-route-name").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("上海", await routes.Nth(0).Locator("input[data-testid=live-code-route-choice]").InputValueAsync());
        Assert.Equal("可加入", (await routes.Nth(1).GetByTestId("live-code-route-open").InnerTextAsync()).Trim());

        // The target may not pass the operating limit (200): the refusal stands at the target field.
        var target = page.Locator("input[data-testid=live-code-edit-target]");
        await target.FillAsync("300");
        await page.GetByTestId("live-code-save").ClickAsync();
        var field = page.Locator(".mud-input-control").Filter(new() { Has = target });
        await field.Locator(".mud-input-error").Filter(new() { HasTextString = "目标人数须在 1 到上限（200）之间。" }).WaitForAsync();
        await page.GetByTestId("live-code-invalid").WaitForAsync();

        // Within the limit it saves; the list shows the code with its fill per group.
        await target.FillAsync("120");
        await page.GetByTestId("live-code-save").ClickAsync();
        await page.GetByTestId("live-code-invalid").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        using (var api = app.ApiClient())
        {
            var codes = await api.GetFromJsonAsync<JsonElement>("/api/live-codes", Ct);
            var saved = codes.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
            Assert.Equal(120, saved.GetProperty("target").GetInt32());
            Assert.Equal(link, saved.GetProperty("shortLink").GetString());
        }
        var editor = new Uri(page.Url).AbsolutePath;
        await page.OpenAsync("/live-codes");
        var listed = page.GetByTestId("live-code-table").Locator("tbody tr").Filter(new() { HasTextString = name });
        await listed.WaitForAsync();
        Assert.Equal(2, await listed.GetByTestId("live-code-fill-row").CountAsync());
        Assert.Equal("0 / 200", (await listed.GetByTestId("live-code-fill-figures").First.InnerTextAsync()).Trim());

        // With rows, routes and the QR on the page, both still fit a phone's width.
        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var small = await phone.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await small.OpenAsync("/live-codes");
        await small.GetByTestId("live-code-table").Locator("tbody tr").Filter(new() { HasTextString = name }).WaitForAsync();
        await small.AssertFitsAsync(PhoneLayout.Width, "the live codes with a code");
        await small.ScreenshotAsync("phone-owner-live-codes-listed");
        await small.OpenAsync(editor);
        await small.GetByTestId("live-code-route").Nth(1).WaitForAsync();
        await small.GetByTestId("live-code-save").AssertReachableAsync(PhoneLayout.Width, "the saved live code: save");
        await small.AssertFitsAsync(PhoneLayout.Width, "the saved live code");
        await small.ScreenshotAsync("phone-owner-live-code-saved");
    }

    [Fact]
    public async Task LandingPage_AtPhoneSize_FitsShowsTheIntroAndAChoiceLeadsToItsSandboxGroup()
    {
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var (shanghai, beijing) = ("落地页上海群" + suffix, "落地页北京群" + suffix);
        const string intro = "同城宝妈交流，每周三晚上分享育儿营养。";
        string code;
        using (var api = app.ApiClient())
        {
            var a = await CreateSandboxCommunityAsync(api, shanghai);
            var b = await CreateSandboxCommunityAsync(api, beijing);
            var channel = await PostAsync(api, "/api/channels", new { name = "包裹卡" + suffix, kind = "packageCard" });
            var created = await PostAsync(api, "/api/live-codes", new
            {
                name = "包裹卡活码" + suffix, channelId = channel.GetProperty("id").GetGuid(), policy = "byChoice", choiceQuestion = "您在哪个城市？", intro,
                routes = new[] { new { communityId = a, choice = "上海" }, new { communityId = b, choice = "北京" } },
            });
            code = created.GetProperty("code").GetString()!;
        }

        // A visitor's phone: not signed in.
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"/j/{code}");
        Assert.Equal((int)HttpStatusCode.OK, response!.Status);
        await page.AssertFitsAsync(PhoneLayout.Width, "the landing page");
        Assert.Contains(intro, await page.GetByTestId("livecode-intro").InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("phone-live-code-landing");

        await page.SelectOptionAsync("[data-testid=livecode-choice]", "北京");
        await page.GetByTestId("livecode-join").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/j/{code}/sandbox/"));
        Assert.Equal(beijing, (await page.Locator("[data-testid=livecode-sandbox] h1").InnerTextAsync()).Trim());
        await page.AssertFitsAsync(PhoneLayout.Width, "the Sandbox join page");
        var nickname = "扫码新人" + suffix;
        await page.GetByTestId("livecode-sandbox-name").FillAsync(nickname);
        await page.GetByTestId("livecode-sandbox-join").ClickAsync();
        var joined = page.GetByTestId("livecode-sandbox-joined");
        await joined.WaitForAsync();
        Assert.Contains(nickname, await joined.InnerTextAsync(), StringComparison.Ordinal);

        // The page speaks English on request.
        await page.GotoAsync($"/j/{code}");
        await page.GetByTestId("livecode-language").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).Query.Contains("culture=en", StringComparison.Ordinal));
        Assert.Equal("Join the group", (await page.GetByTestId("livecode-join").InnerTextAsync()).Trim());
        Assert.Equal("中文", (await page.GetByTestId("livecode-language").InnerTextAsync()).Trim());
        await page.AssertFitsAsync(PhoneLayout.Width, "the landing page in English");
    }

    [Fact]
    public async Task ShortLink_UnknownCode_NotFoundPageWith404()
    {
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync("/j/AAAAAAAA");
        Assert.Equal((int)HttpStatusCode.NotFound, response!.Status);
        await page.GetByTestId("livecode-not-found").WaitForAsync();
        await page.AssertFitsAsync(PhoneLayout.Width, "the not-found page");
    }

    [Fact]
    public async Task ChannelsAndLiveCodes_AsKoc_NotInTheMenuAndThePagesSayWhy()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Koc, app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-navmenu a[href='/channels'], .mud-navmenu a[href='/live-codes']").CountAsync());

        await page.OpenAsync("/channels");
        await page.GetByTestId("channels-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("channel-new").CountAsync());
        await page.OpenAsync("/live-codes");
        await page.GetByTestId("live-codes-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("live-code-new").CountAsync());
        await page.OpenAsync("/live-codes/new");
        await page.GetByTestId("live-codes-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("live-code-save").CountAsync());
    }

    private static async Task<Guid> CreateSandboxCommunityAsync(HttpClient api, string name) =>
        (await PostAsync(api, "/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "regional", capacity = 200, state = "active",
        })).GetProperty("id").GetGuid();

    private static async Task<JsonElement> PostAsync(HttpClient api, string path, object body)
    {
        var response = await api.PostAsJsonAsync(path, body, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [GeneratedRegex("^https?://.+/j/[A-Za-z0-9]{8}$")]
    private static partial Regex ShortLink();
}
