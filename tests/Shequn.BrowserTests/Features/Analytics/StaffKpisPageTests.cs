using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Analytics;

/// <summary>
/// A KOC's own figures: unmeasured ("—") until the owner links the KOC account to its member on the staff page; then the
/// staff KPI page measures their own messages, the speakers they reached and their interactions.
/// </summary>
public sealed class StaffKpisPageTests(ConsoleApp app)
{
    private const string Koc = "跑步达人阿杰";
    private const string Member = "林小雨";

    [Fact]
    public async Task Owner_LinksAKocToTheirMember_OnTheStaffPage_AndTheirOwnFiguresAreMeasured()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/analytics/staff");
        var kpis = page.GetByTestId("staff-kpis-table").Locator("tbody tr").Filter(new() { HasTextString = Koc });
        await kpis.WaitForAsync();
        Assert.EndsWith("—", (await kpis.GetByTestId("kpi-ownMessages").InnerTextAsync()).Trim(), StringComparison.Ordinal);

        await page.OpenAsync("/staff");
        var row = page.GetByTestId("staff-table").Locator("tbody tr").Filter(new() { Has = page.GetByTestId("staff-name").GetByText(Koc, new() { Exact = true }) });
        await row.GetByTestId("staff-edit").ClickAsync();
        var picker = page.GetByTestId("staff-edit-member");
        await picker.WaitForAsync();
        await picker.FillAsync(Member);
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = Member }).First.ClickAsync();
        await page.GetByTestId("staff-edit-save").ClickAsync();
        await picker.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // Opened again, the dialog shows the member linked.
        await row.GetByTestId("staff-edit").ClickAsync();
        await picker.WaitForAsync();
        Assert.Equal(Member, await picker.InputValueAsync());
        await page.ScreenshotAsync("owner-staff-koc-member");

        await page.OpenAsync("/analytics/staff");
        await kpis.WaitForAsync();
        foreach (var key in new[] { "ownMessages", "speakersReached", "interactions" })
        {
            var shown = await kpis.GetByTestId($"kpi-{key}").InnerTextAsync();
            // A number, not the "not measured" dash of an unlinked KOC.
            Assert.Matches(@":\s*\d+\s*$", shown);
        }
    }
}
