using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;
using SkiaSharp;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// A campaign opened in the console (its editor and its activity below), for the kinds with the newest parts — a coupon
/// campaign (validity field, codes with valid-until and the void button), a quiz (the question editor), 晒图 (thumbnails
/// and review buttons), a flash sale collecting phones (the switch, the share panel with a member's link and poster) — at
/// phone size and on a desktop, in Chinese and in English: nothing sticks out past the right edge, no localization key
/// shows as raw text, and the view's actions are on the screen. With SHEQUN_VIEW_SHOTS set to a folder, each view is
/// also saved there as a full-page screenshot for a person to look at.
/// </summary>
public sealed partial class CampaignDetailViewTests(ConsoleApp app)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Dictionary<string, string>? s_campaigns;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> Views { get; } = Build();

    private static TheoryData<string, string, string> Build()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var kind in new[] { "coupon", "quiz", "photo", "sale" })
            foreach (var culture in new[] { "zh", "en" })
                foreach (var size in new[] { "phone", "desktop" })
                    data.Add(kind, culture, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(Views))]
    public async Task CampaignView_FitsTheScreen_ShowsNoRawKeys_AndItsActionsAreReachable(string kind, string culture, string size)
    {
        var campaigns = await CampaignsAsync();
        var viewport = size == "phone" ? ConsoleApp.Phone : new ViewportSize { Width = 1280, Height = 960 };
        await using var context = await app.NewContextAsync(viewport);
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        if (culture == "en")
            await CampaignKit.EnglishAsync(context, app.BaseUrl);
        await page.OpenAsync($"/campaigns?id={campaigns[kind]}");
        await page.GetByTestId("campaign-editor").WaitForAsync();
        Assert.Equal(culture == "en" ? "en" : "zh-CN", await page.GetAttributeAsync("html", "lang"));
        var what = $"{kind} campaign ({culture}, {size})";
        var width = viewport.Width;

        switch (kind)
        {
            case "coupon":
                await page.GetByTestId("campaign-coupons").Locator("[data-testid=coupon-status]").First.WaitForAsync();
                await page.Locator("[data-testid=rule-coupon-valid-days] input, input[data-testid=rule-coupon-valid-days]").First.AssertOnScreenAsync(width, $"{what}: coupon validity");
                Assert.Equal("7", await page.Locator("[data-testid=rule-coupon-valid-days] input, input[data-testid=rule-coupon-valid-days]").First.InputValueAsync());
                await page.GetByTestId("coupon-void").First.AssertReachableAsync(width, $"{what}: void");
                Assert.Equal(1, await page.GetByTestId("coupon-status").Filter(new() { HasTextString = culture == "en" ? "Void" : "已作废" }).CountAsync());
                break;
            case "quiz":
                await page.GetByTestId("quiz-question").Nth(1).WaitForAsync();
                await page.GetByTestId("quiz-add-question").AssertReachableAsync(width, $"{what}: add a question");
                await page.GetByTestId("quiz-add-option").First.AssertReachableAsync(width, $"{what}: add an option");
                await page.Locator("input[data-testid=quiz-option-correct], [data-testid=quiz-option-correct] input").First.AssertOnScreenAsync(width, $"{what}: right answer");
                // Each option's right-answer box sits on the option's own line, left of its text (not above it, where it reads as the option before).
                foreach (var option in await page.GetByTestId("quiz-option").AllAsync())
                {
                    var tick = (await option.Locator("svg").First.BoundingBoxAsync())!;
                    var field = (await option.Locator(".mud-input-control").Filter(new() { Has = page.Locator("input[data-testid=quiz-option-text]") }).BoundingBoxAsync())!;
                    Assert.True(tick.Y < field.Y + field.Height && tick.Y + tick.Height > field.Y && tick.X + tick.Width <= field.X + 1,
                        string.Create(System.Globalization.CultureInfo.InvariantCulture,
                            $"{what}: an option's right-answer box is not beside its text (box at {tick.X:0},{tick.Y:0}; text at {field.X:0},{field.Y:0}–{field.Y + field.Height:0})."));
                }
                break;
            case "photo":
                await page.GetByTestId("photo-thumbnail").First.WaitForAsync();
                await page.GetByTestId("photo-approve").First.AssertReachableAsync(width, $"{what}: approve");
                await page.GetByTestId("photo-reject").First.AssertReachableAsync(width, $"{what}: reject");
                break;
            case "sale":
                await page.Locator("input[data-testid=rule-collect-phone], [data-testid=rule-collect-phone] input").AssertOnScreenAsync(width, $"{what}: collect phones");
                await page.Locator("input[data-testid=campaign-share-member]").FillAsync("小分");
                await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "小分" }).First.ClickAsync();
                await page.Locator("input[data-testid=campaign-share-link]").WaitForAsync();
                await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=campaign-share-poster]'); return i && i.complete && i.naturalWidth > 0; }");
                await page.GetByTestId("campaign-share-copy").AssertReachableAsync(width, $"{what}: copy the link");
                await page.GetByTestId("campaign-share-download").AssertOnScreenAsync(width, $"{what}: download the poster");
                await page.GetByTestId("campaign-lead-phone").First.WaitForAsync();
                break;
        }
        await page.GetByTestId("campaign-settings").WaitForAsync();
        await page.GetByTestId("campaign-save").AssertOnScreenAsync(width, $"{what}: save");
        await SaveShotAsync(page, $"campaign-{kind}-{culture}-{size}");

        var text = await page.Locator("body").InnerTextAsync();
        var raw = RawKey().Matches(text).Select(m => m.Value).Distinct().ToList();
        Assert.True(raw.Count == 0, $"{what} shows localization keys as text: {string.Join(", ", raw)}");
        await page.AssertFitsAsync(width, what);
    }

    /// <summary>One campaign of each kind with activity to show, made once for all the views.</summary>
    private async Task<Dictionary<string, string>> CampaignsAsync()
    {
        await Gate.WaitAsync(Ct);
        try
        {
            if (s_campaigns is { } made)
                return made;
            using var api = app.ApiClient();
            var community = await CampaignKit.CommunityAsync(api, "活动详情视图群");
            var members = await CampaignKit.JoinAsync(api, community, ["小券甲", "小券乙一个名字特别长的成员用来看换行", "小题", "小晒", "小分"]);

            var coupon = await CampaignKit.CreateAsync(api, CampaignKit.Coupons("详情视图领券", community, validDays: 7));
            foreach (var m in new[] { "小券甲", "小券乙一个名字特别长的成员用来看换行" })
                await CampaignKit.ClaimCouponAsync(api, coupon.Slug, await CampaignKit.LinkAsync(api, coupon.Id, members[m]));
            var codes = (await api.GetFromJsonAsync<JsonElement>($"/api/campaigns/{coupon.Id}/coupons", Ct)).EnumerateArray().Select(c => c.GetProperty("code").GetString()!).ToList();
            var voided = await api.PostAsync($"/api/coupons/{codes[0]}/void", null, Ct);
            Assert.True(voided.IsSuccessStatusCode, await voided.Content.ReadAsStringAsync(Ct));

            var quiz = await CampaignKit.CreateAsync(api, new
            {
                name = "详情视图问答", kind = "quiz", startsAt = DateTimeOffset.UtcNow.AddDays(1), endsAt = DateTimeOffset.UtcNow.AddDays(3),
                audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
                rules = new
                {
                    passMark = 1,
                    questions = new object[]
                    {
                        new { text = "鱼油每天吃几粒？", options = new[] { "1 粒", "10 粒" }, correct = new[] { 0 } },
                        new { text = "下面哪些是富含欧米伽 3 的食物？请选出所有正确的选项，选错不得分", options = new[] { "三文鱼", "亚麻籽油", "白砂糖", "核桃" }, correct = new[] { 0, 1, 3 } },
                    },
                },
            }, publish: false);

            var photo = await CampaignKit.CreateAsync(api, new
            {
                name = "详情视图晒图", kind = "photoShare", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(7),
                audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
                rewards = new[] { new { kind = "coupon", name = "返现券", valueFen = 500, costFen = 500, quantity = 100 } }, rules = new { daysInRow = 7, couponValidDays = 30 },
            });
            await UploadAsync(api, photo.Slug, await CampaignKit.LinkAsync(api, photo.Id, members["小晒"]));

            var sale = await CampaignKit.CreateAsync(api, new
            {
                name = "详情视图秒杀", kind = "flashSale", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(2),
                audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
                rules = new { priceFen = 990, originalPriceFen = 1990, stock = 10, perPersonLimit = 1, collectPhone = true },
            });
            var lead = await api.PostAsJsonAsync($"/c/{sale.Slug}/phone", new
            {
                token = CampaignKit.Token(await CampaignKit.LinkAsync(api, sale.Id, members["小分"])), phone = "13800138000", consent = true, requestId = Guid.NewGuid().ToString("N"),
            }, Ct);
            Assert.True(lead.IsSuccessStatusCode, await lead.Content.ReadAsStringAsync(Ct));

            s_campaigns = new() { ["coupon"] = coupon.Id, ["quiz"] = quiz.Id, ["photo"] = photo.Id, ["sale"] = sale.Id };
            return s_campaigns;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The day's photo, posted the way the page's form posts it.</summary>
    private static async Task UploadAsync(HttpClient api, string slug, string link)
    {
        using var bitmap = new SKBitmap(160, 100);
        bitmap.Erase(SKColors.SteelBlue);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(CampaignKit.Token(link)), "token" },
            { new ByteArrayContent(png.ToArray()) { Headers = { ContentType = new("image/png") } }, "file", "today.png" },
        };
        var posted = await api.PostAsync($"/c/{slug}/photo", form, Ct);
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>A full-page screenshot in the folder SHEQUN_VIEW_SHOTS names; nothing without it.</summary>
    private static async Task SaveShotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("SHEQUN_VIEW_SHOTS") is not { Length: > 0 } dir)
            return;
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png"), FullPage = true });
    }

    // A key of ours shown as is: its area and at least one more capitalised part (Campaigns.Coupon.Void).
    [GeneratedRegex(@"\b(Campaigns|Boards|CampaignPage|CampaignSharing|Validation|Common|Lottery|Chain|Photo|Mud)\.[A-Z][A-Za-z]*(\.[A-Za-z]+)*")]
    private static partial Regex RawKey();
}
