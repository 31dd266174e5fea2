using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Fakes.Telegram;
using Shequn.Fakes.WeCom;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Tasks;
using Shequn.Tests.Connectors.Telegram;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Features.Images;
using Shequn.Tests.Infrastructure;
using SkiaSharp;

namespace Shequn.Tests.Features.Calendar;

/// <summary>The app against both platform fakes; the post scheduler, the dispatcher and the WeCom sync are stepped by the tests.</summary>
public interface IPostMediaFactory
{
    FakeTelegramServer Telegram { get; }

    FakeWeComServer WeCom { get; }
}

internal static class PostMediaSettings
{
    public static void Apply(IWebHostBuilder builder, IPostMediaFactory f)
    {
        TelegramTestSettings.Apply(builder, f.Telegram);
        builder.UseSetting("WeCom:ApiBaseUrl", f.WeCom.BaseUrl);
        builder.UseSetting("WeCom:SyncEnabled", "false");
        builder.UseSetting("Posts:SchedulerEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
    }
}

public sealed class PostMediaSqliteFactory : SqliteFactory, IPostMediaFactory
{
    public FakeTelegramServer Telegram { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    public FakeWeComServer WeCom { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        PostMediaSettings.Apply(builder, this);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Telegram.DisposeAsync();
        await WeCom.DisposeAsync();
    }
}

public sealed class PostMediaPostgresFactory : PostgresFactory, IPostMediaFactory
{
    public FakeTelegramServer Telegram { get; } = FakeTelegramServer.StartAsync().GetAwaiter().GetResult();

    public FakeWeComServer WeCom { get; } = FakeWeComServer.StartAsync().GetAwaiter().GetResult();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        PostMediaSettings.Apply(builder, this);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Telegram.DisposeAsync();
        await WeCom.DisposeAsync();
    }
}

/// <summary>
/// Posts with an image and a mini-program card: uploaded at <c>/api/media</c>, checked against every target platform
/// when saved, and sent by each connector the way its platform takes them (Telegram sendPhoto, WeCom media/upload and
/// attachments, a Sandbox image message, a Manual task that names them).
/// </summary>
public abstract class PostMediaTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, IPostMediaFactory
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset Soon => DateTimeOffset.UtcNow.AddHours(2);

