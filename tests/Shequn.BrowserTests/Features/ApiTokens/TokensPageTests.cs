using System.Text.Json;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.ApiTokens;

/// <summary>The Tokens page as an owner uses it: a token that ends by itself.</summary>
public sealed class TokensPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_ValidForThirtyDays_IsStoredWithItsExpiryAndShownInTheList()
    {
        var name = "到期测试-" + Guid.NewGuid().ToString("N")[..6];
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/tokens");

        await page.GetByTestId("token-new").ClickAsync();
        await page.GetByTestId("token-create-name").FillAsync(name);
        await page.SelectOptionAsync(page.Locator("[data-testid=token-create-expiry]"), "30 天");
        await page.GetByTestId("token-create-save").ClickAsync();
        await page.GetByTestId("token-secret-value").WaitForAsync();
        await page.GetByTestId("token-secret-done").ClickAsync();

        using var api = app.ApiClient();
        var items = JsonDocument.Parse(await api.GetStringAsync("/api/tokens?pageSize=100", Ct)).RootElement.GetProperty("items");
        var token = items.EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);
        var expires = token.GetProperty("expiresAt").GetDateTime().ToUniversalTime();
        Assert.InRange(expires, DateTime.UtcNow.AddDays(30).AddMinutes(-10), DateTime.UtcNow.AddDays(30).AddMinutes(10));
        await page.GetByTestId("token-name").Filter(new() { HasTextString = name }).WaitForAsync();
        Assert.True(await page.GetByTestId("token-expires").CountAsync() >= 1);
    }
}
