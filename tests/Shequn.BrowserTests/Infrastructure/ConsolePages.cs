using System.Globalization;
using Microsoft.Playwright;

namespace Shequn.BrowserTests.Infrastructure;

/// <summary>What every test does with the console: sign in, wait until a page is interactive, keep a screenshot.</summary>
public static class ConsolePages
{
    /// <summary>
    /// Joins the Sandbox chat as <paramref name="name"/>: types the name and clicks join. Under load a render can swallow the
    /// typed name (the button stays disabled), so the name is typed again until the button takes it.
    /// </summary>
    public static async Task JoinSandboxChatAsync(this IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var join = page.GetByTestId("chat-join");
        for (var attempt = 0; attempt < 8 && await join.IsDisabledAsync(); attempt++)
        {
            await page.GetByTestId("chat-new-name").FillAsync(name);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            try
            {
                await Assertions.Expect(join).ToBeEnabledAsync(new() { Timeout = 3_000 });
            }
            catch (PlaywrightException)
            {
                // Not yet: the next attempt types it again.
            }
        }
        await join.ClickAsync();
    }

    public static async Task<IPage> SignInAsync(this IBrowserContext context, string email, string password)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.GetByTestId("login-form").Locator("button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => !new Uri(url).AbsolutePath.StartsWith("/login", StringComparison.Ordinal));
        await page.WaitForInteractiveAsync();
        return page;
    }

    /// <summary>Opens a console page by its address (a full page load) and waits for its circuit.</summary>
    public static async Task OpenAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitForInteractiveAsync();
    }

    /// <summary>
    /// Pages are prerendered, so they are visible before clicks and typing do anything. The layout marks the page
    /// <c>data-circuit="interactive"</c> in the circuit's first render batch, the one that attaches the event handlers;
    /// the prerendered HTML says "prerendered". (Waiting for a quiet network cost half a second a page, since Playwright
    /// counts a quiet half second, and told nothing about the circuit: its WebSocket is not counted.)
    /// </summary>
    public static async Task WaitForInteractiveAsync(this IPage page) =>
        await page.Locator("[data-circuit=interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>
    /// Picks an option of a MudSelect. MudBlazor puts the data-testid on the select's input element; the
    /// options open in a popover elsewhere in the page.
    /// </summary>
    public static async Task SelectOptionAsync(this IPage page, ILocator select, string option)
    {
        await select.ClickAsync();
        var item = page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = option });
        await item.First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").First.WaitForAsync(new() { State = WaitForSelectorState.Detached });
    }

    /// <summary>A figure as shown ("1,879" with the zh-CN or en group separator).</summary>
    public static int ParseFigure(string text) =>
        int.Parse(new string(text.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);

    /// <summary>Saves a screenshot under .artifacts/screenshots (kept out of git; copy the good ones to docs/screenshots).</summary>
    public static async Task<string> ScreenshotAsync(this IPage page, string name)
    {
        var dir = Path.Combine(ConsoleApp.RepoRoot, ".artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".png");
        await page.ScreenshotAsync(new() { Path = path });
        return path;
    }
}
