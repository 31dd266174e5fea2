using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using QRCoder;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Images;

/// <summary>A member posts a QR-code image in the Sandbox chat; the chat shows what the code says once Shequn has read it.</summary>
public sealed class SandboxImageTests(ConsoleApp app)
{
    [Fact]
    public async Task SandboxChat_MemberPostsAQrImage_ChatShowsTheDecodedLink()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        var ct = TestContext.Current.CancellationToken;
        using var api = app.ApiClient();
        var response = await api.PostAsJsonAsync("/api/communities", new
        {
            name = "二维码测试群" + Guid.NewGuid().ToString("N")[..6], platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive",
            capacity = 200, state = "active",
        }, ct);
        response.EnsureSuccessStatusCode();
        var community = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/communities/{community}/chat");

        await page.JoinSandboxChatAsync("卖货小王");
        await page.GetByTestId("chat-system").Filter(new() { HasTextString = "卖货小王" }).WaitForAsync();

        const string Link = "https://u.wechat.com/EAbCdEfGh12Ij";
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(Link, QRCodeGenerator.ECCLevel.M);
        // After the join the chat renders again and may drop what was typed: type until it stays.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await page.GetByTestId("chat-text").FillAsync("扫码加我");
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            if (await page.GetByTestId("chat-text").InputValueAsync() == "扫码加我")
                break;
        }
        await page.Locator(".chat-compose input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "qr.png", MimeType = "image/png", Buffer = new PngByteQRCode(data).GetGraphic(8),
        });

        var line = page.GetByTestId("chat-message").Filter(new() { HasTextString = "扫码加我" });
        try
        {
            await line.WaitForAsync();
        }
        catch (TimeoutException)
        {
            await page.ScreenshotAsync("sandbox-chat-qr-image-failed");
            Assert.Fail(await page.GetByTestId("chat-lines").InnerTextAsync() + " | " + await page.Locator(".chat-compose").InnerHTMLAsync());
        }
        var codes = line.GetByTestId("chat-image-codes");
        await codes.WaitForAsync(new() { Timeout = 30_000 });
        Assert.Contains(Link, await codes.InnerTextAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync("sandbox-chat-qr-image");
    }
}
