using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Enforcement;

public sealed class RuleSetsPageTests(ConsoleApp app)
{
    // An operator of the demo's drill group: reads the rules, changes none.
    private const string OperatorEmail = "zheng.xue@demo.shequn.local";

    [Fact]
    public async Task FromTemplate_FieldEditedAndSaved_ThenBadValuesShowTheirMessagesAndAreNotStored()
    {
        var name = "浏览器群规-" + Guid.NewGuid().ToString("N")[..6];
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.GetByTestId("nav-rules").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/rules");
        await page.WaitForInteractiveAsync();

        await page.SelectOptionAsync(page.GetByTestId("ruleset-template"), "严格");
        await page.GetByTestId("ruleset-new-name").FillAsync(name);
        await page.GetByTestId("ruleset-create").ClickAsync();
        await page.GetByTestId("ruleset-editor-title").Filter(new() { HasTextString = name }).WaitForAsync();
        Assert.Equal("城市-行业-昵称", await page.GetByTestId("ruleset-nickname-format").InputValueAsync());

        await page.GetByTestId("ruleset-floodMessages").FillAsync("9");
        await page.GetByTestId("ruleset-save").ClickAsync();
        var stored = await StoredAsync(name, s => s.GetProperty("spec").GetProperty("floodMessages").GetInt32() == 9);
        Assert.Equal("strict", stored.GetProperty("template").GetString());

        await page.GetByTestId("ruleset-nickname-format").FillAsync("城市行业昵称");
        await page.GetByTestId("ruleset-pattern-add").ClickAsync();
        await page.GetByTestId("ruleset-pattern-name").Last.FillAsync("回溯");
        await page.GetByTestId("ruleset-pattern-regex").Last.FillAsync("(a+)+b");
        await page.GetByTestId("ruleset-save").ClickAsync();

        var errors = page.GetByTestId("ruleset-errors");
        await errors.WaitForAsync();
        var text = await errors.InnerTextAsync();
        Assert.Contains("这个格式用不了", text, StringComparison.Ordinal);
        Assert.Contains("病态正则", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pathological", text, StringComparison.Ordinal);
        // The field itself says why, under it.
        var field = page.Locator(".mud-input-control").Filter(new() { Has = page.GetByTestId("ruleset-nickname-format") });
        Assert.Contains("分隔符", await field.InnerTextAsync(), StringComparison.Ordinal);
        stored = await StoredAsync(name);
        Assert.Equal("城市-行业-昵称", stored.GetProperty("spec").GetProperty("nicknameFormat").GetString());
        Assert.Equal(0, stored.GetProperty("spec").GetProperty("customPatterns").GetArrayLength());
        await page.ScreenshotAsync("rules-refused.zh-CN");
    }

    [Fact]
    public async Task CommunityPage_AdsCommunity_ShowsItFollowsTheAdsRuleSet()
    {
        using var api = app.ApiClient();
        var communities = await api.GetFromJsonAsync<JsonElement>("/api/communities?tier=ads", TestContext.Current.CancellationToken);
        var id = communities.GetProperty("items")[0].GetProperty("id").GetString();
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{id}");

        await page.GetByTestId("community-ruleset-field").Filter(new() { HasTextString = "广告群群规" }).WaitForAsync();

        // Choosing the workspace default saves at once; the ads rule set is chosen back for the other tests.
        await page.SelectOptionAsync(page.GetByTestId("community-ruleset"), "工作区默认");
        await EffectiveAsync(api, id!, inherited: true);
        await page.SelectOptionAsync(page.GetByTestId("community-ruleset"), "广告群群规");
        await EffectiveAsync(api, id!, inherited: false);
    }

    private static async Task EffectiveAsync(HttpClient api, string communityId, bool inherited)
    {
        for (var i = 0; ; i++)
        {
            var effective = await api.GetFromJsonAsync<JsonElement>($"/api/communities/{communityId}/ruleset", TestContext.Current.CancellationToken);
            if (effective.GetProperty("inherited").GetBoolean() == inherited)
                return;
            Assert.True(i < 50, $"The community's rule set is not {(inherited ? "the default" : "its own")}: {effective}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("operator")]
    public async Task Page_AtPhoneSize_FitsAndItsActionsAreReachable(string role)
    {
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = role == "owner"
            ? await context.SignInAsync(app.OwnerEmail, app.OwnerPassword)
            : await context.SignInAsync(OperatorEmail, app.StaffPassword);
        await page.OpenAsync("/rules");
        var what = $"rules as {role}";

        if (role == "owner")
            await page.GetByTestId("ruleset-create").AssertReachableAsync(PhoneLayout.Width, $"{what}: create");
        else
            await page.GetByTestId("rulesets-read-only").AssertOnScreenAsync(PhoneLayout.Width, $"{what}: notice");
        await page.GetByTestId("ruleset-card").Filter(new() { Has = page.GetByTestId("ruleset-default") }).GetByTestId("ruleset-edit").ClickAsync();
        await page.GetByTestId("ruleset-editor").WaitForAsync();
        if (role == "owner")
            await page.GetByTestId("ruleset-save").AssertReachableAsync(PhoneLayout.Width, $"{what}: save");
        else
            Assert.Equal(0, await page.GetByTestId("ruleset-save").CountAsync());
        await page.AssertFitsAsync(PhoneLayout.Width, what);
        await page.ScreenshotAsync($"phone-{role}-rules");
    }

    /// <summary>The rule set as the API gives it, once <paramref name="until"/> holds (a save is a round trip away).</summary>
    private async Task<JsonElement> StoredAsync(string name, Func<JsonElement, bool>? until = null)
    {
        using var api = app.ApiClient();
        for (var i = 0; ; i++)
        {
            var sets = await api.GetFromJsonAsync<JsonElement>("/api/rulesets", TestContext.Current.CancellationToken);
            var set = sets.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
            if (until is null || until(set))
                return set;
            Assert.True(i < 50, $"Not saved as expected: {set}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
