using Microsoft.Playwright;

namespace Shequn.BrowserTests.Infrastructure;

/// <summary>Checks for the 390×844 phone layout.</summary>
public static class PhoneLayout
{
    public const int Width = 390;
    public const int Height = 844;

    /// <summary>Visible elements of the page's main content that reach past the right edge of the viewport (a few, described).</summary>
    public static Task<string[]> OverflowingAsync(this IPage page) =>
        page.EvaluateAsync<string[]>("""
            () => {
              const width = document.documentElement.clientWidth;
              return [...document.querySelectorAll('.mud-main-content *')]
                .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.right > width + 1; })
                .map(e => `${e.tagName.toLowerCase()}.${(e.getAttribute('class') || '').split(' ').slice(0, 2).join('.')} [${e.getAttribute('data-testid') || ''}] right=${Math.round(e.getBoundingClientRect().right)}`)
                .slice(0, 8);
            }
            """);

    /// <summary>Fails with the offending elements when anything in the main content is wider than the viewport.</summary>
    public static async Task AssertFitsAsync(this IPage page)
    {
        var wide = await page.OverflowingAsync();
        Assert.True(wide.Length == 0, "wider than the viewport: " + string.Join("; ", wide));
    }

    /// <summary>Whether the element is on screen horizontally (within the viewport's width) and visible.</summary>
    public static async Task<bool> WithinWidthAsync(this ILocator locator)
    {
        if (!await locator.IsVisibleAsync())
            return false;
        var box = await locator.BoundingBoxAsync();
        return box is not null && box.X >= 0 && box.X + box.Width <= Width + 1;
    }
}
