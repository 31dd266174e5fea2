using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// 券 end to end at phone size: a member claims a code on the page and sees it under "my coupons" with its valid-until;
/// staff see the same valid-until in the campaign's activity and void the code with the button (after confirming); the
/// console shows it void, the API agrees, and the member's page shows it void and no longer as usable.
/// </summary>
public sealed class CouponPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Coupon_ClaimedOnThePhone_StaffSeeItsValidUntilAndVoidIt_ThePageNoLongerOffersIt()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "领券作废群");
        var members = await CampaignKit.JoinAsync(api, community, ["小券"]);
        var campaign = await CampaignKit.CreateAsync(api, CampaignKit.Coupons("到店 5 元券", community, validDays: 7));
        var link = await CampaignKit.LinkAsync(api, campaign.Id, members["小券"]);

        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await phone.NewPageAsync();
        await h5.GotoAsync(link);
        await h5.GetByTestId("campaign-my-coupons").Locator(".none").WaitForAsync();
        await h5.GetByTestId("coupon-claim").ClickAsync();
        await h5.GetByTestId("campaign-help-result").Filter(new() { HasTextString = "领券成功" }).WaitForAsync();
        var coupon = (await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaign.Id}/coupons", Ct)).EnumerateArray().Single();
        var code = coupon.GetProperty("code").GetString()!;
        var validUntil = coupon.GetProperty("validUntil").GetDateTime();
        var issuedAt = coupon.GetProperty("issuedAt").GetDateTime();
        Assert.Equal(issuedAt.AddDays(7), validUntil);
        // The member's list shows the code as usable, with the day it stops (in the workspace's time: Shanghai in the demo).
        var day = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(validUntil, DateTimeKind.Utc), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var mine = h5.GetByTestId("my-coupon").Filter(new() { HasTextString = code });
        await mine.WaitForAsync();
        Assert.Equal("unused", await mine.GetAttributeAsync("data-status"));
        Assert.Contains("可使用", await mine.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("有效期至 " + day, await mine.InnerTextAsync(), StringComparison.Ordinal);
        await h5.AssertFitsAsync();

        await using (var staff = await app.NewContextAsync(ConsoleApp.Phone))
        {
            var page = await staff.SignInAsync(app.OwnerEmail, app.OwnerPassword);
            await page.OpenAsync($"/campaigns?id={campaign.Id}");
            var row = page.GetByTestId("campaign-coupons").Locator("tr").Filter(new() { HasTextString = code });
            await row.WaitForAsync();
            Assert.Contains("未使用", await row.GetByTestId("coupon-status").InnerTextAsync(), StringComparison.Ordinal);
            var shown = await row.GetByTestId("coupon-valid-until").InnerTextAsync();
            Assert.Contains(day, shown, StringComparison.Ordinal);
            await row.GetByTestId("coupon-void").AssertReachableAsync(PhoneLayout.Width, "the void button");
            await page.AssertFitsAsync();

            await row.GetByTestId("coupon-void").ClickAsync();
            // The confirmation names the code; the dialog's yes button says "作废" too.
            var dialog = page.Locator(".mud-dialog");
            await dialog.Filter(new() { HasTextString = code }).WaitForAsync();
            await dialog.Locator(".mud-dialog-actions button").Filter(new() { HasTextString = "作废" }).ClickAsync();
            await page.Locator(".mud-snackbar").Filter(new() { HasTextString = code }).WaitForAsync();
            await row.GetByTestId("coupon-status").Filter(new() { HasTextString = "已作废" }).WaitForAsync();
            Assert.Equal(0, await row.GetByTestId("coupon-void").CountAsync());
            await page.ScreenshotAsync("campaign-coupon-voided");
        }
        var stored = (await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaign.Id}/coupons", Ct)).EnumerateArray().Single();
        Assert.Equal("void", stored.GetProperty("status").GetString(), ignoreCase: true);
        Assert.NotEqual(JsonValueKind.Null, stored.GetProperty("voidedAt").ValueKind);

        // The member's page, opened again, shows the code void and none as usable; the shop cannot redeem it either.
        await h5.ReloadAsync();
        var after = h5.GetByTestId("my-coupon").Filter(new() { HasTextString = code });
        await after.Filter(new() { HasTextString = "已作废" }).WaitForAsync();
        Assert.Equal("void", await after.GetAttributeAsync("data-status"));
        Assert.Equal(0, await h5.Locator("[data-testid=my-coupon][data-status=unused]").CountAsync());
        Assert.DoesNotContain("可使用", await after.InnerTextAsync(), StringComparison.Ordinal);
        await h5.ScreenshotAsync("campaign-coupon-void-on-the-page");
        var redeem = await api.PostAsJsonAsync($"/api/coupons/{code}/redeem", new { orderId = "T-" + code }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, redeem.StatusCode);
    }

    [Fact]
    public async Task Editor_CouponValidity_ShownSavedAndKept()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "券有效期编辑群");
        var draft = await CampaignKit.CreateAsync(api, CampaignKit.Coupons("有效期编辑", community, validDays: 7), publish: false);

        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/campaigns?id={draft.Id}");
        var days = page.Locator("input[data-testid=rule-coupon-valid-days], [data-testid=rule-coupon-valid-days] input").First;
        await days.WaitForAsync();
        Assert.Equal("7", await days.InputValueAsync());
        await days.AssertOnScreenAsync(PhoneLayout.Width, "coupon validity");

        // Saving another field keeps the validity (the editor once dropped it), and a new value is saved.
        await page.Locator("input[data-testid=campaign-target]").FillAsync("12");
        await page.GetByTestId("campaign-save").ClickAsync();
        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "已保存" }).WaitForAsync();
        Assert.Equal(7, (await CampaignKit.GetAsync(api, draft.Id)).GetProperty("rules").GetProperty("couponValidDays").GetInt32());
        await days.FillAsync("30");
        await page.GetByTestId("campaign-save").ClickAsync();
        for (var attempt = 0; (await CampaignKit.GetAsync(api, draft.Id)).GetProperty("rules").GetProperty("couponValidDays").GetInt32() != 30; attempt++)
        {
            Assert.True(attempt < 50, "The new validity was not saved.");
            await Task.Delay(200, Ct);
        }
        await page.OpenAsync($"/campaigns?id={draft.Id}");
        await days.WaitForAsync();
        Assert.Equal("30", await days.InputValueAsync());
    }

    [Fact]
    public async Task Coupon_WithoutValidity_ReadsNoExpiry_InTheConsoleAndOnThePage_InEnglish()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "长期券群");
        var members = await CampaignKit.JoinAsync(api, community, ["Amy"]);
        var campaign = await CampaignKit.CreateAsync(api, CampaignKit.Coupons("Store coupon", community, validDays: null));
        var link = await CampaignKit.LinkAsync(api, campaign.Id, members["Amy"]);
        var code = await CampaignKit.ClaimCouponAsync(api, campaign.Slug, link);

        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await phone.NewPageAsync();
        await h5.GotoAsync(link + "&culture=en");
        var mine = h5.GetByTestId("my-coupon").Filter(new() { HasTextString = code });
        await mine.WaitForAsync();
        Assert.Contains("ready to use", await mine.InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Valid until", await mine.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("My coupons", await h5.GetByTestId("campaign-my-coupons").Locator("h2").InnerTextAsync());

        await using var staff = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await staff.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await CampaignKit.EnglishAsync(staff, app.BaseUrl);
        await page.OpenAsync($"/campaigns?id={campaign.Id}");
        var row = page.GetByTestId("campaign-coupons").Locator("tr").Filter(new() { HasTextString = code });
        await row.WaitForAsync();
        Assert.Contains("No expiry", await row.GetByTestId("coupon-valid-until").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Unused", await row.GetByTestId("coupon-status").InnerTextAsync(), StringComparison.Ordinal);
    }
}
