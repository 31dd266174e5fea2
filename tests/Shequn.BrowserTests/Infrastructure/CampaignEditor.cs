using Microsoft.Playwright;

namespace Shequn.BrowserTests.Infrastructure;

/// <summary>The campaigns page's editor, as its tests drive it.</summary>
public static class CampaignEditor
{
    /// <summary>
    /// Saves until the list shows the campaign named <paramref name="name"/>. A render under load can swallow a typed field,
    /// which the form then refuses with a field error: <paramref name="retype"/> types the fields again before the next
    /// save (at most three), and the last refusal is reported.
    /// </summary>
    public static async Task SaveUntilListedAsync(this IPage page, string name, Func<Task> retype)
    {
        var row = page.GetByTestId("campaign-name").Filter(new() { HasTextString = name });
        var refusal = "";
        for (var attempt = 0; attempt < 3 && await row.CountAsync() == 0; attempt++)
        {
            if (attempt > 0)
                await retype();
            await page.GetByTestId("campaign-save").ClickAsync();
            try
            {
                await row.WaitForAsync(new() { Timeout = 10000 });
            }
            catch (TimeoutException)
            {
                refusal = string.Join(" | ", await page.Locator(".mud-input-error").AllInnerTextsAsync());
            }
        }
        Assert.True(await row.CountAsync() > 0, "The campaign was not saved: " + refusal);
    }
}
