using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Dashboard;

public sealed class DashboardPageTests(ConsoleApp app)
{
    [Fact]
    public async Task SignIn_PrintedOwnerCredentials_DashboardShowsTheDemosFigures()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);

        Assert.Equal("/", new Uri(page.Url).AbsolutePath);
        var shown = new Dictionary<string, int>();
        foreach (var id in new[] { "fig-communities", "fig-members", "fig-staff", "fig-joins" })
        {
            var value = page.GetByTestId(id).Locator(".mud-typography-h4");
            await value.WaitForAsync();
            shown[id] = ConsolePages.ParseFigure(await value.InnerTextAsync());
            Assert.True(shown[id] > 0, $"{id} shows {shown[id]}");
        }
        Assert.Contains("社群数", await page.GetByTestId("fig-communities").InnerTextAsync(), StringComparison.Ordinal);

        using var api = app.ApiClient();
        using var figures = JsonDocument.Parse(await api.GetStringAsync("/api/dashboard", TestContext.Current.CancellationToken));
        Assert.Equal(figures.RootElement.GetProperty("members").GetInt32(), shown["fig-members"]);
        Assert.Equal(figures.RootElement.GetProperty("staff").GetInt32(), shown["fig-staff"]);
        await page.ScreenshotAsync("dashboard.zh-CN");
    }

    [Fact]
    public async Task SignIn_WrongPassword_StaysOnLoginWithAnError()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.Locator("#email").FillAsync(app.OwnerEmail);
        await page.Locator("#password").FillAsync(app.OwnerPassword + "x");
        await page.GetByTestId("login-form").Locator("button[type=submit]").ClickAsync();

        await page.Locator("[role=alert]").WaitForAsync();
        Assert.Equal("/login", new Uri(page.Url).AbsolutePath);
    }
}
