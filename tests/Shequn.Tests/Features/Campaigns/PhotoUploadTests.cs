using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
}

public sealed class PhotoUploadSqliteTests(PostsSqliteFactory factory) : PhotoUploadTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class PhotoUploadPostgresTests(PostsPostgresFactory factory) : PhotoUploadTests(factory), IClassFixture<PostsPostgresFactory>;
