using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Communities;

public sealed class CommunityEditPageTests(ConsoleApp app)
{
    private const string OperatorEmail = "zhou.ting@demo.shequn.local";

    private async Task<Guid> CommunityIdAsync(string name)
    {
        using var api = app.ApiClient();
        using var doc = JsonDocument.Parse(await api.GetStringAsync($"/api/communities?q={Uri.EscapeDataString(name)}", TestContext.Current.CancellationToken));
        return doc.RootElement.GetProperty("items").EnumerateArray()
            .Where(c => c.GetProperty("name").GetString() == name).Select(c => c.GetProperty("id").GetGuid()).Single();
    }

    [Fact]
    public async Task Operator_CommunityEditPage_CannotChangeStaffRoles()
    {
        // 周婷 is an operator in 西安健康生活群, whose sub-owner is 李静.
        var id = await CommunityIdAsync("西安健康生活群");
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(OperatorEmail, app.StaffPassword);
        await page.OpenAsync($"/communities/{id}");

        var rows = page.GetByTestId("community-staff-row");
        await rows.First.WaitForAsync();
        var subOwner = rows.Filter(new() { HasTextString = "李静" });
        var herself = rows.Filter(new() { HasTextString = "周婷" });
        Assert.True(await subOwner.GetByTestId("community-staff-role").IsDisabledAsync());
        Assert.True(await subOwner.GetByTestId("community-staff-remove").IsDisabledAsync());
        Assert.True(await herself.GetByTestId("community-staff-role").IsDisabledAsync());
        Assert.True(await herself.GetByTestId("community-staff-remove").IsDisabledAsync());

        // The reason is given on hover.
        await subOwner.GetByTestId("community-staff-remove").Locator("..").HoverAsync();
        await page.Locator(".mud-tooltip").Filter(new() { HasTextString = "李静" }).First.WaitForAsync();

        // Only people below her role (KOCs) can be added, never herself or anyone above her.
        await page.GetByTestId("community-add-staff").ClickAsync();
        var options = page.Locator(".mud-popover-open .mud-list-item");
        await options.First.WaitForAsync();
        var texts = await options.AllInnerTextsAsync();
        Assert.NotEmpty(texts);
        Assert.All(texts, t => Assert.Contains("KOC", t, StringComparison.Ordinal));
        await page.Keyboard.PressAsync("Escape");
        await page.ScreenshotAsync("community-edit-operator.zh-CN");

        // What she may change still saves.
        await page.GetByTestId("community-save").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/communities");
    }

    [Fact]
    public async Task Owner_CommunityEditPage_FitsAPhone()
    {
        var id = await CommunityIdAsync("西安健康生活群");
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.SetViewportSizeAsync(PhoneLayout.Width, PhoneLayout.Height);
        await page.OpenAsync($"/communities/{id}");
        await page.GetByTestId("community-staff-row").First.WaitForAsync();

        Assert.Empty(await page.OverflowingAsync());
        Assert.True(await page.GetByTestId("community-name").WithinWidthAsync());
        var save = page.GetByTestId("community-save");
        await save.ScrollIntoViewIfNeededAsync();
        Assert.True(await save.WithinWidthAsync());
        Assert.True(await save.IsEnabledAsync());
        Assert.True(await page.GetByTestId("community-staff-role").First.WithinWidthAsync());
        await page.ScreenshotAsync("community-edit-phone.zh-CN");
    }
}
