using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Analytics;

/// <summary>PageRank on graphs small enough to solve by hand (d = 0.85, dangling mass spread evenly).</summary>
public sealed class PageRankTests
{
    [Fact]
    public void Star_EveryoneRepliesToA_AIsFirst()
    {
        // A (0) has no out-edge: a = 0.0375 + 0.2125a + 0.85·3b with a + 3b = 1 → a = 0.8875 / 1.6375.
        var (s, _) = PageRank.Compute(4, [(1, 0, 1), (2, 0, 1), (3, 0, 1)]);
        Assert.Equal(0.8875 / 1.6375, s[0], 1e-5);
        Assert.Equal((1 - 0.8875 / 1.6375) / 3, s[1], 1e-5);
        Assert.Equal(s[1], s[3], 9);
        Assert.Equal(1.0, s.Sum(), 6);
    }

    [Fact]
    public void Chain_ScoreFlowsToTheEnd()
    {
        // A → B → C, C dangling: a = k, b = 1.85k, c = 2.5725k, k = 1 / 5.4225.
        var (s, iterations) = PageRank.Compute(3, [(0, 1, 1), (1, 2, 1)]);
        Assert.Equal(1 / 5.4225, s[0], 1e-5);
        Assert.Equal(1.85 / 5.4225, s[1], 1e-5);
        Assert.Equal(2.5725 / 5.4225, s[2], 1e-5);
        Assert.InRange(iterations, 2, PageRank.MaxIterations);
    }

    [Fact]
    public void DanglingAndIsolatedNodes_ShareTheirScoreEvenly_AndWeightsCount()
    {
        // 0 → 1 only; 1 and 2 dangling: s0 = s2 = k, s1 = 1.85k, k = 1 / 3.85.
        var (s, _) = PageRank.Compute(3, [(0, 1, 1)]);
        Assert.Equal(1 / 3.85, s[0], 1e-5);
        Assert.Equal(1.85 / 3.85, s[1], 1e-5);
        Assert.Equal(s[0], s[2], 9);

        // Weights split a node's share: 0 gives 3/4 to 1 and 1/4 to 2, so 1 outranks 2.
        var (w, _) = PageRank.Compute(3, [(0, 1, 3), (0, 2, 1)]);
        Assert.True(w[1] > w[2]);
        Assert.Equal(1.0, w.Sum(), 6);
    }

    [Fact]
    public void Mentions_MatchNamesAfterAt_LongestFirst_NotInsideWords()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var c = Guid.NewGuid();
        var table = new Mentions([(a, "张三"), (b, "Alice"), (c, "Al"), (a, "张三")]);
        Assert.Equal([a], table.Find("@张三你好"));
        Assert.Equal([b], table.Find("hi @alice!"));
        Assert.Equal([c, a], table.Find("@Al 和 @张三 @张三"));
        Assert.Empty(table.Find("mail bob@Alice.com"));
        Assert.Empty(table.Find("@Alicia"));
        // Two members under one name: neither is named.
        Assert.Empty(new Mentions([(a, "小王"), (b, "小王")]).Find("@小王"));
    }
}

