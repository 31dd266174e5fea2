using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Platform;

/// <summary>The top bar's sign-out button posts the console's form with its antiforgery token, which sign-out now checks.</summary>
public sealed class SignOutTests(ConsoleApp app)
{
    [Fact]
    public async Task SignOutButton_SignsOut_AndTheConsoleAsksForSignInAgain()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/communities");
        await page.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login");

        // The session is gone: a console page sends the browser back to sign in.
        await page.GotoAsync("/communities");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login");
    }
}
