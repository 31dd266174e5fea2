using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Profiles;

public sealed class ProfileFormTests(ConsoleApp app)
{
    /// <summary>A new member and their profile form link (its path).</summary>
    private static async Task<(Guid Id, string Path)> MemberWithLinkAsync(HttpClient api, string namePrefix, CancellationToken ct)
    {
        var created = await api.PostAsJsonAsync("/api/members", new { displayName = namePrefix + Guid.NewGuid().ToString("N")[..6], layer = "regular" }, ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        var made = await api.PostAsync($"/api/members/{id}/profile-link", null, ct);
        made.EnsureSuccessStatusCode();
        return (id, new Uri((await made.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("url").GetString()!).AbsolutePath);
    }

    private static async Task<IPage> OpenFormAsync(IBrowserContext context, string path)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        await page.GetByTestId("profile-form").WaitForAsync();
        return page;
    }

    [Fact]
    public async Task Member_OnAPhone_FillsTheFormFromTheLink_TicksConsent_AndSubmits_ThenTheLinkIsUsed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var (id, path) = await MemberWithLinkAsync(api, "资料测试-", ct);

        // The member is not signed in: a fresh phone-sized browser.
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await OpenFormAsync(context, path);
        await page.AssertFitsAsync((int)ConsoleApp.Phone.Width, "profile form");

        await page.GetByTestId("profile-field-city").FillAsync("杭州");
        await page.GetByTestId("profile-field-industry").FillAsync("健康");
        await page.GetByTestId("profile-need-knowledge").CheckAsync();
        await page.GetByTestId("profile-field-phone").FillAsync("13700002222");

        // Without the consent line: refused, with the reason beside it.
        await page.GetByTestId("profile-submit").AssertReachableAsync((int)ConsoleApp.Phone.Width, "profile form: submit");
        await page.GetByTestId("profile-submit").ClickAsync();
        await page.GetByTestId("profile-consent-error").WaitForAsync();
        Assert.Equal("杭州", await page.GetByTestId("profile-field-city").InputValueAsync());

        await page.GetByTestId("profile-consent").CheckAsync();
        await page.GetByTestId("profile-submit").ClickAsync();
        await page.GetByTestId("profile-form-thanks").WaitForAsync();
        await page.ScreenshotAsync("profile-form.phone.zh-CN");

        var member = await api.GetFromJsonAsync<JsonElement>($"/api/members/{id}", ct);
        Assert.Equal("杭州", member.GetProperty("city").GetString());
        Assert.Equal("健康", member.GetProperty("industry").GetString());
        Assert.Equal("137****2222", member.GetProperty("phone").GetString());

        await page.GotoAsync(path);
        await page.GetByTestId("profile-form-closed").WaitForAsync();
        await page.AssertFitsAsync((int)ConsoleApp.Phone.Width, "used link page");
    }

    [Fact]
    public async Task Member_OnAPhone_SwitchesTheFormToEnglish_AndARefusedSubmitStaysInEnglish()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var (_, path) = await MemberWithLinkAsync(api, "Lang-", ct);

        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await OpenFormAsync(context, path);
        Assert.Equal("English", (await page.GetByTestId("profile-language").InnerTextAsync()).Trim());

        await page.GetByTestId("profile-language").ClickAsync();
        await page.GetByTestId("profile-submit").WaitForAsync();
        Assert.Equal("Submit", (await page.GetByTestId("profile-submit").InnerTextAsync()).Trim());
        Assert.Equal("中文", (await page.GetByTestId("profile-language").InnerTextAsync()).Trim());
        await page.AssertFitsAsync((int)ConsoleApp.Phone.Width, "profile form in English");

        // Without consent: refused, still in English.
        await page.GetByTestId("profile-submit").ClickAsync();
        await page.GetByTestId("profile-consent-error").WaitForAsync();
        Assert.Equal("Submit", (await page.GetByTestId("profile-submit").InnerTextAsync()).Trim());
        Assert.Equal("en", await page.EvaluateAsync<string>("document.documentElement.lang"));
    }
}
