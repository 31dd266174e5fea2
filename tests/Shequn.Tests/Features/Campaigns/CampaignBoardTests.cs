using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// 比 问答 换 end to end: a leaderboard scored from the log (staff, bots and late joiners left out, ties in the published
/// order), posted once per round and settled once; communities competing per member; a quiz whose answers never reach
/// the page before the member's one submission, replays answered alike; a swap board where two accepts race and one wins.
/// </summary>
public abstract class CampaignBoardTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    private async Task SendAsync(TestWorkspace ws, params Dictionary<string, object?>[] events)
    {
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private Task<Guid> MemberAsync(TestWorkspace ws, string name) =>
        DbAsync(ws.Id, db => db.Members.Where(m => m.DisplayName == name).Select(m => m.Id).SingleAsync(Ct));

    private Task<int> EndAsync(TestWorkspace ws, Guid campaign) =>
        DbAsync(ws.Id, db => db.Set<Campaign>().Where(c => c.Id == campaign).ExecuteUpdateAsync(s => s.SetProperty(c => c.EndsAt, DateTime.UtcNow.AddSeconds(-1)), Ct));

    private static string Slug(CampaignDto c) => c.PageUrl[(c.PageUrl.LastIndexOf('/') + 1)..];

    private static async Task<CampaignDto> PublishedAsync(TestWorkspace ws, object body)
    {
        var response = await ws.Owner.Api.PostJsonAsync("/api/campaigns", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        var made = await response.ReadAsync<CampaignDto>();
        return await (await ws.Owner.Api.PostAsync($"/api/campaigns/{made.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();
    }

    private static Dictionary<string, object?> Photo(Guid community, string id, string user, DateTimeOffset at)
    {
        var e = Message(community, id, user, at, "");
        e["message"] = new { id = "m-" + id, kind = "image" };
        return e;
    }

    [Fact]
    public async Task Leaderboard_ScoredFromTheLog_StaffAndLateJoinersLeftOut_PostedOncePerRound_SettledOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "比拼群");
        var now = DateTimeOffset.UtcNow;
        var start = now.AddDays(-2);
        await SendAsync(ws, Join(group, "j1", "u1", now.AddDays(-10)), Join(group, "j2", "u2", now.AddDays(-10)), Join(group, "j3", "u3", now.AddDays(-10)),
            Join(group, "js", "boss", now.AddDays(-10)));
        var campaign = await PublishedAsync(ws, new
        {
            name = "发言排行榜", kind = "leaderboard", startsAt = start, endsAt = now.AddDays(5), audience = new { communityIds = new[] { group } },
            goalMetric = "participants", goalTarget = 10,
            rewards = new[] { new { kind = "points", name = "冠军 100 积分", valueFen = 100, costFen = 0, quantity = 1 }, new { kind = "points", name = "亚军 50 积分", valueFen = 50, costFen = 0, quantity = 1 } },
            rules = new { scoring = new { messagePoints = 1, photoPoints = 3, invitePoints = 5, checkInPoints = 2, checkInKeyword = "打卡", dailyCap = 100 }, excludeJoinedAfterStart = true },
        });
        await SendAsync(ws,
            Message(group, "a1", "u1", now.AddHours(-30), "打卡"),            // u1: 1 + 2
            Message(group, "a2", "u1", now.AddHours(-29), "hello"),           // u1: 1 → 4
            Photo(group, "b1", "u2", now.AddHours(-28)),                       // u2: 3
            Message(group, "b2", "u2", now.AddHours(-27), "hi"),              // u2: 1 → 4 (later than u1's 4)
            Join(group, "j4", "u4", now.AddHours(-26), inviter: "u3"),        // u3 invites a new member: 5
            Message(group, "c1", "u4", now.AddHours(-25), "新人报到"),         // u4 joined after the start: not ranked
            Message(group, "s1", "boss", now.AddHours(-24), "群主发言", staff: true),
            Message(group, "s2", "boss", now.AddHours(-23), "群主再发言"),       // a sender who posted as staff never scores
            Message(group, "x0", "u1", now.AddDays(-3), "开始前"));            // before the start
        var board = await ws.Owner.Api.GetJsonAsync<LeaderboardDto>($"/api/campaigns/{campaign.Id}/leaderboard");
        Assert.Equal(["用户u3:5", "用户u1:4", "用户u2:4"], board.Rows.Select(r => $"{r.Name}:{r.Points}"));
        Assert.Equal([1, 2, 3], board.Rows.Select(r => r.Rank));

        // The public page: the standings and the rule, localized.
        var client = factory.CreateClient();
        var html = await client.GetStringAsync($"/c/{Slug(campaign)}/board?culture=en", Ct);
        Assert.Contains("用户u3", html, StringComparison.Ordinal);
        Assert.Contains("Each photo earns 3 points", html, StringComparison.Ordinal);
        Assert.Contains("whoever reached them first", html, StringComparison.Ordinal);
        Assert.DoesNotContain("用户boss", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/c/{Slug(campaign)}/board\"", await client.GetStringAsync($"/c/{Slug(campaign)}", Ct), StringComparison.Ordinal);

        // The progress post: one action per community per round, a double click adds nothing.
        var first = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/leaderboard/post", new { round = "day1" })).ReadAsync<LeaderboardPostDto>();
        var again = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/leaderboard/post", new { round = "day1" })).ReadAsync<LeaderboardPostDto>();
        Assert.Equal((1, 0), (first.Queued, first.AlreadyPosted));
        Assert.Equal((0, 1), (again.Queued, again.AlreadyPosted));
        var action = Assert.Single(await DbAsync(ws.Id, db => db.Set<OutboundAction>().Where(a => a.IdempotencyKey.StartsWith("board:")).ToListAsync(Ct)));
        Assert.Contains("1. 用户u3 — 5", action.Payload, StringComparison.Ordinal);
        // The announcement publishes the rule too.
        var announced = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/announce", new { })).ReadAsync<CampaignDto>();
        var post = await DbAsync(ws.Id, db => db.Set<Shequn.Features.Calendar.Post>().SingleAsync(p => p.Id == announced.Announcements[0].PostId, Ct));
        Assert.Contains("每发一张图片得 3 分", post.Text, StringComparison.Ordinal);
        var badRound = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/leaderboard/post", new { round = "第一轮!" })).ReadValidationErrorsAsync();
        Assert.True(badRound.ContainsKey("round"));

        // Settle: refused while running; after the end, twice → the same grants, rank 1 and 2 only.
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/leaderboard/settle", null, Ct)).StatusCode);
        await EndAsync(ws, campaign.Id);
        var settled = await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/leaderboard/settle", null, Ct)).ReadAsync<LeaderboardDto>();
        var twice = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/leaderboard/settle", null, Ct)).ReadAsync<LeaderboardDto>()));
        Assert.Equal(["rank:1:用户u3:0", "rank:2:用户u1:1"], settled.Grants.Select(g => $"{g.Key}:{g.Name}:{g.RewardIndex}"));
        Assert.All(twice, t => Assert.Equal(settled.Grants.Select(g => g.Key + g.MemberId), t.Grants.Select(g => g.Key + g.MemberId)));
        Assert.Equal(2, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));
    }

    [Fact]
    public async Task Leaderboard_BetweenCommunities_PerMember_RanksTheSmallerBusierGroupFirst()
    {
        var ws = await factory.NewWorkspaceAsync();
        var big = await CommunityAsync(ws, "大群");
        var small = await CommunityAsync(ws, "小群");
        var now = DateTimeOffset.UtcNow;
        await SendAsync(ws, [.. Enumerable.Range(0, 4).Select(i => Join(big, "jb" + i, "b" + i, now.AddDays(-9))), Join(small, "js0", "s0", now.AddDays(-9))]);
        var campaign = await PublishedAsync(ws, new
        {
            name = "群 PK", kind = "leaderboard", startsAt = now.AddDays(-1), endsAt = now.AddDays(5), audience = new { communityIds = new[] { big, small } },
            goalMetric = "participants", goalTarget = 10,
            rules = new { betweenCommunities = true, scoring = new { messagePoints = 1, communityBasis = "perMember" } },
        });
        await SendAsync(ws, Message(big, "m1", "b0", now.AddHours(-5)), Message(big, "m2", "b1", now.AddHours(-4)), Message(big, "m3", "b2", now.AddHours(-3)),
            Message(small, "m4", "s0", now.AddHours(-2)), Message(small, "m5", "s0", now.AddHours(-1)));
        var board = await ws.Owner.Api.GetJsonAsync<LeaderboardDto>($"/api/campaigns/{campaign.Id}/leaderboard");
        Assert.True(board.BetweenCommunities);
        Assert.Equal(["小群:2:2:1", "大群:3:0.75:4"], board.Rows.Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.Name}:{r.Points}:{r.Score}:{r.Members}")));
        var html = await factory.CreateClient().GetStringAsync($"/c/{Slug(campaign)}/board", Ct);
        Assert.Contains("人均", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leaderboard_SaveCheck_NamesTheScoringField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "规则群");
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "没有规则", kind = "leaderboard", startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddDays(1), audience = new { communityIds = new[] { group } },
            goalTarget = 1, rules = new { scoring = new { checkInPoints = 5 } },
        })).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("rules.scoring.checkInKeyword"));
    }

    private static object QuizBody(Guid group, DateTimeOffset now, object[] questions, int? passMark) => new
    {
        name = "产品知识问答", kind = "quiz", startsAt = now.AddHours(-1), endsAt = now.AddDays(3), audience = new { communityIds = new[] { group } },
        goalMetric = "completions", goalTarget = 10, rewards = new[] { new { kind = "coupon", name = "5 元券", valueFen = 500, costFen = 500, quantity = 10 } },
        rules = new { questions, passMark },
    };

    private static readonly object[] Questions =
    [
        new { text = "土鸡蛋保存温度？", options = new[] { "常温", "冷藏 4℃", "冷冻" }, correct = new[] { 1 } },
        new { text = "哪些是我们的产地？", options = new[] { "云南", "贵州", "海南" }, correct = new[] { 0, 1 }, points = 2 },
    ];

    [Fact]
    public async Task Quiz_AnswersHiddenUntilSubmitted_OneSubmissionPerMember_ReplaysAnsweredAlike_PassGrantsOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "问答群");
        var now = DateTimeOffset.UtcNow;

        // The save-time check names the question's field.
        var bad = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", QuizBody(group, now,
            [new { text = "无正确答案", options = new[] { "甲", "乙" }, correct = new[] { 2 } }, new { text = "只有一个选项", options = new[] { "甲" }, correct = new[] { 0 } }], null)))
            .ReadValidationErrorsAsync();
        Assert.True(bad.ContainsKey("rules.questions[0].correct"));
        Assert.True(bad.ContainsKey("rules.questions[1].options"));

        var campaign = await PublishedAsync(ws, QuizBody(group, now, Questions, 3));
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, group, 3);
        var client = factory.CreateClient();
        var token = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[0]);
        var page = await client.GetStringAsync($"/c/{Slug(campaign)}/quiz?m={token}", Ct);
        Assert.Contains("土鸡蛋保存温度", page, StringComparison.Ordinal);
        Assert.DoesNotContain("✅", page, StringComparison.Ordinal);
        Assert.DoesNotContain("correct", page, StringComparison.OrdinalIgnoreCase);

        // Bad answers name the field.
        var shape = await (await client.PostJsonAsync($"/c/{Slug(campaign)}/quiz", new { token, requestId = "r0", answers = new[] { new[] { 1 } } })).ReadValidationErrorsAsync();
        Assert.True(shape.ContainsKey("answers"));
        var option = await (await client.PostJsonAsync($"/c/{Slug(campaign)}/quiz", new { token, requestId = "r0", answers = new[] { new[] { 7 }, new[] { 0 } } })).ReadValidationErrorsAsync();
        Assert.True(option.ContainsKey("answers[0]"));

        // The first submission decides; replays and other request ids (even with other answers) are answered with it.
        async Task<JsonElement> SubmitAsync(string t, string rid, int[][] chosen)
        {
            var r = await client.PostJsonAsync($"/c/{Slug(campaign)}/quiz", new { token = t, requestId = rid, answers = chosen });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("result").Clone();
        }
        var result = await SubmitAsync(token, "r1", [[1], [1, 0]]);
        Assert.False(result.GetProperty("replayed").GetBoolean());
        Assert.Equal((3, 3), (result.GetProperty("score").GetInt32(), result.GetProperty("total").GetInt32()));
        Assert.True(result.GetProperty("passed").GetBoolean());
        var replays = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => SubmitAsync(token, "r" + i, [[0], [2]])));
        Assert.All(replays, r => Assert.Equal((result.GetProperty("submissionId").GetGuid(), 3, true),
            (r.GetProperty("submissionId").GetGuid(), r.GetProperty("score").GetInt32(), r.GetProperty("replayed").GetBoolean())));

        // Many first submissions at once from one member (a double click racing itself): one row, one result.
        var third = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[2]);
        var race = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => SubmitAsync(third, "t" + (i % 2), [[i % 3], [0]])));
        Assert.Single(race.Select(a => a.GetProperty("submissionId").GetGuid()).Distinct());
        Assert.Single(race, a => !a.GetProperty("replayed").GetBoolean());
        Assert.Single(race.Select(a => a.GetProperty("score").GetInt32()).Distinct());
        Assert.Equal(2, await DbAsync(ws.Id, db => db.Set<QuizSubmission>().CountAsync(s => s.CampaignId == campaign.Id, Ct)));
        Assert.Equal(1, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));

        // Another member fails: no grant. Staff see both.
        var other = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[1]);
        var failed = await client.PostJsonAsync($"/c/{Slug(campaign)}/quiz?culture=en", new { token = other, requestId = "x", answers = new[] { new[] { 0 }, new[] { 0 } } });
        Assert.Contains("Not passed", await failed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var summary = await ws.Owner.Api.GetJsonAsync<QuizSummaryDto>($"/api/campaigns/{campaign.Id}/quiz");
        // The third member's race chose [0, 1 or 2] and [0]: question 2 wrong, at most 1 point — never a pass.
        Assert.Equal((3, 1, 3), (summary.Submissions, summary.Passed, summary.Total));
        Assert.Equal(1, summary.RightPerQuestion[1]);
        Assert.Equal(1, await DbAsync(ws.Id, db => db.Set<CampaignRewardGrant>().CountAsync(g => g.CampaignId == campaign.Id, Ct)));

        // After submitting, the page shows the member's result and the right answers.
        var after = await client.GetStringAsync($"/c/{Slug(campaign)}/quiz?m={token}", Ct);
        Assert.Contains("✅", after, StringComparison.Ordinal);
        Assert.Contains("quiz-result", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swap_ListOfferAccept_TwoAcceptsRace_ExactlyOneWins_HiddenItemsLeaveThePage()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "换物群");
        var now = DateTimeOffset.UtcNow;
        var campaign = await PublishedAsync(ws, new
        {
            name = "闲置交换", kind = "swap", startsAt = now.AddHours(-1), endsAt = now.AddDays(3), audience = new { communityIds = new[] { group } },
            goalMetric = "participants", goalTarget = 10,
        });
        var slug = Slug(campaign);
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, group, 6);
        var tokens = new List<string>();
        foreach (var m in members)
            tokens.Add(await FlashSaleKit.TokenAsync(factory, campaign.Id, m));
        var client = factory.CreateClient();

        var missing = await (await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = tokens[0], requestId = "i1" })).ReadValidationErrorsAsync();
        Assert.True(missing.ContainsKey("title"));
        var item = await (await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = tokens[0], requestId = "i1", title = "九成新婴儿车", description = "用了半年" })).ReadAsync<SwapItemDto>();
        var replay = await (await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = tokens[0], requestId = "i1", title = "另一个标题" })).ReadAsync<SwapItemDto>();
        Assert.Equal(item.Id, replay.Id);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostJsonAsync($"/c/{slug}/swap/items/{item.Id}/offers", new { token = tokens[0], text = "自己换自己" })).StatusCode);

        // Offers: one open offer per offerer and item, however often they click.
        var offers = new List<SwapOfferDto>();
        for (var i = 1; i < 6; i++)
        {
            var clicks = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
                await (await client.PostJsonAsync($"/c/{slug}/swap/items/{item.Id}/offers", new { token = tokens[i], text = "用绘本换" + i })).ReadAsync<SwapOfferDto>()));
            Assert.Single(clicks.Select(c => c.Id).Distinct());
            offers.Add(clicks[0]);
        }
        Assert.Equal(5, await DbAsync(ws.Id, db => db.Set<SwapOffer>().CountAsync(o => o.ItemId == item.Id, Ct)));

        // Two (and more) accepts of different offers at once: exactly one accepted, the others declined.
        var accepts = await Task.WhenAll(offers.Take(4).Select(o => client.PostJsonAsync($"/c/{slug}/swap/items/{item.Id}/accept", new { token = tokens[0], offerId = o.Id })));
        Assert.Single(accepts, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(accepts.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        var stored = await DbAsync(ws.Id, db => db.Set<SwapOffer>().Where(o => o.ItemId == item.Id).ToListAsync(Ct));
        var accepted = Assert.Single(stored, o => o.Status == SwapOfferStatus.Accepted);
        Assert.All(stored.Where(o => o.Id != accepted.Id), o => Assert.Equal(SwapOfferStatus.Declined, o.Status));
        var swapped = await DbAsync(ws.Id, db => db.Set<SwapItem>().SingleAsync(i => i.Id == item.Id, Ct));
        Assert.Equal((SwapItemStatus.Swapped, accepted.Id), (swapped.Status, swapped.AcceptedOfferId));
        // The winner's accept again: the same answer.
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/c/{slug}/swap/items/{item.Id}/accept", new { token = tokens[0], offerId = accepted.Id })).StatusCode);

        // Moderation: a reason is required; a hidden item leaves the page.
        var other = await (await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = tokens[1], requestId = "i2", title = "违规广告 <b>加微信</b>" })).ReadAsync<SwapItemDto>();
        Assert.Contains("违规广告 &lt;b&gt;", await client.GetStringAsync($"/c/{slug}/swap", Ct), StringComparison.Ordinal);
        var noReason = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/swap/items/{other.Id}/hide", new { reason = "" })).ReadValidationErrorsAsync();
        Assert.True(noReason.ContainsKey("reason"));
        var hidden = await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/swap/items/{other.Id}/hide", new { reason = "广告" })).ReadAsync<SwapItemDto>();
        Assert.Equal("广告", hidden.HiddenReason);
        var page = await client.GetStringAsync($"/c/{slug}/swap", Ct);
        Assert.DoesNotContain("违规广告", page, StringComparison.Ordinal);
        Assert.Contains("九成新婴儿车", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostJsonAsync($"/c/{slug}/swap/items/{other.Id}/offers", new { token = tokens[2], text = "换" })).StatusCode);
        var staff = await ws.Owner.Api.GetJsonAsync<List<SwapItemDto>>($"/api/campaigns/{campaign.Id}/swap");
        Assert.Equal(2, staff.Count);
    }

    [Fact]
    public async Task Swap_HiddenOffer_CannotBeAccepted()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "换物群二");
        var now = DateTimeOffset.UtcNow;
        var campaign = await PublishedAsync(ws, new
        {
            name = "闲置交换二", kind = "swap", startsAt = now.AddHours(-1), endsAt = now.AddDays(3), audience = new { communityIds = new[] { group } }, goalTarget = 10,
        });
        var members = await FlashSaleKit.MembersAsync(factory, ws.Id, group, 2);
        var owner = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[0]);
        var offerer = await FlashSaleKit.TokenAsync(factory, campaign.Id, members[1]);
        var client = factory.CreateClient();
        var item = await (await client.PostJsonAsync($"/c/{Slug(campaign)}/swap/items", new { token = owner, requestId = "a", title = "书" })).ReadAsync<SwapItemDto>();
        var offer = await (await client.PostJsonAsync($"/c/{Slug(campaign)}/swap/items/{item.Id}/offers", new { token = offerer, text = "骚扰内容" })).ReadAsync<SwapOfferDto>();
        await (await ws.Owner.Api.PostJsonAsync($"/api/campaigns/{campaign.Id}/swap/offers/{offer.Id}/hide", new { reason = "骚扰" })).ReadAsync<SwapItemDto>();
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostJsonAsync($"/c/{Slug(campaign)}/swap/items/{item.Id}/accept", new { token = owner, offerId = offer.Id })).StatusCode);
        Assert.Equal(SwapItemStatus.Open, (await DbAsync(ws.Id, db => db.Set<SwapItem>().SingleAsync(i => i.Id == item.Id, Ct))).Status);
    }

    private Task<Dictionary<Guid, Guid?>> InvitedByAsync(TestWorkspace ws, Guid campaign) =>
        DbAsync(ws.Id, db => db.Set<CampaignParticipant>().Where(p => p.CampaignId == campaign).ToDictionaryAsync(p => p.MemberId, p => p.InvitedByMemberId, Ct));

    [Fact]
    public async Task Quiz_SubmitWithInviteToken_RecordsTheInviter_NeverSelf()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "问答邀请群");
        var campaign = await PublishedAsync(ws, QuizBody(group, DateTimeOffset.UtcNow, Questions, 3));
        var m = await FlashSaleKit.MembersAsync(factory, ws.Id, group, 3);
        var (a, b, c) = (m[0], m[1], m[2]);
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var inviteA = await links.InviteTokenAsync(campaign.Id, a, Ct);
        var client = factory.CreateClient();
        async Task<HttpStatusCode> SubmitAsync(Guid who, string? inviter) =>
            (await client.PostJsonAsync($"/c/{Slug(campaign)}/quiz", new { token = await links.TokenAsync(campaign.Id, who, Ct), requestId = "q-" + who.ToString("N"), answers = new[] { new[] { 1 }, new[] { 0, 1 } }, inviter }))
            .StatusCode;

        Assert.Equal(HttpStatusCode.OK, await SubmitAsync(b, inviteA));
        Assert.Equal(HttpStatusCode.OK, await SubmitAsync(a, inviteA)); // herself: not recorded
        Assert.Equal(HttpStatusCode.OK, await SubmitAsync(c, "not-a-token"));
        var rows = await InvitedByAsync(ws, campaign.Id);
        Assert.Equal(a, rows[b]);
        Assert.Null(rows[a]);
        Assert.Null(rows[c]);
    }

    [Fact]
    public async Task Swap_ListOfferAcceptWithInviteToken_RecordTheInviter_NeverSelf()
    {
        var ws = await factory.NewWorkspaceAsync();
        var group = await CommunityAsync(ws, "换物邀请群");
        var now = DateTimeOffset.UtcNow;
        var campaign = await PublishedAsync(ws, new
        {
            name = "邀请换物", kind = "swap", startsAt = now.AddHours(-1), endsAt = now.AddDays(3), audience = new { communityIds = new[] { group } }, goalTarget = 10,
        });
        var slug = Slug(campaign);
        var m = await FlashSaleKit.MembersAsync(factory, ws.Id, group, 4);
        var (a, b, c, d) = (m[0], m[1], m[2], m[3]);
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var inviteA = await links.InviteTokenAsync(campaign.Id, a, Ct);
        var client = factory.CreateClient();
        async Task<string> Token(Guid who) => await links.TokenAsync(campaign.Id, who, Ct);

        // Listing: b through a's link is recorded; a through her own is not.
        var listed = await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = await Token(b), requestId = "b1", title = "绘本", inviter = inviteA });
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = await Token(a), requestId = "a1", title = "童车", inviter = inviteA })).StatusCode);
        // Offering: c through a's link.
        var item = await listed.ReadAsync<SwapItemDto>();
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/c/{slug}/swap/items/{item.Id}/offers", new { token = await Token(c), text = "换玩具", inviter = inviteA })).StatusCode);
        // Accepting: d listed without a link, then accepts an offer with one.
        var dItem = await (await client.PostJsonAsync($"/c/{slug}/swap/items", new { token = await Token(d), requestId = "d1", title = "水杯" })).ReadAsync<SwapItemDto>();
        Assert.Null((await InvitedByAsync(ws, campaign.Id))[d]);
        var offer = await (await client.PostJsonAsync($"/c/{slug}/swap/items/{dItem.Id}/offers", new { token = await Token(c), text = "换书" })).ReadAsync<SwapOfferDto>();
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/c/{slug}/swap/items/{dItem.Id}/accept", new { token = await Token(d), offerId = offer.Id, inviter = inviteA })).StatusCode);

        var rows = await InvitedByAsync(ws, campaign.Id);
        Assert.Equal((a, a, a), (rows[b], rows[c], rows[d]));
        Assert.Null(rows[a]);
    }
}

public sealed class CampaignBoardSqliteTests(PostsSqliteFactory factory) : CampaignBoardTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CampaignBoardPostgresTests(PostsPostgresFactory factory) : CampaignBoardTests(factory), IClassFixture<PostsPostgresFactory>;
