using Microsoft.Playwright;

namespace Shequn.BrowserTests.Infrastructure;

/// <summary>Checks for the 390×844 phone layout.</summary>
public static class PhoneLayout
{
    public static int Width => ConsoleApp.Phone.Width;
    public static int Height => ConsoleApp.Phone.Height;

    /// <summary>What does not fit a phone's width (see <see cref="ConsoleLayout.FindOverflowAsync"/>), one line each.</summary>
    public static async Task<string[]> OverflowingAsync(this IPage page) => [.. await page.FindOverflowAsync(Width)];

    /// <summary>Fails with the offending elements when anything on the page is wider than a phone.</summary>
    public static Task AssertFitsAsync(this IPage page) =>
        page.AssertFitsAsync(Width, new Uri(page.Url).AbsolutePath);

    /// <summary>Whether the element is on screen horizontally (within the viewport's width) and visible.</summary>
    public static async Task<bool> WithinWidthAsync(this ILocator locator)
    {
        if (!await locator.IsVisibleAsync())
            return false;
        var box = await locator.BoundingBoxAsync();
        return box is not null && box.X >= 0 && box.X + box.Width <= Width + 1;
    }
}