/// <summary>
/// The KOC ranking end to end: events posted through <c>/api/events</c>, the processor's reaction keeping the edges, the
/// API ranking members of the communities the viewer sees.
/// </summary>
public abstract class KocRankingTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private async Task SendAsync(TestWorkspace ws, params Dictionary<string, object?>[] events)
    {
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    private static Dictionary<string, object?> Post(Guid community, string id, string user, string name, DateTimeOffset at, string text = "你好",
        string? replyTo = null, bool staff = false) => new()
        {
            ["platform"] = "sandbox", ["id"] = id, ["kind"] = "messagePosted", ["occurredAt"] = at, ["communityId"] = community,
            ["user"] = new { id = user, name, staff }, ["message"] = new { id = "m-" + id, kind = "text", text, replyTo },
        };

    private static Dictionary<string, object?> Join(Guid community, string id, string user, string name, DateTimeOffset at) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = "memberJoined", ["occurredAt"] = at, ["communityId"] = community,
        ["user"] = new { id = user, name },
    };

    private static Task<KocRankingDto> RankAsync(TestStaff staff, string query = "") =>
        staff.Api.GetJsonAsync<KocRankingDto>("/api/analytics/koc" + query);

    [Fact]
    public async Task ReplyTargets_OutrankTheLoudest_MentionsCount_StaffAreNotRanked_AndRedeliveryCountsOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "话题群");
        var t = DateTimeOffset.UtcNow.AddHours(-3);
        await SendAsync(ws,
            Join(community, "j-loud", "loud", "话痨", t), Join(community, "j-hub", "hub", "老李", t), Join(community, "j-red", "red", "小红", t),
            Join(community, "j-r1", "r1", "阿一", t), Join(community, "j-r2", "r2", "阿二", t), Join(community, "j-r3", "r3", "阿三", t));

        // The loudest member: ten messages, nobody answers. 老李 posts once; one reply comes in the same batch.
        var first = Enumerable.Range(1, 10).Select(i => Post(community, $"loud-{i}", "loud", "话痨", t.AddMinutes(i), $"第{i}条"))
            .Append(Post(community, "hub-1", "hub", "老李", t.AddMinutes(20), "这个型号怎么选？"))
            .Append(Post(community, "r1-1", "r1", "阿一", t.AddMinutes(21), "看预算，@小红 也用过", replyTo: "m-hub-1"))
            .ToArray();
        await SendAsync(ws, first);
        // Later batches: two more members reply to 老李's message (remembered from the first batch); staff reply too.
        var second = new[]
        {
            Post(community, "r2-1", "r2", "阿二", t.AddMinutes(30), "我选了第二款", replyTo: "m-hub-1"),
            Post(community, "r3-1", "r3", "阿三", t.AddMinutes(31), "同问", replyTo: "m-hub-1"),
            Post(community, "r3-2", "r3", "阿三", t.AddMinutes(32), "自己再顶一下", replyTo: "m-r3-1"),
            Post(community, "staff-1", "staff-wang", "客服小王", t.AddMinutes(33), "可以私聊我 @老李", replyTo: "m-hub-1", staff: true),
        };
        await SendAsync(ws, second);

        var ranking = await RankAsync(ws.Owner, $"?communityId={community}");
        var byName = ranking.Items.ToDictionary(i => i.Name);
        Assert.Equal("老李", ranking.Items[0].Name);
        Assert.Equal(1, byName["老李"].Rank);
        Assert.Equal(3, byName["老李"].RepliesReceived);
        Assert.Equal(0, byName["老李"].MentionsReceived);
        Assert.Equal(3, byName["老李"].Engagers);
        Assert.Equal(10, byName["话痨"].Messages);
        Assert.Equal(0, byName["话痨"].Engagers);
        Assert.True(byName["话痨"].Rank > byName["老李"].Rank);
        Assert.True(byName["话痨"].Score < byName["老李"].Score);
        // A mention is an edge: 小红 never spoke and still is in the graph, above the loudest.
        Assert.Equal(1, byName["小红"].MentionsReceived);
        Assert.Equal(1, byName["小红"].Engagers);
        Assert.Equal(0, byName["小红"].Messages);
        Assert.True(byName["小红"].Score > byName["话痨"].Score);
        Assert.Equal(2, byName["阿一"].Engaged);
        // A self-reply is no edge; staff are no node.
        Assert.Equal(0, byName["阿三"].RepliesReceived);
        Assert.Equal(2, byName["阿三"].Messages);
        Assert.DoesNotContain("客服小王", byName.Keys);
        Assert.Equal(6, ranking.Members);
        Assert.Equal(1.0, ranking.Items.Sum(i => i.Score), 4);

        // The platform delivers everything again (same event ids): nothing is counted twice.
        await SendAsync(ws, first);
        await SendAsync(ws, second);
        var again = await RankAsync(ws.Owner, $"?communityId={community}");
        Assert.Equal(ranking.Items.Select(i => (i.Name, i.RepliesReceived, i.MentionsReceived, i.Messages)),
            again.Items.Select(i => (i.Name, i.RepliesReceived, i.MentionsReceived, i.Messages)));
        var stored = await DbAsync(ws.Id, db => db.Set<InteractionEdge>().Where(e => e.CommunityId == community)
            .Select(e => new { e.Replies, e.Mentions, e.Messages }).ToListAsync(Ct));
        Assert.Equal(3, stored.Sum(e => e.Replies));
        Assert.Equal(1, stored.Sum(e => e.Mentions));
        Assert.Equal(15, stored.Sum(e => e.Messages));

        // Outside the range: nothing.
        var old = await RankAsync(ws.Owner, $"?communityId={community}&from=2020-01-01&to=2020-01-31");
        Assert.Empty(old.Items);
        // top limits the list.
        Assert.Equal(["老李"], (await RankAsync(ws.Owner, $"?communityId={community}&top=1")).Items.Select(i => i.Name));
    }

    private Task<Guid> MemberAsync(Guid ws, string user) =>
        DbAsync(ws, db => db.Set<MemberIdentity>().Where(i => i.UserId == user).Select(i => i.MemberId).SingleAsync(Ct));

    [Fact]
    public async Task MergedMembers_RankAsOne_UnmergeSplitsThem_ErasureTakesTheirEdges()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "合并群");
        var t = DateTimeOffset.UtcNow.AddHours(-2);
        // 老张 has two accounts; each gets one reply, 阿明 gets one too.
        await SendAsync(ws,
            Post(community, "z1", "zhang-1", "老张", t), Post(community, "z2", "zhang-2", "老张二号", t.AddMinutes(1)),
            Post(community, "ming", "ming", "阿明", t.AddMinutes(2)),
            Post(community, "x1", "x", "小徐", t.AddMinutes(3), "好", replyTo: "m-z1"),
            Post(community, "y1", "y", "小杨", t.AddMinutes(4), "对", replyTo: "m-z2"),
            Post(community, "y2", "y", "小杨", t.AddMinutes(5), "嗯", replyTo: "m-ming"),
            Post(community, "z3", "zhang-2", "老张二号", t.AddMinutes(6), "自己人", replyTo: "m-z1"));
        var kept = await MemberAsync(ws.Id, "zhang-1");
        var merged = await MemberAsync(ws.Id, "zhang-2");
        var before = (await RankAsync(ws.Owner, $"?communityId={community}")).Items.ToDictionary(i => i.Name);
        Assert.Equal((2, 1), (before["老张"].RepliesReceived, before["老张二号"].RepliesReceived));

        var merge = await ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = kept, memberId = merged });
        Assert.True(merge.IsSuccessStatusCode, await merge.Content.ReadAsStringAsync(Ct));
        var one = (await RankAsync(ws.Owner, $"?communityId={community}")).Items.ToDictionary(i => i.Name);
        Assert.DoesNotContain("老张二号", one.Keys);
        // Two replies from others; the one between the two accounts is now a self-reply and does not count.
        Assert.Equal((2, 2, 3), (one["老张"].RepliesReceived, one["老张"].Engagers, one["老张"].Messages));
        Assert.Equal("老张", one.Values.OrderBy(i => i.Rank).First().Name);
        Assert.Equal(4, (await RankAsync(ws.Owner, $"?communityId={community}")).Members);

        var mergeId = (await ws.Owner.Api.GetJsonAsync<List<Shequn.Features.Members.MemberMergeDto>>("/api/members/merges")).Single().Id;
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostAsync($"/api/members/merges/{mergeId}/unmerge", null, Ct)).StatusCode);
        var split = (await RankAsync(ws.Owner, $"?communityId={community}")).Items.ToDictionary(i => i.Name);
        Assert.Equal((2, 1), (split["老张"].RepliesReceived, split["老张二号"].RepliesReceived));

        // Erased, 小杨's replies go with them: 阿明 has none left, and no stored edge names them.
        var yang = await MemberAsync(ws.Id, "y");
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/members/{yang}/erase", new { })).StatusCode);
        var after = (await RankAsync(ws.Owner, $"?communityId={community}")).Items.ToDictionary(i => i.Name);
        Assert.Equal((0, 2, 0), (after["阿明"].RepliesReceived, after["老张"].RepliesReceived, after["老张二号"].RepliesReceived));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<InteractionEdge>().CountAsync(e => e.FromMemberId == yang || e.ToMemberId == yang, Ct)));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<InteractionMessage>().CountAsync(m => m.MemberId == yang, Ct)));
    }

    [Fact]
    public async Task Prune_ForgetsMessageIdsOlderThanTheReplyMemory_AReplyToThemMakesNoEdge()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "旧消息群");
        var t = DateTimeOffset.UtcNow.AddHours(-1);
        await SendAsync(ws, Post(community, "old", "o", "老会员", t.AddMinutes(-1)), Post(community, "new", "n", "新会员", t));
        // The first message's id was remembered 40 days ago (the default memory is 30 days).
        await DbAsync(ws.Id, db => db.Set<InteractionMessage>().Where(m => m.CommunityId == community && m.MessageId == "m-old")
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.At, DateTime.UtcNow.AddDays(-40)), Ct));

        var deleted = await factory.Services.GetRequiredService<InteractionPrune>().RunOnceAsync(Ct);

        Assert.True(deleted >= 1);
        Assert.Equal(["m-new"], await DbAsync(ws.Id, db => db.Set<InteractionMessage>().Where(m => m.CommunityId == community).Select(m => m.MessageId).ToListAsync(Ct)));
        await SendAsync(ws, Post(community, "r-old", "r", "回复者", t.AddMinutes(5), "回老帖", replyTo: "m-old"),
            Post(community, "r-new", "r", "回复者", t.AddMinutes(6), "回新帖", replyTo: "m-new"));
        var ranking = (await RankAsync(ws.Owner, $"?communityId={community}")).Items.ToDictionary(i => i.Name);
        Assert.Equal((0, 1), (ranking["老会员"].RepliesReceived, ranking["新会员"].RepliesReceived));
        Assert.Equal(2, ranking["回复者"].Messages);
    }

    [Fact]
    public async Task OperatorSeesAssignedCommunitiesOnly_KocGetsNothing_BadInputNamesTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "甲群");
        var b = await CommunityAsync(ws, "乙群");
        var operatorOfB = await ws.AddStaffAsync(StaffRole.Operator, "乙群运营", b);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "甲群KOC", a);
        var t = DateTimeOffset.UtcNow.AddHours(-2);
        await SendAsync(ws,
            Post(a, "a-1", "ua1", "甲一", t), Post(a, "a-2", "ua2", "甲二", t.AddMinutes(1), "对", replyTo: "m-a-1"),
            Post(b, "b-1", "ub1", "乙一", t), Post(b, "b-2", "ub2", "乙二", t.AddMinutes(1), "是的", replyTo: "m-b-1"));

        Assert.Equal(["乙一", "乙二", "甲一", "甲二"], (await RankAsync(ws.Owner)).Items.Select(i => i.Name).Order(StringComparer.Ordinal));
        var mine = await RankAsync(operatorOfB);
        Assert.Equal(["乙一", "乙二"], mine.Items.Select(i => i.Name).Order(StringComparer.Ordinal));
        Assert.Equal("乙一", mine.Items[0].Name);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorOfB.Api.GetAsync($"/api/analytics/koc?communityId={a}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/analytics/koc", Ct)).StatusCode);

        var bad = await ws.Owner.Api.GetAsync("/api/analytics/koc?from=2026-13-01", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("from", (await bad.ReadValidationErrorsAsync()).Keys);
        var backwards = await ws.Owner.Api.GetAsync("/api/analytics/koc?from=2026-03-10&to=2026-03-01", Ct);
        Assert.Contains("to", (await backwards.ReadValidationErrorsAsync()).Keys);
        Assert.Contains("top", (await (await ws.Owner.Api.GetAsync("/api/analytics/koc?top=0", Ct)).ReadValidationErrorsAsync()).Keys);
        Assert.Contains("communityId", (await (await ws.Owner.Api.GetAsync("/api/analytics/koc?communityId=abc", Ct)).ReadValidationErrorsAsync()).Keys);
    }
}

public sealed class KocRankingSqliteTests(SqliteFactory factory) : KocRankingTests(factory), IClassFixture<SqliteFactory>;

public sealed class KocRankingPostgresTests(PostgresFactory factory) : KocRankingTests(factory), IClassFixture<PostgresFactory>;