    private const string AppId = "wx8bd80126147dfa0e";

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name, string platform) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>()).Id;

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient api, byte[] bytes, string fileName = "photo.png", string contentType = "image/png")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "file", fileName);
        return await api.PostAsync("/api/media", form, Ct);
    }

    private static async Task<PostImageDto> ImageAsync(HttpClient api, byte[] bytes, string fileName = "photo.png")
    {
        var response = await UploadAsync(api, bytes, fileName);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<PostImageDto>();
    }

    private static byte[] Png(int width, int height) => TestImages.Photo(width, height, SKEncodedImageFormat.Png);

    /// <summary>A PNG of random pixels: it does not compress, so it is larger than its pixels' count × 4 bytes.</summary>
    private static byte[] NoisePng(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var pixels = new byte[width * height * 4];
        new Random(12).NextBytes(pixels);
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static object NewPost(string title, Guid[] communities, Guid? imageId = null, object? miniProgram = null, string text = "今日好物：{community} 专享") => new
    {
        title, text, contentType = "productOfTheDay", dueAt = Soon, targets = new { communityIds = communities }, imageId, miniProgram,
    };

    private static object Card(Guid cover, string appId = AppId, string title = "限时秒杀", string page = "pages/item/index?id=42") =>
        new { title, appId, page, coverImageId = cover };

    /// <summary>The post's copies fall due now, the scheduler hands them over and the dispatcher sends them.</summary>
    private async Task SendNowAsync(Guid postId)
    {
        await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.PostId == postId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.DueAt, DateTime.UtcNow.AddSeconds(-1)), Ct));
        Assert.True((await factory.Services.GetRequiredService<PostScheduler>().RunOnceAsync(Ct)).Enqueued > 0);
        await factory.Services.GetRequiredService<OutboxDispatcher>().DispatchOnceAsync(Ct);
    }

    private Task<OutboundAction> ActionOfAsync(Guid postId) => DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
        .SingleAsync(a => db.Set<PostDelivery>().IgnoreQueryFilters().Any(d => d.PostId == postId && d.ActionId == a.Id), Ct));

    [Fact]
    public async Task Upload_ReadsTheImage_AndRefusesWhatIsNotOne()
    {
        var ws = await factory.NewWorkspaceAsync();
        var png = Png(640, 480);
        var made = await ImageAsync(ws.Owner.Api, png, "商品.png");
        Assert.Equal(("商品.png", "image/png", png.Length, 640, 480), (made.FileName, made.ContentType, made.ByteSize, made.Width, made.Height));
        Assert.Equal(made.Id, (await ws.Owner.Api.GetJsonAsync<PostImageDto>($"/api/media/{made.Id}")).Id);
        Assert.Equal(png, await ws.Owner.Api.GetByteArrayAsync($"/api/media/{made.Id}/content", Ct));

        // The type is read from the bytes: a JPEG called .png is a JPEG.
        var jpeg = await ImageAsync(ws.Owner.Api, TestImages.Photo(300, 200, SKEncodedImageFormat.Jpeg), "really-a-jpeg.png");
        Assert.Equal("image/jpeg", jpeg.ContentType);

        var text = await (await UploadAsync(ws.Owner.Api, "这不是图片，只是文字"u8.ToArray(), "fake.png")).ReadValidationErrorsAsync();
        Assert.Contains("not an image", Assert.Single(text["file"]), StringComparison.Ordinal);
        var empty = await (await UploadAsync(ws.Owner.Api, [], "empty.png")).ReadValidationErrorsAsync();
        Assert.Contains("required", Assert.Single(empty["file"]), StringComparison.Ordinal);

        // Another workspace does not see it.
        var other = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.GetAsync($"/api/media/{made.Id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task PostWithImage_OnTelegram_IsSentAsAPhotoWithTheTextAsCaption()
    {
        var fake = factory.Telegram;
        var w = await TelegramWorld.CreateAsync(factory, fake);
        var png = Png(800, 600);
        var image = await ImageAsync(w.Ws.Owner.Api, png);
        var post = await (await w.Ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("今日爆品", [w.Community], image.Id))).ReadAsync<PostDto>();
        Assert.Equal(image.Id, post.Image?.Id);

        await SendNowAsync(post.Id);
        var action = await ActionOfAsync(post.Id);
        Assert.Equal(image.Id, ActionPayload.FromJson(action.Payload).ImageId);
        Assert.Equal(ActionStatus.Done, action.Status);

        var call = Assert.Single(w.Calls(fake, "sendPhoto"));
        Assert.Equal(w.Chat.Id, call.Parameters.Number("chat_id"));
        Assert.Equal("今日好物：电报群 专享", call.Parameters.Text("caption"));
        // Telegram.Bot uploads the file as a part of its own, which the photo parameter names (attach://…), as the Bot API allows.
        var photo = Assert.Single(call.Files!);
        Assert.Equal(png, photo.Bytes);
        Assert.Contains(call.Parameters.Text("photo"), new[] { null, "attach://" + photo.Field });
        Assert.Empty(w.Calls(fake, "sendMessage"));
        Assert.Equal("sent", Assert.Single((await w.Ws.Owner.Api.GetJsonAsync<PostDto>($"/api/posts/{post.Id}")).Deliveries).Status);
        // The bot's photo is in the log as an image message with its caption.
        var posted = Assert.Single(await w.EventsAsync(factory), e => e.Kind == EventKind.MessagePosted && e.FromStaff);
        Assert.Equal((MessageKind.Image, "今日好物：电报群 专享"), (posted.MessageKind, posted.Text));
        Assert.NotNull(posted.MediaId);
    }

    [Fact]
    public async Task PostWithImageAndMiniProgram_OnWeCom_UploadsMediaThenAttachesThem()
    {
        var fake = factory.WeCom;
        var ws = await factory.NewWorkspaceAsync();
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var secret = "secret" + Guid.NewGuid().ToString("N");
        var corp = fake.AddCorp(corpId, secret, "tok" + Guid.NewGuid().ToString("N")[..12], "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt");
        var connection = await (await ws.Owner.Api.PostJsonAsync("/api/wecom/connections", new { corpId, secret, token = corp.Token, encodingAesKey = corp.EncodingAesKey }))
            .ReadAsync<WeComConnectionDto>();
        var chatId = "wr" + Guid.NewGuid().ToString("N")[..20];
        await fake.CreateChatAsync(corp, chatId, "企微福利群", "wangwu", push: false);
        await factory.Services.GetRequiredService<WeComSync>().SyncConnectionAsync(connection.Id, false, Ct);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var community = await DbAsync(db => db.Set<PlatformChat>().IgnoreQueryFilters()
            .Where(p => p.WorkspaceId == ws.Id && p.ChatId == chatId).Select(p => p.CommunityId).SingleAsync(Ct));

        var photo = Png(900, 900);
        var cover = Png(500, 400);
        var image = await ImageAsync(ws.Owner.Api, photo, "新品.png");
        var coverImage = await ImageAsync(ws.Owner.Api, cover, "封面.png");
        var created = await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("新品上架", [community], image.Id, Card(coverImage.Id)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var post = await created.ReadAsync<PostDto>();
        Assert.Equal(new MiniProgramCard("限时秒杀", AppId, "pages/item/index?id=42", coverImage.Id), post.MiniProgram);

        await SendNowAsync(post.Id);
        var action = await ActionOfAsync(post.Id);
        Assert.True(action.Status == ActionStatus.Done, $"{action.Status}: {action.Error}");

        var uploads = fake.CallsOf("media/upload").Where(c => c.CorpId == corpId && c.ErrCode == 0).ToList();
        Assert.Equal(2, uploads.Count);
        Assert.All(uploads, u => Assert.Equal("image", u.Body["type"]!.GetValue<string>()));
        var byBytes = fake.Media.Values.Where(m => m.CorpId == corpId).ToDictionary(m => Convert.ToBase64String(m.Bytes), m => m.MediaId);
        var message = Assert.Single(fake.MassMessages.Values, m => m.CorpId == corpId);
        Assert.Equal("今日好物：企微福利群 专享", message.Text);
        Assert.Equal(2, message.Attachments.Count);
        var imageAttachment = (JsonObject)message.Attachments[0]!;
        Assert.Equal(("image", byBytes[Convert.ToBase64String(photo)]), (imageAttachment["msgtype"]!.GetValue<string>(), imageAttachment["image"]!["media_id"]!.GetValue<string>()));
        var mini = (JsonObject)message.Attachments[1]!["miniprogram"]!;
        Assert.Equal(("限时秒杀", AppId, "pages/item/index?id=42", byBytes[Convert.ToBase64String(cover)]),
            (mini["title"]!.GetValue<string>(), mini["appid"]!.GetValue<string>(), mini["page"]!.GetValue<string>(), mini["pic_media_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task WeComFake_MediaUpload_RefusesWhatWeComRefuses()
    {
        // What the app's own checks keep from happening, the fake still refuses with WeCom's codes.
        var fake = factory.WeCom;
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        fake.AddCorp(corpId, "s", "t", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt");
        using var http = new HttpClient { BaseAddress = new Uri(fake.BaseUrl + "/") };
        var token = JsonNode.Parse(await http.GetStringAsync($"cgi-bin/gettoken?corpid={corpId}&corpsecret=s", Ct))!["access_token"]!.GetValue<string>();
        async Task<JsonNode> Upload(string type, byte[] bytes)
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "media", "a.png");
            var response = await http.PostAsync($"cgi-bin/media/upload?access_token={token}&type={type}", form, Ct);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        }
        Assert.Equal(40004, (await Upload("picture", Png(10, 10)))["errcode"]!.GetValue<int>());
        Assert.Equal(40006, (await Upload("image", NoisePng(1800, 1600)))["errcode"]!.GetValue<int>());
        Assert.Equal(40006, (await Upload("image", [1, 2, 3]))["errcode"]!.GetValue<int>());
        var ok = await Upload("image", Png(10, 10));
        Assert.Equal((0, "image"), (ok["errcode"]!.GetValue<int>(), ok["type"]!.GetValue<string>()));
        Assert.NotEmpty(ok["media_id"]!.GetValue<string>());
        Assert.True(long.TryParse(ok["created_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public async Task PostWithImage_InTheSandbox_ShowsAnImageMessage_AndOnAManualGroup_TheTaskNamesIt()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sandbox = await CommunityAsync(ws, "沙盒群", "sandbox");
        var manual = await CommunityAsync(ws, "微信群", "manual");
        var png = Png(400, 400);
        var image = await ImageAsync(ws.Owner.Api, png, "海报.png");
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("海报", [sandbox, manual], image.Id))).ReadAsync<PostDto>();

        await SendNowAsync(post.Id);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var message = await DbAsync(db => db.Set<CommunityEvent>().IgnoreQueryFilters().AsNoTracking()
            .SingleAsync(e => e.WorkspaceId == ws.Id && e.CommunityId == sandbox && e.Kind == EventKind.MessagePosted, Ct));
        Assert.Equal((MessageKind.Image, true, "今日好物：沙盒群 专享"), (message.MessageKind, message.FromStaff, message.Text));
        var uploadId = SandboxUpload.IdOf(message.MediaId);
        Assert.NotNull(uploadId);
        Assert.Equal(png, await DbAsync(db => db.Set<SandboxUpload>().IgnoreQueryFilters().Where(u => u.Id == uploadId).Select(u => u.Bytes).SingleAsync(Ct)));

        var task = await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.WorkspaceId == ws.Id && t.CommunityId == manual, Ct));
        Assert.Equal("今日好物：微信群 专享", task.Text);
        Assert.Contains("海报.png", task.Context, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImagesAndCards_ThatATargetPlatformRefuses_AreRefusedAtSave_NamingFieldAndPlatform()
    {
        var ws = await factory.NewWorkspaceAsync();
        var telegram = await CommunityAsync(ws, "电报群", "telegram");
        var wecom = await CommunityAsync(ws, "企微群", "weCom");
        var sandbox = await CommunityAsync(ws, "沙盒群", "sandbox");
        var wecom2 = await CommunityAsync(ws, "企微二群", "weCom");

        async Task<IDictionary<string, string[]>> RefusedAsync(object body)
        {
            var response = await ws.Owner.Api.PostJsonAsync("/api/posts", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return await response.ReadValidationErrorsAsync();
        }

        // Over 10 MB: too large for Telegram and WeCom alike; the Sandbox takes it.
        var large = await ImageAsync(ws.Owner.Api, NoisePng(1800, 1600), "large.png");
        Assert.True(large.ByteSize > PostMedia.PlatformMaxBytes);
        var tooLarge = await RefusedAsync(NewPost("大图", [telegram, wecom], large.Id));
        Assert.Contains(tooLarge["imageId"], m => m.Contains("Telegram", StringComparison.Ordinal) && m.Contains("10,485,760", StringComparison.Ordinal));
        Assert.Contains(tooLarge["imageId"], m => m.Contains("WeCom", StringComparison.Ordinal) && m.Contains("10,485,760", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("沙盒大图", [sandbox], large.Id))).StatusCode);

        // Telegram: sides at most 20 times apart, and together at most 10000.
        var banner = await ImageAsync(ws.Owner.Api, Png(2100, 100), "banner.png");
        Assert.Contains("20 times", Assert.Single((await RefusedAsync(NewPost("横幅", [telegram], banner.Id)))["imageId"]), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("企微横幅", [wecom], banner.Id))).StatusCode);

        // With an image the text is the photo's caption on Telegram: at most 1024 characters.
        var photo = await ImageAsync(ws.Owner.Api, Png(600, 600));
        var caption = Assert.Single((await RefusedAsync(NewPost("长文", [telegram], photo.Id, text: new string('好', 1100))))["text"]);
        Assert.Contains("caption on Telegram", caption, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("长文无图", [telegram], text: new string('好', 1100)))).StatusCode);

        // WeCom takes JPG and PNG only.
        var webp = await ImageAsync(ws.Owner.Api, TestImages.Photo(300, 300, SKEncodedImageFormat.Webp), "photo.webp");
        Assert.Contains("JPG or PNG", Assert.Single((await RefusedAsync(NewPost("WebP", [wecom], webp.Id)))["imageId"]), StringComparison.Ordinal);

        // A mini-program card goes to WeCom only; its fields are checked.
        var onTelegram = await RefusedAsync(NewPost("小程序", [wecom, telegram], miniProgram: Card(photo.Id)));
        Assert.Contains("Telegram", Assert.Single(onTelegram["miniProgram"]), StringComparison.Ordinal);
        var badAppId = await RefusedAsync(NewPost("小程序", [wecom], miniProgram: Card(photo.Id, appId: "wx123")));
        Assert.Contains("wx and 16 hex digits", Assert.Single(badAppId["miniProgram.appId"]), StringComparison.Ordinal);
        var longTitle = await RefusedAsync(NewPost("小程序", [wecom], miniProgram: Card(photo.Id, title: new string('秒', 22))));
        Assert.Contains("66 bytes", Assert.Single(longTitle["miniProgram.title"]), StringComparison.Ordinal);
        var noPage = await RefusedAsync(NewPost("小程序", [wecom], miniProgram: new { title = "秒杀", appId = AppId }));
        Assert.True(noPage.ContainsKey("miniProgram.page") && noPage.ContainsKey("miniProgram.coverImageId"));
        var unknown = await RefusedAsync(NewPost("未知图", [wecom], Guid.NewGuid()));
        Assert.Contains("unknown value", Assert.Single(unknown["imageId"]), StringComparison.Ordinal);

        // Moving a good post to a Telegram group is checked too.
        var ok = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("企微横幅2", [wecom2], banner.Id))).ReadAsync<PostDto>();
        var moved = await ws.Owner.Api.PutJsonAsync($"/api/posts/{ok.Id}", new { targets = new { communityIds = new[] { telegram } } });
        Assert.Contains("20 times", Assert.Single((await moved.ReadValidationErrorsAsync())["imageId"]), StringComparison.Ordinal);

        // Nothing half-written: only the posts that were accepted exist.
        var titles = await DbAsync(db => db.Set<Post>().IgnoreQueryFilters().Where(p => p.WorkspaceId == ws.Id).Select(p => p.Title).ToListAsync(Ct));
        Assert.Equal(["企微横幅", "企微横幅2", "沙盒大图", "长文无图"], titles.Order(StringComparer.Ordinal));
        Assert.Empty(await DbAsync(db => db.Set<PostDelivery>().IgnoreQueryFilters().Where(d => d.WorkspaceId == ws.Id && d.CommunityId == telegram && d.PostId == ok.Id).ToListAsync(Ct)));
    }

    [Fact]
    public async Task SopStepWithImage_MakesPostsWithIt_AndIsCheckedAgainstTheCommunitiesItApplies()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sandbox = await CommunityAsync(ws, "沙盒群", "sandbox");
        var telegram = await CommunityAsync(ws, "电报群", "telegram");
        var poster = await ImageAsync(ws.Owner.Api, Png(600, 600), "周一海报.png");
        var banner = await ImageAsync(ws.Owner.Api, Png(2100, 100), "banner.png");
        // Two weeks ahead: one week is today to Sunday, which holds no Monday 20:00 still to come on a Monday evening.
        var template = await (await ws.Owner.Api.PostJsonAsync("/api/sop", new
        {
            name = "每周海报", trigger = "weekdays", weeksAhead = 2,
            steps = new object[] { new { title = "周一海报", text = "{community} 本周新品", contentType = "seeding", time = "20:00", weekdays = new[] { "monday" }, imageId = poster.Id } },
        })).ReadAsync<SopDto>();
        Assert.Equal(poster.Id, Assert.Single(template.Steps).ImageId);

        await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}/communities", new { communityIds = new[] { sandbox, telegram } });
        var images = await DbAsync(db => db.Set<Post>().IgnoreQueryFilters().Where(p => p.SopTemplateId == template.Id).Select(p => p.ImageId).ToListAsync(Ct));
        Assert.NotEmpty(images);
        Assert.All(images, i => Assert.Equal(poster.Id, i));

        // A banner Telegram refuses is refused for the step while the template applies to a Telegram group.
        var refused = await ws.Owner.Api.PutJsonAsync($"/api/sop/{template.Id}", new
        {
            steps = new object[] { new { title = "周一海报", text = "{community} 本周新品", contentType = "seeding", time = "20:00", weekdays = new[] { "monday" }, imageId = banner.Id } },
        });
        Assert.Contains("Telegram", Assert.Single((await refused.ReadValidationErrorsAsync())["steps[0].imageId"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageAndCard_AreTakenOffAnUpdate_AndTheUpdateIsChecked()
    {
        var ws = await factory.NewWorkspaceAsync();
        var wecom = await CommunityAsync(ws, "企微群", "weCom");
        var photo = await ImageAsync(ws.Owner.Api, Png(600, 600));
        var post = await (await ws.Owner.Api.PostJsonAsync("/api/posts", NewPost("带卡片", [wecom], photo.Id, Card(photo.Id)))).ReadAsync<PostDto>();
        Assert.NotNull(post.MiniProgram);

        var bad = await ws.Owner.Api.PutJsonAsync($"/api/posts/{post.Id}", new { miniProgram = Card(photo.Id, appId: "WX8BD80126147DFA0E") });
        Assert.True((await bad.ReadValidationErrorsAsync()).ContainsKey("miniProgram.appId"));
        var cleared = await (await ws.Owner.Api.PutJsonAsync($"/api/posts/{post.Id}", new { removeImage = true, miniProgram = new { } })).ReadAsync<PostDto>();
        Assert.Null(cleared.Image);
        Assert.Null(cleared.MiniProgram);
    }
}

public sealed class PostMediaSqliteTests(PostMediaSqliteFactory factory) : PostMediaTests<PostMediaSqliteFactory>(factory), IClassFixture<PostMediaSqliteFactory>;

public sealed class PostMediaPostgresTests(PostMediaPostgresFactory factory) : PostMediaTests<PostMediaPostgresFactory>(factory), IClassFixture<PostMediaPostgresFactory>;
