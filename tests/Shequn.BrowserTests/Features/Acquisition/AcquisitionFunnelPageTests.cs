using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Acquisition;

/// <summary>
/// The funnel console: a channel's scans in the comparison table and its daily chart; and the personal WeChat group QR
/// upload on a live code's route (a refusal with its reason, then the new expiry).
/// </summary>
public sealed class AcquisitionFunnelPageTests(ConsoleApp app)
{
    private const string Koc = "koc.ajie@demo.shequn.local";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Funnel_ChannelWithTwoScannedCodes_RowShowsScansAndRoutedAndClickingItDrawsItsDailyChart()
    {
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var channelName = "漏斗渠道" + suffix;
        using (var api = app.ApiClient())
        {
            var community = await CreateCommunityAsync(api, "漏斗群" + suffix, "sandbox");
            var channel = (await PostAsync(api, "/api/channels", new { name = channelName, kind = "packageCard", cost = 300, costUnit = "month" })).GetProperty("id").GetGuid();
            // One code shows a landing page (a visit), the other sends the visitor straight on (a direct scan, routed).
            foreach (var landing in new[] { true, false })
            {
                var code = (await PostAsync(api, "/api/live-codes", new
                {
                    name = $"漏斗活码{suffix}{(landing ? "落地页" : "直达")}", channelId = channel, landing,
                    routes = new[] { new { communityId = community } },
                })).GetProperty("code").GetString();
                // Every request comes from one address: repeats within the window are one visitor, counted once.
                for (var i = 0; i < 2; i++)
                {
                    using var response = await api.GetAsync($"/j/{code}", Ct);
                    Assert.True(response.IsSuccessStatusCode, $"/j/{code}: {(int)response.StatusCode}");
                }
            }
        }

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.Locator(".mud-navmenu a[href='/acquisition']").WaitForAsync();
        await page.OpenAsync("/acquisition");
        var table = page.GetByTestId("funnel-table");
        Assert.Contains("扫码", await table.Locator("thead").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("30 天留存", await table.Locator("thead").InnerTextAsync(), StringComparison.Ordinal);
        var row = table.Locator("tbody tr").Filter(new() { HasTextString = channelName });
        await row.WaitForAsync();
        Assert.Equal(2, ConsolePages.ParseFigure(await row.GetByTestId("funnel-scans").InnerTextAsync()));
        Assert.Equal(1, ConsolePages.ParseFigure(await row.GetByTestId("funnel-routed").InnerTextAsync()));
        Assert.Equal("0", (await row.GetByTestId("funnel-joins").InnerTextAsync()).Trim());
        Assert.Equal("—", (await row.GetByTestId("funnel-cost-per-join").InnerTextAsync()).Trim());
        Assert.Equal(0, await page.GetByTestId("funnel-chart").CountAsync());

        await row.GetByTestId("funnel-name").ClickAsync();
        var chart = page.GetByTestId("funnel-chart");
        await chart.Locator("svg").First.WaitForAsync();
        Assert.Equal(channelName, (await chart.GetByTestId("funnel-chart-title").InnerTextAsync()).Trim());
        Assert.Equal("合计：扫码 2，入群 0", (await chart.GetByTestId("funnel-chart-total").InnerTextAsync()).Trim());
        // Two series (scans, joins) are drawn.
        Assert.True(await chart.Locator("svg path").CountAsync() >= 2, "the chart draws a line per series");
        await page.ScreenshotAsync("owner-acquisition-funnel-chart");

        // By live code, each code is its own row.
        await page.SelectOptionAsync(page.GetByTestId("funnel-by"), "按活码");
        var direct = table.Locator("tbody tr").Filter(new() { HasTextString = $"漏斗活码{suffix}直达" });
        await direct.WaitForAsync();
        Assert.Equal(1, ConsolePages.ParseFigure(await direct.GetByTestId("funnel-scans").InnerTextAsync()));

        // At phone size the table turns into labelled cards that fit.
        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var small = await phone.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await small.OpenAsync("/acquisition");
        var card = small.GetByTestId("funnel-table").Locator("tbody tr").Filter(new() { HasTextString = channelName });
        await card.WaitForAsync();
        await card.GetByTestId("funnel-name").ClickAsync();
        await small.GetByTestId("funnel-chart").Locator("svg").First.WaitForAsync();
        // The chart is brought up past the cards.
        await small.WaitForFunctionAsync("() => { const r = document.querySelector('[data-testid=funnel-chart]').getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }");
        await small.AssertFitsAsync(PhoneLayout.Width, "the funnel with a channel's chart");
        await small.ScreenshotAsync("phone-owner-acquisition-funnel");
    }

    [Fact]
    public async Task Funnel_AsKoc_NotInTheMenuAndThePageSaysWhy()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Koc, app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-navmenu a[href='/acquisition']").CountAsync());
        await page.OpenAsync("/acquisition");
        await page.GetByTestId("funnel-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("funnel-table").CountAsync());
    }

    [Fact]
    public async Task LiveCodeEditor_PersonalWeChatRoute_QrUploadRefusesAnImageWithoutAGroupCodeThenTakesAGroupCode()
    {
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var group = "个人微信群" + suffix;
        Guid id;
        using (var api = app.ApiClient())
        {
            var community = await CreateCommunityAsync(api, group, "manual");
            var channel = (await PostAsync(api, "/api/channels", new { name = "海报" + suffix, kind = "moments" })).GetProperty("id").GetGuid();
            id = (await PostAsync(api, "/api/live-codes", new { name = "海报活码" + suffix, channelId = channel, routes = new[] { new { communityId = community } } }))
                .GetProperty("id").GetGuid();
        }

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/live-codes/{id}");
        var route = page.GetByTestId("live-code-route").Filter(new() { HasTextString = group });
        await route.GetByTestId("live-code-route-qr-upload").WaitForAsync();

        // A QR code, but not a group's: refused, with the reason beside the route.
        var input = route.Locator("input[type=file]").Last;
        await input.SetInputFilesAsync(new FilePayload { Name = "site.png", MimeType = "image/png", Buffer = Qr("https://example.com/not-a-group") });
        var refused = route.GetByTestId("live-code-route-qr-refused");
        await refused.WaitForAsync();
        Assert.Contains("这不是微信群二维码", await refused.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await route.GetByTestId("live-code-route-qr-uploaded").CountAsync());

        // A group's QR code: taken, and the route shows until when.
        input = route.Locator("input[type=file]").Last;
        await input.SetInputFilesAsync(new FilePayload { Name = "group.png", MimeType = "image/png", Buffer = Qr("https://weixin.qq.com/g/Ab" + suffix) });
        var uploaded = route.GetByTestId("live-code-route-qr-uploaded");
        await uploaded.WaitForAsync();
        Assert.Contains("群二维码已更新", await uploaded.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await route.GetByTestId("live-code-route-qr-refused").CountAsync());
        Assert.Contains("群二维码到期", await route.GetByTestId("live-code-route-qr").InnerTextAsync(), StringComparison.Ordinal);
        using (var api = app.ApiClient())
        {
            var code = await api.GetFromJsonAsync<JsonElement>($"/api/live-codes/{id}", Ct);
            var saved = code.GetProperty("routes").EnumerateArray().Single();
            Assert.Equal("https://weixin.qq.com/g/Ab" + suffix, saved.GetProperty("qrText").GetString());
            Assert.NotEqual(JsonValueKind.Null, saved.GetProperty("qrExpiresAt").ValueKind);
        }
    }

    private static byte[] Qr(string text)
    {
        using var generator = new QRCoder.QRCodeGenerator();
        using var qr = generator.CreateQrCode(text, QRCoder.QRCodeGenerator.ECCLevel.M);
        return new QRCoder.PngByteQRCode(qr).GetGraphic(8);
    }

    private static async Task<Guid> CreateCommunityAsync(HttpClient api, string name, string platform) =>
        (await PostAsync(api, "/api/communities", new
        {
            name, platform, type = "content", subType = "topic", tier = "regional", capacity = 200, state = "active",
        })).GetProperty("id").GetGuid();

    private static async Task<JsonElement> PostAsync(HttpClient api, string path, object body)
    {
        var response = await api.PostAsJsonAsync(path, body, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
