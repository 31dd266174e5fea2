using System.Collections.Concurrent;
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

    /// <summary>The cookies each sign-in set (all but antiforgery's), by account, for <see cref="SignInAsync"/>.</summary>
    private static readonly ConcurrentDictionary<string, IReadOnlyList<Cookie>> Sessions = new();

    /// <summary>
    /// Signs in and returns a page on the dashboard. An account's first sign-in in this run goes through the sign-in form
    /// (<see cref="SignInThroughFormAsync"/>); later ones give the fresh profile the cookies that sign-in set and open the
    /// dashboard, as the form's redirect would: the same session, without a login page and a form post for each of some
    /// 150 sign-ins. A session the console no longer accepts (its account changed) sends the page to the form again.
    /// Tests of signing in itself, or of what an account's sign-in sets, call <see cref="SignInThroughFormAsync"/>.
    /// </summary>
    public static async Task<IPage> SignInAsync(this IBrowserContext context, string email, string password)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Sessions.ContainsKey(SessionKey(email, password)))
        {
            var page = await context.WithSessionAsync(email, password);
            await page.GotoAsync("/");
            if (new Uri(page.Url).AbsolutePath != "/login")
            {
                await page.WaitForInteractiveAsync();
                return page;
            }
            await page.CloseAsync();
        }
        return await context.SignInThroughFormAsync(email, password);
    }

    /// <summary>
    /// A new page, not yet opened, in a profile that carries the account's session: the cookies of its last sign-in
    /// through the form, made now when there was none (then the page is the form's dashboard). For tests that open a page
    /// of their own at once and change no one's password or role, so the session stays valid.
    /// </summary>
    public static async Task<IPage> WithSessionAsync(this IBrowserContext context, string email, string password)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Sessions.TryGetValue(SessionKey(email, password), out var cookies))
            return await context.SignInThroughFormAsync(email, password);
        await context.AddCookiesAsync(cookies);
        return await context.NewPageAsync();
    }

    private static string SessionKey(string email, string password) => email + "\n" + password;

    /// <summary>Signs in through the sign-in form and returns the page it leads to (the dashboard).</summary>
    public static async Task<IPage> SignInThroughFormAsync(this IBrowserContext context, string email, string password)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = SessionKey(email, password);
        Sessions.TryRemove(key, out _);
        var before = (await context.CookiesAsync()).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.GetByTestId("login-form").Locator("button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => !new Uri(url).AbsolutePath.StartsWith("/login", StringComparison.Ordinal));
        await page.WaitForInteractiveAsync();
        Sessions[key] = [.. (await context.CookiesAsync())
            .Where(c => !before.Contains(c.Name) && !c.Name.EndsWith("shequn.af", StringComparison.Ordinal))
            .Select(c => new Cookie
            {
                Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
            })];
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
