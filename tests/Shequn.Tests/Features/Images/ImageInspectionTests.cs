using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Images;
using Shequn.Features.Sandbox;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using SkiaSharp;

namespace Shequn.Tests.Features.Images;

/// <summary>Image messages from the Sandbox and from Telegram (through the fake Bot API) are looked into for QR codes once each.</summary>
public abstract class ImageInspectionTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ITelegramFactory
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TestWorkspace Ws, Guid Community)> SandboxCommunityAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("二维码群", "sandbox"))).ReadAsync<CommunityDto>();
        return (ws, c.Id);
    }

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient api, Guid community, byte[]? image, string userId = "sbx-qr", string name = "卖货-小王",
        string fileName = "qr.png", string? caption = null)
    {
        using var form = new MultipartFormDataContent();
        if (image is not null)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "file", fileName);
        }
        form.Add(new StringContent(userId), "userId");
        form.Add(new StringContent(name), "name");
        if (caption is not null)
            form.Add(new StringContent(caption), "caption");
        return await api.PostAsync($"/api/communities/{community}/sandbox/images", form, Ct);
    }

    /// <summary>Waits (at most 30 s) until the message's inspection is in the log; returns every inspection of it.</summary>
    private async Task<List<CommunityEvent>> InspectionsAsync(Guid ws, string messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using (var scope = factory.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                var found = await db.Set<CommunityEvent>().AsNoTracking()
                    .Where(e => e.WorkspaceId == ws && e.Kind == EventKind.MessageInspected && e.MessageId == messageId).ToListAsync(Ct);
                if (found.Count > 0)
                    return found;
            }
            Assert.True(DateTime.UtcNow < deadline, $"message {messageId} was not inspected in time");
            factory.Services.GetRequiredService<EventLogSignal>().Notify();
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task A_sandbox_upload_of_a_WeChat_QR_is_inspected_with_the_decoded_link()
    {
        var (ws, community) = await SandboxCommunityAsync();

        var posted = await (await UploadAsync(ws.Owner.Api, community, TestImages.QrPng(TestImages.WeChatPersonal), caption: "扫码加我")).ReadAsync<SandboxImageDto>();

        var inspected = Assert.Single(await InspectionsAsync(ws.Id, posted.MessageId));
        Assert.Equal(TestImages.WeChatPersonal, inspected.Text);
        Assert.Null(inspected.Channel);
        Assert.Equal((ChatPlatform.Sandbox, community, "sbx-qr", "卖货-小王"), (inspected.Platform, inspected.CommunityId, inspected.UserId, inspected.UserName));
        Assert.Equal(posted.MediaId, inspected.MediaId);

        // The chat shows the image message with its caption and what its code says.
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        var line = Assert.Single(await scope.ServiceProvider.GetRequiredService<SandboxChat>().RecentAsync(community, 10, Ct), l => l.MessageId == posted.MessageId);
        Assert.Equal((MessageKind.Image, "扫码加我"), (line.MessageKind, line.Text));
        Assert.Equal(new ImageInspection(TestImages.WeChatPersonal, null), line.Inspection);
    }

    [Fact]
    public async Task Two_codes_in_a_photo_are_one_line_each()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var photo = TestImages.Photo(1400, 1000, SKEncodedImageFormat.Jpeg, (TestImages.WeChatGroup, 100, 100, 420), ("https://promo.example.cn/x", 800, 400, 420));

        var posted = await (await UploadAsync(ws.Owner.Api, community, photo, fileName: "photo.jpg")).ReadAsync<SandboxImageDto>();

        var lines = Assert.Single(await InspectionsAsync(ws.Id, posted.MessageId)).Text!.Split('\n');
        Assert.Equal(["https://promo.example.cn/x", TestImages.WeChatGroup], lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Garbage_is_inspected_as_unread_and_the_next_image_is_still_read()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var garbage = new byte[5000];
        new Random(5).NextBytes(garbage);

        var bad = await (await UploadAsync(ws.Owner.Api, community, garbage, fileName: "not-really.png")).ReadAsync<SandboxImageDto>();
        var huge = await (await UploadAsync(ws.Owner.Api, community, TestImages.PngHeaderOnly(50_000, 50_000), fileName: "bomb.png")).ReadAsync<SandboxImageDto>();
        var good = await (await UploadAsync(ws.Owner.Api, community, TestImages.QrPng(TestImages.WeChatGroup))).ReadAsync<SandboxImageDto>();

        var unread = Assert.Single(await InspectionsAsync(ws.Id, bad.MessageId));
        Assert.Equal("", unread.Text);
        Assert.StartsWith(nameof(QrScanOutcome.NotAnImage), unread.Channel, StringComparison.Ordinal);
        var bomb = Assert.Single(await InspectionsAsync(ws.Id, huge.MessageId));
        Assert.Equal("", bomb.Text);
        Assert.StartsWith(nameof(QrScanOutcome.TooLarge), bomb.Channel, StringComparison.Ordinal);
        Assert.Equal(TestImages.WeChatGroup, Assert.Single(await InspectionsAsync(ws.Id, good.MessageId)).Text);
    }

    [Fact]
    public async Task Inspections_change_no_figures()
    {
        var (ws, community) = await SandboxCommunityAsync();
        var posted = await (await UploadAsync(ws.Owner.Api, community, TestImages.QrPng(TestImages.WeChatPersonal))).ReadAsync<SandboxImageDto>();
        await InspectionsAsync(ws.Id, posted.MessageId);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures");
        Assert.Equal(1, figures.Days.Sum(d => d.Messages));
    }

    [Fact]
    public async Task The_upload_api_names_what_is_wrong()
    {
        var (ws, community) = await SandboxCommunityAsync();

        var errors = await (await UploadAsync(ws.Owner.Api, community, null, userId: " ")).ReadValidationErrorsAsync();
        Assert.Contains("file", errors.Keys);
        Assert.Contains("userId", errors.Keys);

        var telegram = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("电报群", "telegram"))).ReadAsync<CommunityDto>();
        Assert.Equal(HttpStatusCode.NotFound, (await UploadAsync(ws.Owner.Api, telegram.Id, TestImages.QrPng("x"))).StatusCode);

        var notForm = await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/sandbox/images", new { file = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, notForm.StatusCode);
    }

    [Fact]
    public async Task A_telegram_photo_is_fetched_with_getFile_and_its_download_url_and_inspected()
    {
        var world = await TelegramWorld.CreateAsync(factory, factory.Fake);

        var (_, messageId, largest) = factory.Fake.PostPhoto(world.Bot, world.Chat, 7001, "广告哥", TestImages.QrPng(TestImages.WeChatGroup), caption: "进群领券");

        var inspected = Assert.Single(await InspectionsAsync(world.Ws.Id, messageId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(TestImages.WeChatGroup, inspected.Text);
        Assert.Equal(("7001", largest.FileId), (inspected.UserId, inspected.MediaId));
        // The largest size, through the bot: getFile for its id, then its file path.
        var getFile = Assert.Single(world.Calls(factory.Fake, "getFile"));
        Assert.Equal(largest.FileId, getFile.Parameters["file_id"]!.GetValue<string>());
        Assert.Contains(largest.Path, factory.Fake.Downloads);
        var posted = (await world.EventsAsync(factory)).Single(e => e.Kind == EventKind.MessagePosted && e.MessageId == inspected.MessageId);
        Assert.Equal((MessageKind.Image, "进群领券", largest.FileId), (posted.MessageKind, posted.Text, posted.MediaId));
    }

    [Fact]
    public async Task A_telegram_image_sent_as_a_file_is_inspected_too()
    {
        var world = await TelegramWorld.CreateAsync(factory, factory.Fake);

        var (_, file) = factory.Fake.PostImageDocument(world.Bot, world.Chat, 7002, "发图的", TestImages.QrPng(TestImages.WeChatPersonal));

        await Eventually(async () => (await world.EventsAsync(factory)).Any(e => e.Kind == EventKind.MessageInspected && e.MediaId == file.FileId));
        var inspected = (await world.EventsAsync(factory)).Single(e => e.Kind == EventKind.MessageInspected);
        Assert.Equal(TestImages.WeChatPersonal, inspected.Text);
    }

    [Fact]
    public async Task A_telegram_hiccup_is_retried_and_a_file_too_big_for_bots_is_inspected_as_not_fetched()
    {
        var world = await TelegramWorld.CreateAsync(factory, factory.Fake);
        factory.Fake.GetFileFailures = 2;

        var (_, retried, _) = factory.Fake.PostPhoto(world.Bot, world.Chat, 7003, "重试", TestImages.QrPng(TestImages.WeChatPersonal));
        var (_, tooBig, _) = factory.Fake.PostPhoto(world.Bot, world.Chat, 7003, "重试", new byte[21 * 1024 * 1024]);

        Assert.Equal(TestImages.WeChatPersonal, Assert.Single(await InspectionsAsync(world.Ws.Id, retried.ToString(System.Globalization.CultureInfo.InvariantCulture))).Text);
        var refused = Assert.Single(await InspectionsAsync(world.Ws.Id, tooBig.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("", refused.Text);
        Assert.Contains("file is too big", refused.Channel, StringComparison.Ordinal);
        // Two hiccups and the success for the first photo; for the second, one refusal that is not asked again.
        Assert.Equal([500, 500, 200, 400], factory.Fake.CallsOf("getFile").Where(c => c.Token == world.Bot.Token).Select(c => c.Status));
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not in time");
            await Task.Delay(100, Ct);
        }
    }
}

public sealed class ImageInspectionTests_Sqlite(TelegramSqliteFactory factory) : ImageInspectionTests<TelegramSqliteFactory>(factory), IClassFixture<TelegramSqliteFactory>;

public sealed class ImageInspectionTests_Postgres(TelegramPostgresFactory factory) : ImageInspectionTests<TelegramPostgresFactory>(factory), IClassFixture<TelegramPostgresFactory>;
