using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Members;

/// <summary>The member list as operators use it every day, and the member page as a KOC sees it. Demo data throughout.</summary>
public sealed class MemberListPageTests(ConsoleApp app)
{
    private const string KocEmail = "koc.xiaoyu@demo.shequn.local";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> ApiAsync(string path)
    {
        using var api = app.ApiClient();
        return JsonDocument.Parse(await api.GetStringAsync(path, Ct)).RootElement.Clone();
    }

    private static Task<IReadOnlyList<string>> NamesAsync(IPage page) =>
        page.GetByTestId("member-link").AllInnerTextsAsync();

    [Fact]
    public async Task Sort_ByMessagesDescending_ShowsTheMostActiveFirst()
    {
        var expected = (await ApiAsync("/api/members?sort=-messages&pageSize=3")).GetProperty("items").EnumerateArray()
            .Select(m => m.GetProperty("displayName").GetString()!).ToList();
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/members");
        await page.GetByTestId("member-link").First.WaitForAsync();

        await page.GetByTestId("sort-messages").ClickAsync();
        await page.GetByTestId("sort-messages").ClickAsync();

        await page.WaitForFunctionAsync(
            "names => { const l = [...document.querySelectorAll('[data-testid=member-link]')].slice(0, 3).map(a => a.textContent.trim()); return l.join('|') === names.join('|'); }",
            expected);
        var counts = await page.GetByTestId("member-row-messages").AllInnerTextsAsync();
        var numbers = counts.Take(10).Select(ConsolePages.ParseFigure).ToList();
        Assert.Equal(numbers.OrderDescending(), numbers);
        Assert.True(numbers[0] > 0);
    }

