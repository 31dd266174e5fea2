using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>
/// The inviter carried by the page scripts, at phone size: a member copies their invite link from their own page; a
/// friend who has their own personal link on this phone opens it and acts on the page (claims a coupon through
/// campaign.js, answers a quiz through board.js); the friend's participant row then names the member who invited them.
/// </summary>
public sealed class PageInviterTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InviteLink_OpenedByAFriend_ThenCouponClaimed_RecordsTheInviter()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "邀请领券群");
        var members = await CampaignKit.JoinAsync(api, community, ["阿邀", "小友"]);
        var campaign = await CampaignKit.CreateAsync(api, CampaignKit.Coupons("邀请领券", community, validDays: 30));

        var invite = await InviteLinkAsync(await CampaignKit.LinkAsync(api, campaign.Id, members["阿邀"]));

        await using var friendPhone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await friendPhone.NewPageAsync();
        // The friend's own link first (the page keeps their token on this phone), then the invite link, without a token.
        await h5.GotoAsync(await CampaignKit.LinkAsync(api, campaign.Id, members["小友"]));
        await h5.GetByTestId("coupon-claim").WaitForAsync();
        await h5.GotoAsync(invite);
        Assert.DoesNotContain("m=", new Uri(h5.Url).Query, StringComparison.Ordinal);
        await h5.GetByTestId("coupon-claim").ClickAsync();
        await h5.GetByTestId("campaign-help-result").Filter(new() { HasTextString = "领券成功" }).WaitForAsync();

        Assert.Equal(members["阿邀"], await InviterAsync(campaign.Id, members["小友"]));
        Assert.Null(await InviterAsync(campaign.Id, members["阿邀"]));
    }

    [Fact]
    public async Task InviteLink_OpenedByAFriend_ThenQuizAnswered_RecordsTheInviter()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "邀请答题群");
        var members = await CampaignKit.JoinAsync(api, community, ["阿问", "小答"]);
        var quiz = await CampaignKit.CreateAsync(api, new
        {
            name = "邀请答题" + Guid.NewGuid().ToString("N")[..4], kind = "quiz", startsAt = DateTimeOffset.UtcNow.AddMinutes(-5), endsAt = DateTimeOffset.UtcNow.AddDays(3),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rules = new { questions = new[] { new { text = "鱼油每天吃几粒？", options = new[] { "1 粒", "10 粒" }, correct = new[] { 0 } } } },
        });

        var invite = await InviteLinkAsync(await CampaignKit.LinkAsync(api, quiz.Id, members["阿问"]));

        await using var friendPhone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await friendPhone.NewPageAsync();
        await h5.GotoAsync(await CampaignKit.LinkAsync(api, quiz.Id, members["小答"]));
        await h5.GetByTestId("campaign-board-link").WaitForAsync();
        // The invite link's page keeps the inviter; the friend goes on to the quiz page from it.
        await h5.GotoAsync(invite);
        await h5.GetByTestId("campaign-board-link").ClickAsync();
        await h5.WaitForURLAsync(url => new Uri(url).AbsolutePath.EndsWith("/quiz", StringComparison.Ordinal));
        await h5.Locator("#quiz input[type=radio], #quiz input[type=checkbox]").First.CheckAsync();
        await h5.GetByTestId("quiz-submit").ClickAsync();
        // The page reloads with the result once the answer was kept (and the inviter recorded with it).
        await h5.GetByTestId("quiz-result").WaitForAsync();
        Assert.Equal(members["阿问"], await InviterAsync(quiz.Id, members["小答"]));
    }

    /// <summary>The member opens their personal link on their phone and reads the invite link the page shows them.</summary>
    private async Task<string> InviteLinkAsync(string personalLink)
    {
        await using var phone = await app.NewContextAsync(ConsoleApp.Phone);
        var h5 = await phone.NewPageAsync();
        await h5.GotoAsync(personalLink);
        var url = h5.GetByTestId("campaign-invite-url");
        await url.WaitForAsync();
        await h5.WaitForFunctionAsync("() => document.querySelector('[data-testid=campaign-invite-url]').value.length > 0");
        var invite = new Uri(await url.InputValueAsync());
        Assert.Contains("i=", invite.Query, StringComparison.Ordinal);
        Assert.DoesNotContain(CampaignKit.Token(personalLink), invite.Query, StringComparison.Ordinal);
        await h5.AssertFitsAsync();
        return invite.PathAndQuery;
    }

    /// <summary>Who the participant row says brought the member (no API lists it: read from the app's database).</summary>
    private async Task<string?> InviterAsync(string campaignId, string memberId)
    {
        await using var db = new SqliteConnection($"Data Source={app.DatabasePath};Mode=ReadOnly;Default Timeout=30");
        await db.OpenAsync(Ct);
        await using var read = db.CreateCommand();
        read.CommandText = "SELECT InvitedByMemberId FROM CampaignParticipants WHERE lower(CampaignId) = $c AND lower(MemberId) = $m";
        read.Parameters.AddWithValue("$c", campaignId.ToLowerInvariant());
        read.Parameters.AddWithValue("$m", memberId.ToLowerInvariant());
        return await read.ExecuteScalarAsync(Ct) is string s ? s.ToLowerInvariant() : null;
    }
}
