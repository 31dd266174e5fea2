using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Members;

/// <summary>Members named here are the demo's personas (Features/Demo/DemoCatalog.cs), unique in the demo.</summary>
public sealed class MemberPagesTests(ConsoleApp app)
{
    [Fact]
    public async Task Search_PersonasName_FindsOnlyHerAndOpensHerPage()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/members");

        await page.GetByTestId("member-search").FillAsync("林小雨");
        await page.WaitForFunctionAsync("""
            () => { const l = document.querySelectorAll('[data-testid=member-link]'); return l.length === 1 && l[0].textContent.trim() === '林小雨'; }
            """);
        var row = page.GetByTestId("member-table").Locator("tbody tr").First;
        Assert.Contains("西安", await row.InnerTextAsync(), StringComparison.Ordinal);

        await page.GetByTestId("member-link").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath.StartsWith("/members/", StringComparison.Ordinal));
        await page.GetByTestId("member-title").Filter(new() { HasTextString = "林小雨" }).WaitForAsync();
        Assert.Contains("西安健康生活群", await page.GetByTestId("member-memberships").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BulkTag_SelectedMember_TagShownOnHisPageAndInTheApi()
    {
        const string Name = "张建国";
        const string Tag = "大客户";
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/members");
        Assert.DoesNotContain(Tag, await TagsInApiAsync(Name));

        await page.GetByTestId("member-search").FillAsync(Name);
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('[data-testid=member-link]').length === 1");
        var row = page.GetByTestId("member-table").Locator("tbody tr").First;
        await row.Locator(".mud-checkbox input").CheckAsync();
        await page.GetByTestId("bulk-selected-count").Filter(new() { HasTextString = "1" }).WaitForAsync();
        await page.SelectOptionAsync(page.GetByTestId("bulk-tag-select"), Tag);
        await page.GetByTestId("bulk-tag-apply").ClickAsync();

        await row.GetByTestId("member-row-tag").Filter(new() { HasTextString = Tag }).WaitForAsync();
        Assert.Contains(Tag, await TagsInApiAsync(Name));
        await page.GetByTestId("member-link").ClickAsync();
        await page.GetByTestId("member-tag").Filter(new() { HasTextString = Tag }).WaitForAsync();
        Assert.Contains(Tag, await page.GetByTestId("member-tags").InnerTextAsync(), StringComparison.Ordinal);
    }

    private async Task<List<string>> TagsInApiAsync(string name)
    {
        using var api = app.ApiClient();
        var body = await api.GetStringAsync($"/api/members?q={Uri.EscapeDataString(name)}", TestContext.Current.CancellationToken);
        using var page = JsonDocument.Parse(body);
        var member = Assert.Single(page.RootElement.GetProperty("items").EnumerateArray());
        return [.. member.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("name").GetString()!)];
    }
}