    [Fact]
    public async Task SelectAll_AcrossPages_TagsEveryMemberMatchingTheFilter()
    {
        var tagName = "全选测试" + Guid.NewGuid().ToString("N")[..6];
        using var api = app.ApiClient();
        var tag = JsonDocument.Parse(await (await api.PostAsJsonAsync("/api/tags", new { name = tagName }, Ct)).Content.ReadAsStringAsync(Ct)).RootElement;
        var tagId = tag.GetProperty("id").GetString();
        var community = (await ApiAsync("/api/communities?pageSize=200")).GetProperty("items").EnumerateArray()
            .Where(c => c.GetProperty("memberCount").GetInt32() is > 50 and < 400)
            .OrderBy(c => c.GetProperty("memberCount").GetInt32())
            .First();
        var communityName = community.GetProperty("name").GetString()!;
        var members = (await ApiAsync($"/api/members?communityId={community.GetProperty("id").GetString()}&pageSize=1")).GetProperty("total").GetInt32();

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/members");
        await page.SelectOptionAsync(page.GetByTestId("member-filter-community"), communityName);
        await page.GetByTestId("member-pager").Filter(new() { HasTextString = members.ToString(System.Globalization.CultureInfo.InvariantCulture) }).WaitForAsync();
        await page.GetByTestId("member-table").Locator("thead .mud-checkbox input").CheckAsync();
        await page.GetByTestId("bulk-select-all").ClickAsync();
        await page.GetByTestId("bulk-selected-count").Filter(new() { HasTextString = members.ToString(System.Globalization.CultureInfo.InvariantCulture) }).WaitForAsync();
        await page.SelectOptionAsync(page.GetByTestId("bulk-tag-select"), tagName);
        await page.GetByTestId("bulk-tag-apply").ClickAsync();

        var dialog = page.Locator(".mud-dialog");
        Assert.Contains(members.ToString(System.Globalization.CultureInfo.InvariantCulture), await dialog.InnerTextAsync(), StringComparison.Ordinal);
        await dialog.Locator(".mud-dialog-actions button").Last.ClickAsync();

        // The selection cleared: a count of 0 on its own (a count of 60 also contains a "0").
        await page.GetByTestId("bulk-selected-count").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex(@"(^|\D)0(\D|$)") }).WaitForAsync();
        var tagged = (await ApiAsync($"/api/members?tagId={tagId}&pageSize=1")).GetProperty("total").GetInt32();
        Assert.Equal(members, tagged);
    }

    [Fact]
    public async Task ExportCsv_CurrentFilter_DownloadsUtf8WithBomAndOnlyMatchingMembers()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/members");
        await page.GetByTestId("member-search").FillAsync("林小雨");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=member-link]').length === 1");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("member-export-csv").ClickAsync());

        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!, Ct);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("姓名", lines[0], StringComparison.Ordinal);
        Assert.Contains("林小雨", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberPage_Koc_ReadOnlyWithActivityAndNoWayToChangeOrImport()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(KocEmail, app.StaffPassword);
        await page.OpenAsync("/members");
        await page.GetByTestId("member-link").First.WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("new-member").CountAsync());
        Assert.Equal(0, await page.GetByTestId("bulk-tag-apply").CountAsync());

        await page.GetByTestId("sort-last-spoke").ClickAsync();
        await page.GetByTestId("sort-last-spoke").ClickAsync();
        // The list sorts again as the demo's live traffic arrives: open the first member's page by its address rather
        // than clicking a row that may be replaced under the pointer.
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var href = await page.GetByTestId("member-link").First.GetAttributeAsync("href");
        Assert.StartsWith("/members/", href, StringComparison.Ordinal);
        await page.OpenAsync(href!);
        await page.GetByTestId("member-read-only").WaitForAsync();

        Assert.True(await page.GetByTestId("member-profile-view").IsVisibleAsync());
        Assert.Equal(0, await page.GetByTestId("member-save").CountAsync());
        Assert.Equal(0, await page.GetByTestId("member-name").CountAsync());
        Assert.Equal(0, await page.GetByTestId("member-tag-select").CountAsync());
        Assert.True(ConsolePages.ParseFigure(await page.GetByTestId("member-message-count").InnerTextAsync()) > 0);
        Assert.True(await page.GetByTestId("member-messages").Locator("tbody tr").CountAsync() > 0);

        await page.OpenAsync("/members/new");
        await page.GetByTestId("member-forbidden").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("member-save").CountAsync());

        var communityId = (await ApiAsync("/api/communities?q=" + Uri.EscapeDataString("全国健康食品交流群"))).GetProperty("items")[0].GetProperty("id").GetString();
        await page.OpenAsync($"/communities/{communityId}/activity");
        await page.GetByTestId("today-figures").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("open-import").CountAsync());
        await page.OpenAsync($"/communities/{communityId}/import");
        await page.GetByTestId("import-forbidden").WaitForAsync();
    }

    [Fact]
    public async Task Phone_MembersListAndMemberPage_FitAndShowLabelledCards()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.SetViewportSizeAsync(390, 844);
        await page.OpenAsync("/members");
        await page.GetByTestId("member-link").First.WaitForAsync();

        Assert.Equal("姓名", await page.GetByTestId("member-table").Locator("tbody tr").First.Locator("td").Nth(1).GetAttributeAsync("data-label"));
        await PhoneLayout.AssertFitsAsync(page);
        var apply = await page.GetByTestId("bulk-tag-apply").BoundingBoxAsync();
        Assert.NotNull(apply);
        Assert.True(apply.Height < 60 && apply.Width > 80, $"bulk-tag button is {apply.Width}×{apply.Height}");
        Assert.True(await page.GetByTestId("member-export-csv").IsVisibleAsync());
        await page.ScreenshotAsync("members.phone");

        await page.GetByTestId("member-link").First.ClickAsync();
        await page.GetByTestId("member-memberships").WaitForAsync();
        await PhoneLayout.AssertFitsAsync(page);
        Assert.True(await page.GetByTestId("member-save").IsVisibleAsync());
        await page.ScreenshotAsync("member.phone");
    }
}
