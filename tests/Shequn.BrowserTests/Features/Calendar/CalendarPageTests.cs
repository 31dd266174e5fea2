using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Calendar;

/// <summary>The content calendar in a browser: a post made on the page, one dragged to another day, the lint's warning.</summary>
public sealed class CalendarPageTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    /// <summary>A community of its own (so the lint sees only this test's posts) and a noon promotion three days ahead.</summary>
    private async Task<(string Community, string Post, DateOnly Day)> PlanAsync(string name)
    {
        using var api = app.ApiClient();
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name = name + Guid.NewGuid().ToString("N")[..4], platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        var community = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        var day = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(China).DateTime).AddDays(3);
        var noon = new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), China);
        var post = await api.PostAsJsonAsync("/api/posts", new
        {
            title = "午间爆品", text = "{community} 今日爆品", contentType = "productOfTheDay", dueAt = noon, targets = new { communityIds = new[] { community } },
        }, Ct);
        Assert.True(post.IsSuccessStatusCode, await post.Content.ReadAsStringAsync(Ct));
        return (community, (await post.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!, day);
    }

    private static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Calendar_CreateAPost_DragAnother_AndSeeTheLintWarning_InChinese()
    {
        var (community, postId, day) = await PlanAsync("日历群");
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/calendar?view=week&day={Iso(day)}&community={community}");

        var noonPost = page.Locator($"[data-testid=calendar-day][data-day='{Iso(day)}'] [data-post-id='{postId}']");
        await noonPost.WaitForAsync();
        await noonPost.GetByTestId("calendar-post-flag").WaitForAsync();
        var finding = page.Locator("[data-testid=calendar-finding][data-rule=PromotionInDaytime]");
        await finding.Filter(new() { HasTextString = "促销放在晚上" }).WaitForAsync();

        // A new post on the next day, made on the page (the community filter fills its target).
        await page.GetByTestId("calendar-new").ClickAsync();
        await page.GetByTestId("post-title").FillAsync("晚间知识");
        await page.GetByTestId("post-text").FillAsync("{community} 的朋友们，今晚聊聊保存方法");
        await page.GetByTestId("post-due").FillAsync($"{Iso(day.AddDays(1))}T20:00");
        await page.GetByTestId("post-save").ClickAsync();
        await page.Locator($"[data-testid=calendar-day][data-day='{Iso(day.AddDays(1))}'] [data-testid=calendar-post]").Filter(new() { HasTextString = "晚间知识" }).WaitForAsync();

        // Dragged to the day after, the noon promotion keeps its time.
        var target = page.Locator($"[data-testid=calendar-day][data-day='{Iso(day.AddDays(2))}']");
        await noonPost.DragToAsync(target);
        await target.Locator($"[data-post-id='{postId}']").WaitForAsync();
        using var api = app.ApiClient();
        var moved = await api.GetFromJsonAsync<JsonElement>($"/api/posts/{postId}", Ct);
        Assert.Equal(new DateTimeOffset(day.AddDays(2).ToDateTime(new TimeOnly(12, 0)), China), moved.GetProperty("dueAt").GetDateTimeOffset());
        Assert.Equal("approved", moved.GetProperty("status").GetString());
        await page.AssertFitsAsync(1280, "the calendar's week at 1280 px");
        await page.ScreenshotAsync("calendar-week.zh-CN");

        var posts = await api.GetFromJsonAsync<JsonElement>($"/api/posts?from={Iso(day)}&to={Iso(day.AddDays(6))}&communityId={community}", Ct);
        Assert.Equal(["午间爆品", "晚间知识"], posts.EnumerateArray().Select(p => p.GetProperty("title").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Calendar_PostDialog_UploadsAnImage_ShowsItsPreview_AndRemovesIt()
    {
        using var api = app.ApiClient();
        var created = await api.PostAsJsonAsync("/api/communities", new
        {
            name = "企微图片群" + Guid.NewGuid().ToString("N")[..4], platform = "weCom", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active",
        }, Ct);
        var community = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        var day = DateOnly.FromDateTime(DateTimeOffset.UtcNow.ToOffset(China).DateTime).AddDays(4);
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/calendar?view=week&day={Iso(day)}&community={community}");

        await page.GetByTestId("calendar-new").ClickAsync();
        await page.GetByTestId("post-title").FillAsync("海报推送");
        await page.GetByTestId("post-text").FillAsync("{community} 新品海报");
        await page.GetByTestId("post-due").FillAsync($"{Iso(day)}T20:00");

        // A file that is not an image is refused at once.
        // MudFileUpload adds an input for each pick: the newest is the one to use.
        var input = page.GetByTestId("post-image").Locator("input[type=file]").Last;
        await input.SetInputFilesAsync(new FilePayload { Name = "note.png", MimeType = "image/png", Buffer = "不是图片"u8.ToArray() });
        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "不是图片" }).WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("post-image-preview").CountAsync());

        using var generator = new QRCoder.QRCodeGenerator();
        using var qr = generator.CreateQrCode("https://example.com/poster", QRCoder.QRCodeGenerator.ECCLevel.M);
        await input.SetInputFilesAsync(new FilePayload { Name = "poster.png", MimeType = "image/png", Buffer = new QRCoder.PngByteQRCode(qr).GetGraphic(8) });
        await page.GetByTestId("post-image-preview").WaitForAsync();
        Assert.Contains("poster.png", await page.GetByTestId("post-image-info").InnerTextAsync(), StringComparison.Ordinal);
        // A WeCom group is the target: the mini-program card is offered.
        await page.GetByTestId("post-mini").WaitForAsync();
        await page.AssertFitsAsync(1280, "the post dialog with an image at 1280 px");
        await page.ScreenshotAsync("calendar-post-image.zh-CN");
        // On a phone the dialog, the preview and its buttons stay within the screen (the week behind it is the calendar's own).
        await page.SetViewportSizeAsync(390, 844);
        foreach (var part in new[] { page.Locator(".mud-dialog"), page.GetByTestId("post-image-preview"), page.GetByTestId("post-image-remove"), page.GetByTestId("post-image-button") })
        {
            var box = await part.BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 390, $"{part} is at {box?.X}..{box?.X + box?.Width} on a 390 px screen");
        }
        await page.SetViewportSizeAsync(1280, 960);
        await page.GetByTestId("post-save").ClickAsync();

        var posted = page.Locator($"[data-testid=calendar-day][data-day='{Iso(day)}'] [data-testid=calendar-post]").Filter(new() { HasTextString = "海报推送" });
        await posted.WaitForAsync();
        var postId = await posted.GetAttributeAsync("data-post-id");
        var post = await api.GetFromJsonAsync<JsonElement>($"/api/posts/{postId}", Ct);
        Assert.Equal("poster.png", post.GetProperty("image").GetProperty("fileName").GetString());

        // Opened again, the delivery view shows the thumbnail; removed and saved, the post has none.
        if (await page.GetByTestId("post-dialog").CountAsync() > 0 && await page.GetByTestId("post-close").IsVisibleAsync())
            await page.GetByTestId("post-close").ClickAsync();
        await posted.ClickAsync();
        await page.GetByTestId("post-delivery-image-preview").WaitForAsync();
        await page.GetByTestId("post-image-remove").ClickAsync();
        await page.GetByTestId("post-image-preview").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.GetByTestId("post-save").ClickAsync();
        await page.GetByTestId("post-delivery-image-preview").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var cleared = await api.GetFromJsonAsync<JsonElement>($"/api/posts/{postId}", Ct);
        Assert.False(cleared.TryGetProperty("image", out var image) && image.ValueKind != JsonValueKind.Null);
    }

    [Fact]
    public async Task Calendar_InEnglish_NamesTheFindingAndTheDialog()
    {
        var (community, postId, day) = await PlanAsync("Calendar group ");
        // An account of its own reads English, so the other tests' owner stays in Chinese.
        var email = $"calendar-en-{Guid.NewGuid():N}@test.local";
        const string password = "calendar-english-1";
        using (var api = app.ApiClient())
        {
            var staff = await api.PostAsJsonAsync("/api/staff", new { email, displayName = "Calendar reader", role = "owner", password }, Ct);
            Assert.True(staff.IsSuccessStatusCode, await staff.Content.ReadAsStringAsync(Ct));
        }
        await using var context = await app.NewContextAsync(ConsoleApp.Phone);
        var page = await context.SignInAsync(email, password);
        await page.GetByTestId("switch-language").ClickAsync();
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'en'");
        await page.OpenAsync($"/calendar?view=week&day={Iso(day)}&community={community}");

        await page.Locator("[data-testid=calendar-finding][data-rule=PromotionInDaytime]").Filter(new() { HasTextString = "promotions belong in the evening" }).WaitForAsync();
        await page.Locator($"[data-post-id='{postId}']").ClickAsync();
        await page.GetByTestId("post-finding").Filter(new() { HasTextString = "is a promotion at 12:00" }).WaitForAsync();
        await page.GetByTestId("post-delivery").Filter(new() { HasTextString = "Scheduled" }).WaitForAsync();
        await page.AssertFitsAsync();
        await page.ScreenshotAsync("calendar-post.en");
    }
}
