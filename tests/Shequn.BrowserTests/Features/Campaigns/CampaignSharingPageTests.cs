using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// Sharing and phone capture: the editor's phone switch is saved and shown again; staff who edit pick a member of the
/// audience and get their personal link (copied) and share poster (previewed, downloaded); a member leaves a phone with
/// consent on the page, and only owners (and sub-owners) see it in the console's leads panel; a KOC gets neither.
/// </summary>
public sealed class CampaignSharingPageTests(ConsoleApp app)
{
    private const string Operator = "wu.lei@demo.shequn.local";
    private const string Koc = "koc.ajie@demo.shequn.local";
    private const string FishOil = "深海鱼油交流群";
    // MudBlazor puts the test id on the switch's input or around it.
    private const string CollectPhone = "input[data-testid=rule-collect-phone], [data-testid=rule-collect-phone] input";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Sale(string name, Guid community, bool collectPhone) => new
    {
        name, kind = "flashSale", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(2),
        audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
        rules = new { priceFen = 990, originalPriceFen = 1990, stock = 10, perPersonLimit = 1, collectPhone = collectPhone ? true : (bool?)null },
    };

    [Fact]
    public async Task Editor_PhoneSwitchSavedAndReloaded_SharePanelGivesTheMembersLinkAndPoster()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "分享面板群");
        var members = await CampaignKit.JoinAsync(api, community, ["小桃"]);
        var sale = await CampaignKit.CreateAsync(api, Sale("分享海报秒杀", community, collectPhone: false), publish: false);

        await using var context = await app.NewContextAsync();
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/campaigns?id={sale.Id}");
        await page.GetByTestId("campaign-share-draft").WaitForAsync();
        Assert.False(await page.Locator(CollectPhone).IsCheckedAsync());
        await page.Locator(CollectPhone).CheckAsync();
        await page.GetByTestId("campaign-save").ClickAsync();
        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "已保存" }).WaitForAsync();
        Assert.True((await CampaignKit.GetAsync(api, sale.Id)).GetProperty("rules").GetProperty("collectPhone").GetBoolean());
        await page.OpenAsync($"/campaigns?id={sale.Id}");
        await page.GetByTestId("campaign-editor").WaitForAsync();
        Assert.True(await page.Locator(CollectPhone).IsCheckedAsync());

        await page.GetByTestId("campaign-publish").ClickAsync();
        await page.GetByTestId("campaign-share").WaitForAsync();
        await page.Locator("input[data-testid=campaign-share-member]").FillAsync("小桃");
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "小桃" }).First.ClickAsync();
        var link = page.Locator("input[data-testid=campaign-share-link]");
        await link.WaitForAsync();
        var expected = (await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{sale.Id}/links/{members["小桃"]}", Ct)).GetProperty("url").GetString();
        Assert.Equal(expected, await link.InputValueAsync());

        await page.GetByTestId("campaign-share-copy").ClickAsync();
        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "链接已复制" }).WaitForAsync();
        Assert.Equal(expected, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        // The preview is the member's poster (750×1334), and the download link gives the same PNG.
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=campaign-share-poster]'); return i && i.complete && i.naturalWidth === 750 && i.naturalHeight === 1334; }");
        var src = await page.GetByTestId("campaign-share-poster").GetAttributeAsync("src");
        Assert.Equal($"/c/{sale.Slug}/poster.png?m={CampaignKit.Token(expected!)}", src);
        // The download link names a PNG file and fetches the same poster (the save itself is not checked: headless Chromium raised no download event for it).
        var downloadLink = page.GetByTestId("campaign-share-download");
        Assert.Equal(src, await downloadLink.GetAttributeAsync("href"));
        Assert.EndsWith(".png", await downloadLink.GetAttributeAsync("download"), StringComparison.Ordinal);
        var png = await api.GetByteArrayAsync(src, Ct);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        await page.ScreenshotAsync("campaign-share-panel");
    }

    [Fact]
    public async Task Phone_LeftWithConsentOnThePage_OwnerSeesTheLead_OperatorAndKocDoNot()
    {
        using var api = app.ApiClient();
        var communities = (await api.GetFromJsonAsync<JsonElement>("/api/communities?pageSize=100", Ct)).GetProperty("items").EnumerateArray();
        var community = communities.Single(c => c.GetProperty("name").GetString() == FishOil).GetProperty("id").GetGuid();
        var member = (await api.GetFromJsonAsync<JsonElement>($"/api/members?communityId={community}", Ct)).GetProperty("items").EnumerateArray().First().GetProperty("id").GetString()!;
        var sale = await CampaignKit.CreateAsync(api, Sale("留资秒杀" + Guid.NewGuid().ToString("N")[..4], community, collectPhone: true));

        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await phone.NewPageAsync();
        await h5.GotoAsync(await CampaignKit.LinkAsync(api, sale.Id, member));
        await h5.GetByTestId("campaign-phone-consent-text").Filter(new() { HasTextString = "我同意" }).WaitForAsync();
        await h5.GetByTestId("campaign-phone-input").FillAsync("138 0013 8000");
        // Without the tick the phone is refused, and nothing is kept.
        await h5.GetByTestId("campaign-phone-submit").ClickAsync();
        var result = h5.GetByTestId("campaign-phone-result");
        await result.Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex(@"\S") }).WaitForAsync();
        Assert.DoesNotContain("138****8000", await result.InnerTextAsync(), StringComparison.Ordinal);
        await h5.GetByTestId("campaign-phone-consent").CheckAsync();
        await h5.GetByTestId("campaign-phone-submit").ClickAsync();
        await result.Filter(new() { HasTextString = "138****8000" }).WaitForAsync();
        Assert.Equal(0, await h5.Locator("body").EvaluateAsync<int>("b => b.scrollWidth > window.innerWidth ? 1 : 0"));
        await h5.ScreenshotAsync("campaign-phone-capture");

        await using (var owner = await app.NewContextAsync())
        {
            var page = await owner.SignInAsync(app.OwnerEmail, app.OwnerPassword);
            await page.OpenAsync($"/campaigns?id={sale.Id}");
            await page.GetByTestId("campaign-lead-phone").Filter(new() { HasTextString = "138****8000" }).WaitForAsync();
            Assert.Equal(1, await page.GetByTestId("campaign-lead-phone").CountAsync());
        }
        await using (var operatorContext = await app.NewContextAsync())
        {
            var page = await operatorContext.SignInAsync(Operator, app.StaffPassword);
            await page.OpenAsync($"/campaigns?id={sale.Id}");
            await page.GetByTestId("campaign-share").WaitForAsync();
            Assert.Equal(0, await page.GetByTestId("campaign-leads").CountAsync());
        }
        await using (var kocContext = await app.NewContextAsync())
        {
            var page = await kocContext.SignInAsync(Koc, app.StaffPassword);
            await page.OpenAsync($"/campaigns?id={sale.Id}");
            await page.GetByTestId("campaign-results").WaitForAsync();
            Assert.Equal(0, await page.GetByTestId("campaign-leads").CountAsync());
            Assert.Equal(0, await page.GetByTestId("campaign-share").CountAsync());
            Assert.Equal(0, await page.GetByTestId("campaign-share-draft").CountAsync());
        }
    }
}
