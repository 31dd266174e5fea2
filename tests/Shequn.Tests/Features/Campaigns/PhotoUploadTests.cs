using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Calendar;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using SkiaSharp;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// 晒图返现 uploaded on the page: a real image becomes the day's pending photo (one per member and day), anything else or
/// anything too large is refused in the page's language, and staff who see the campaign get the image back.
/// </summary>
public abstract class PhotoUploadTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Png(int side)
    {
        using var bitmap = new SKBitmap(side, side);
        bitmap.Erase(SKColors.OrangeRed);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> UploadAsync(HttpClient client, string slug, string? token, byte[] bytes, string culture = "zh-CN")
    {
        using var form = new MultipartFormDataContent();
        if (token is not null)
            form.Add(new StringContent(token), "token");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "my.png");
        var response = await client.PostAsync($"/c/{slug}/photo?culture={culture}", form, Ct);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    [Fact]
    public async Task Upload_ARealImage_IsTheDaysPendingPhoto_OncePerDay_OthersRefused_StaffSeeTheImage()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("晒图群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "7 天晒图返现", kind = "photoShare", startsAt = now.AddDays(-1), endsAt = now.AddDays(10), audience = new { communityIds = new[] { community } },
            goalMetric = "completions", goalTarget = 10, rewards = new[] { new { kind = "coupon", name = "返现券", valueFen = 500, costFen = 500, quantity = 100 } },
            rules = new { daysInRow = 7 },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", new[] { Join(community, "j", "u1", now.AddDays(-3)) })).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var member = await FlashSaleKit.DbAsync(factory, db => db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws.Id).Select(m => m.Id).SingleAsync(Ct));
        var slug = campaign.PageUrl[(campaign.PageUrl.LastIndexOf('/') + 1)..];
        var token = await FlashSaleKit.TokenAsync(factory, campaign.Id, member);
        var client = factory.CreateClient();

        var page = await client.GetStringAsync($"/c/{slug}?m={token}", Ct);
        Assert.Contains("data-testid=\"campaign-photo\"", page, StringComparison.Ordinal);
        Assert.Contains("/c/photo.js", page, StringComparison.Ordinal);

        // Not an image, too large, no token: refused with the page's words.
        var text = await UploadAsync(client, slug, token, "GIF89a but not really"u8.ToArray());
        Assert.Equal((HttpStatusCode.BadRequest, "photoNotImage"), (text.Status, text.Body.GetProperty("code").GetString()));
        Assert.Contains("不是图片", text.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var large = await UploadAsync(client, slug, token, new byte[CampaignPhoto.UploadMaxBytes + 1], culture: "en");
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "photoTooLarge"), (large.Status, large.Body.GetProperty("code").GetString()));
        Assert.Contains("5 MB", large.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await UploadAsync(client, slug, "forged", Png(8))).Status);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<PhotoDto>>($"/api/campaigns/{campaign.Id}/photos"));

        var png = Png(64);
        var ok = await UploadAsync(client, slug, token, png);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        var again = await UploadAsync(client, slug, token, Png(32));
        Assert.Equal((HttpStatusCode.Conflict, "photoToday"), (again.Status, again.Body.GetProperty("code").GetString()));
        var photo = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<PhotoDto>>($"/api/campaigns/{campaign.Id}/photos"));
        Assert.Equal((member, PhotoStatus.Pending, community), (photo.MemberId, photo.Status, photo.CommunityId));

        var image = await ws.Owner.Api.GetAsync($"/api/campaigns/{campaign.Id}/photos/{photo.Id}/image", Ct);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        Assert.Equal(png, await image.Content.ReadAsByteArrayAsync(Ct));
        var other = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.GetAsync($"/api/campaigns/{campaign.Id}/photos/{photo.Id}/image", Ct)).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync($"/api/campaigns/{campaign.Id}/photos/{photo.Id}/image", Ct)).StatusCode); // no staff sign-in

        // The review is the same as for a group photo.
        var reviewed = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/photos/{photo.Id}/review", new { approve = true })).ReadAsync<PhotoDto>();
        Assert.Equal(PhotoStatus.Approved, reviewed.Status);
    }

    /// <summary>A running photo campaign in a new workspace with one member in its group, and that member's uploaded photo.</summary>
    private async Task<(TestWorkspace Ws, Guid Community, Guid Campaign, Guid Member, string Slug, string Token, PhotoDto Photo, Guid ImageId)> UploadedAsync(byte[] png)
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("晒图群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "晒图返现", kind = "photoShare", startsAt = now.AddDays(-1), endsAt = now.AddDays(10), audience = new { communityIds = new[] { community } },
            goalMetric = "completions", goalTarget = 10, rewards = new[] { new { kind = "coupon", name = "返现券", valueFen = 500, costFen = 500, quantity = 100 } },
            rules = new { daysInRow = 7 },
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", new[] { Join(community, "j", "u1", now.AddDays(-3)) })).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var member = await FlashSaleKit.DbAsync(factory, db => db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws.Id).Select(m => m.Id).SingleAsync(Ct));
        var slug = campaign.PageUrl[(campaign.PageUrl.LastIndexOf('/') + 1)..];
        var token = await FlashSaleKit.TokenAsync(factory, campaign.Id, member);
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(factory.CreateClient(), slug, token, png)).Status);
        var photo = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<PhotoDto>>($"/api/campaigns/{campaign.Id}/photos"));
        var imageId = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignPhoto>().IgnoreQueryFilters().Where(p => p.Id == photo.Id).Select(p => p.ImageId!.Value).SingleAsync(Ct));
        return (ws, community, campaign.Id, member, slug, token, photo, imageId);
    }

    [Fact]
    public async Task Photos_AnUpload_NamesItsImage_TheConsoleThumbnailIsAJpeg_StaffOfAnotherGroupGetNothing()
    {
        var png = Png(400);
        var (ws, _, campaign, _, _, _, photo, _) = await UploadedAsync(png);
        Assert.Equal($"/api/campaigns/{campaign}/photos/{photo.Id}/image", photo.ImageUrl);
        Assert.Equal(png, await (await ws.Owner.Api.GetAsync(photo.ImageUrl, Ct)).Content.ReadAsByteArrayAsync(Ct));

        // The console's review reads the same pictures through the desk: a thumbnail no larger than the console's side.
        var thumbnail = await PicturesAsync(ws, ws.Owner, campaign, photo.Id, full: false);
        var picture = Assert.Single(thumbnail).Value;
        Assert.Equal("image/jpeg", picture.ContentType);
        using (var decoded = SKBitmap.Decode(picture.Bytes))
            Assert.Equal(Shequn.Features.Calendar.PostImage.ThumbnailSide, Math.Max(decoded.Width, decoded.Height));
        Assert.StartsWith("data:image/jpeg;base64,", picture.DataUrl, StringComparison.Ordinal);
        Assert.Equal(png, Assert.Single(await PicturesAsync(ws, ws.Owner, campaign, photo.Id, full: true)).Value.Bytes);

        // An operator of another group of the workspace sees neither the image nor its thumbnail.
        var elsewhere = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("别的群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var stranger = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator, "别的群运营", elsewhere);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Api.GetAsync(photo.ImageUrl, Ct)).StatusCode);
        Assert.Empty(await PicturesAsync(ws, stranger, campaign, photo.Id, full: false));
    }

    private async Task<Dictionary<Guid, PhotoPicture>> PicturesAsync(TestWorkspace ws, TestStaff staff, Guid campaign, Guid photo, bool full)
    {
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<Shequn.Data.AppDbContext>();
        db.Current.SetPrincipal(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, staff.Id.ToString()), new Claim(Shequn.Platform.Auth.ShequnClaims.Workspace, ws.Id.ToString())], "test")));
        return await scope.ServiceProvider.GetRequiredService<CampaignDesk>().PhotoPicturesAsync(campaign, [photo], full, Ct);
    }

    [Fact]
    public async Task Photos_AnUploadIsNotAPostImage_NotServedByTheMediaEndpoints_NorUsableInAPostOrOnAPage()
    {
        var (ws, community, campaign, _, slug, _, photo, imageId) = await UploadedAsync(Png(32));
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/media/{imageId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/media/{imageId}/content", Ct)).StatusCode);
        // A post naming it is refused as an unknown image.
        var post = await ws.Owner.Api.PostJsonAsync("/api/posts", new
        {
            title = "看这张", text = "看这张", contentType = "productOfTheDay", dueAt = DateTimeOffset.UtcNow.AddHours(1), targets = new { communityIds = new[] { community } }, imageId,
        });
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Contains("imageId", (await post.ReadValidationErrorsAsync()).Keys);
        // Saving a page block naming it is refused, naming the block, and nothing of the save is kept.
        var save = await ws.Owner.Api.PutJsonAsync($"/api/campaigns/{campaign}", new
        {
            name = "改了名字", page = new object[] { new { kind = "text", text = "晒图" }, new { kind = "image", title = "图", imageId } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, save.StatusCode);
        Assert.Equal("page[1].imageId", Assert.Single((await save.ReadValidationErrorsAsync()).Keys));
        Assert.NotEqual("改了名字", await FlashSaleKit.DbAsync(factory, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == campaign).Select(c => c.Name).SingleAsync(Ct)));
        // An image of the workspace's library is taken, and the page serves it.
        using (var form = new MultipartFormDataContent())
        {
            var file = new ByteArrayContent(Png(24));
            file.Headers.ContentType = new("image/png");
            form.Add(file, "file", "banner.png");
            var library = await (await ws.Owner.Api.PostAsync("/api/media", form, Ct)).ReadAsync<PostImageDto>();
            var saved = await ws.Owner.Api.PutJsonAsync($"/api/campaigns/{campaign}", new { page = new object[] { new { kind = "image", title = "图", imageId = library.Id } } });
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
            factory.Services.GetRequiredService<CampaignSnapshots>().Invalidate(slug);
            Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync($"/c/{slug}/images/{library.Id}", Ct)).StatusCode);
        }
        // A page block stored naming it (written before this check existed) shows nothing: the page's image route does not serve it.
        await FlashSaleKit.DbAsync(factory, db => db.Set<Campaign>().IgnoreQueryFilters().Where(c => c.Id == campaign)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Page, JsonSerializer.Serialize(new[] { new PageBlock(PageBlockKind.Image, "图", null, imageId) }, CampaignJson.Options)), Ct));
        factory.Services.GetRequiredService<CampaignSnapshots>().Invalidate(slug);
        Assert.Equal(HttpStatusCode.NotFound, (await factory.CreateClient().GetAsync($"/c/{slug}/images/{imageId}", Ct)).StatusCode);
        // Staff who see the group still get it where it belongs.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.GetAsync(photo.ImageUrl, Ct)).StatusCode);
    }

    [Fact]
    public async Task Erase_AMemberWithAnUploadedPhoto_DeletesTheStoredImage()
    {
        var (ws, _, campaign, member, _, _, photo, imageId) = await UploadedAsync(Png(16));
        // Another member's upload stays.
        var other = await UploadedAsync(Png(16));
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostAsync($"/api/members/{member}/erase", null, Ct)).StatusCode);
        Assert.False(await FlashSaleKit.DbAsync(factory, db => db.Set<Shequn.Features.Calendar.PostImage>().IgnoreQueryFilters().AnyAsync(i => i.Id == imageId, Ct)));
        Assert.False(await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignPhoto>().IgnoreQueryFilters().AnyAsync(p => p.Id == photo.Id, Ct)));
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync(photo.ImageUrl, Ct)).StatusCode);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<PhotoDto>>($"/api/campaigns/{campaign}/photos"));
        Assert.True(await FlashSaleKit.DbAsync(factory, db => db.Set<Shequn.Features.Calendar.PostImage>().IgnoreQueryFilters().AnyAsync(i => i.Id == other.ImageId, Ct)));
    }
}

public sealed class PhotoUploadSqliteTests(PostsSqliteFactory factory) : PhotoUploadTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class PhotoUploadPostgresTests(PostsPostgresFactory factory) : PhotoUploadTests(factory), IClassFixture<PostsPostgresFactory>;
