using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;
using SkiaSharp;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// 晒图返现 end to end: at phone size a member opens their personal link, uploads the day's photo through the page's file
/// input and reads that it waits for review; the owner sees its thumbnail in the campaign's review list, enlarges it and
/// approves it.
/// </summary>
public sealed class PhotoReviewPageTests(ConsoleApp app)
{
    private static byte[] Png()
    {
        using var bitmap = new SKBitmap(120, 80);
        bitmap.Erase(SKColors.SeaGreen);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task Member_UploadsOnThePhone_OwnerSeesTheThumbnailAndApproves()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "晒图审核群");
        var members = await CampaignKit.JoinAsync(api, community, ["小晒"]);
        var campaign = await CampaignKit.CreateAsync(api, new
        {
            name = "7 天晒图返现" + Guid.NewGuid().ToString("N")[..4], kind = "photoShare", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(7),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rewards = new[] { new { kind = "coupon", name = "返现券", valueFen = 500, costFen = 500, quantity = 100 } }, rules = new { daysInRow = 7 },
        });

        await using (var phone = await app.NewContextAsync(ConsoleApp.Phone))
        {
            var h5 = await phone.NewPageAsync();
            await h5.GotoAsync(await CampaignKit.LinkAsync(api, campaign.Id, members["小晒"]));
            await h5.GetByTestId("campaign-photo-file").SetInputFilesAsync(new FilePayload { Name = "today.png", MimeType = "image/png", Buffer = Png() });
            await h5.GetByTestId("campaign-photo-upload").ClickAsync();
            await h5.GetByTestId("campaign-photo-result").Filter(new() { HasTextString = "等待工作人员审核" }).WaitForAsync();
            Assert.Equal(0, await h5.Locator("body").EvaluateAsync<int>("b => b.scrollWidth > window.innerWidth ? 1 : 0"));
            await h5.ScreenshotAsync("campaign-photo-uploaded");
        }

        await using var owner = await app.NewContextAsync();
        var page = await owner.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/campaigns?id={campaign.Id}");
        var row = page.GetByTestId("campaign-photos").Locator("tr").Filter(new() { HasTextString = "小晒" });
        var thumbnail = row.GetByTestId("photo-thumbnail");
        await thumbnail.WaitForAsync();
        // The thumbnail is the uploaded picture, drawn by the browser (a JPEG the size of the upload, which is under the console's side).
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=photo-thumbnail]'); return i && i.complete && i.naturalWidth === 120 && i.naturalHeight === 80; }");
        Assert.StartsWith("data:image/jpeg;base64,", await thumbnail.GetAttributeAsync("src"), StringComparison.Ordinal);
        Assert.Contains("待审核", await row.InnerTextAsync(), StringComparison.Ordinal);

        await thumbnail.ClickAsync();
        var enlarged = page.GetByTestId("photo-enlarged");
        await enlarged.WaitForAsync();
        Assert.Contains("小晒", await enlarged.InnerTextAsync(), StringComparison.Ordinal);
        Assert.StartsWith("data:image/png;base64,", await enlarged.Locator("img").GetAttributeAsync("src"), StringComparison.Ordinal);
        await page.ScreenshotAsync("campaign-photo-enlarged");
        await page.Keyboard.PressAsync("Escape");
        await page.Locator(".mud-overlay").First.ClickAsync(new() { Position = new() { X = 5, Y = 5 } });
        await enlarged.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        await row.GetByTestId("photo-approve").ClickAsync();
        await row.Filter(new() { HasTextString = "已通过" }).WaitForAsync();
        Assert.Equal(0, await row.GetByTestId("photo-approve").CountAsync());
        var photos = await api.GetStringAsync($"/api/campaigns/{campaign.Id}/photos", TestContext.Current.CancellationToken);
        Assert.Contains("\"status\":\"approved\"", photos, StringComparison.Ordinal);
    }
}
