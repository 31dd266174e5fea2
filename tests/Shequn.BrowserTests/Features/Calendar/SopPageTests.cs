using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Calendar;

/// <summary>SOP templates made on the page: a bad step is named, a good one makes its community's post, deleting asks about it.</summary>
public sealed class SopPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sop_MakeATemplateOnThePage_ItsPostIsPlanned_DeletingAsksAndCancels()
    {
        using var api = app.ApiClient();
        var name = "SOP页面群" + Guid.NewGuid().ToString("N")[..4];
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        var community = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        var date = DateOnly.FromDateTime(DateTime.UtcNow.AddHours(8)).AddDays(5).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var template = "店庆模板" + Guid.NewGuid().ToString("N")[..4];

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/calendar/sop");
        await page.GetByTestId("sop-new").ClickAsync();
        await page.Locator("input[data-testid=sop-name-input]").FillAsync(template);
        await page.SelectOptionAsync(page.Locator("[data-testid=sop-trigger]"), "固定日期");
        await page.Locator("input[data-testid=sop-step-title]").FillAsync("店庆预告");
        await page.Locator("input[data-testid=sop-step-time]").FillAsync("25:00");
        await page.Locator("input[data-testid=sop-step-date]").FillAsync(date);
        await page.Locator("textarea[data-testid=sop-step-text]").FillAsync("{community} 店庆倒计时");
        await page.GetByTestId("sop-save").ClickAsync();
        // The bad time is named by its step and field, and nothing is saved.
        await page.GetByTestId("sop-errors").Filter(new() { HasTextString = "第 1 步 · 时刻" }).WaitForAsync();
        var none = await api.GetFromJsonAsync<JsonElement>("/api/sop", Ct);
        Assert.DoesNotContain(none.EnumerateArray(), t => t.GetProperty("name").GetString() == template);

        await page.Locator("input[data-testid=sop-step-time]").FillAsync("20:00");
        await page.Locator("[data-testid=sop-communities]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = name }).First.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        await page.GetByTestId("sop-save").ClickAsync();
        var row = page.Locator("tr").Filter(new() { Has = page.GetByTestId("sop-name").Filter(new() { HasTextString = template }) });
        await row.GetByTestId("sop-future").Filter(new() { HasTextString = "1" }).WaitForAsync();
        Assert.Contains(name, await row.InnerTextAsync(), StringComparison.Ordinal);

        var posts = await api.GetFromJsonAsync<JsonElement>($"/api/posts?from={date}&to={date}&communityId={community}", Ct);
        var post = Assert.Single(posts.EnumerateArray());
        Assert.Equal("店庆预告", post.GetProperty("title").GetString());
        var postId = post.GetProperty("postId").GetString();

        await row.GetByTestId("sop-name").ClickAsync();
        await page.GetByTestId("sop-delete").ClickAsync();
        await page.GetByTestId("sop-delete-ask").Filter(new() { HasTextString = "1" }).WaitForAsync();
        await page.GetByTestId("sop-delete-cancel").ClickAsync();
        await page.GetByTestId("sop-name").Filter(new() { HasTextString = template }).WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var cancelled = await api.GetFromJsonAsync<JsonElement>($"/api/posts/{postId}", Ct);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
    }
}
