using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Sandbox;
using Shequn.Features.Tags;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Tags;

/// <summary>
/// Auto-tag rules end to end: rules saved through the API, members joining and speaking in Sandbox groups, the
/// processor's reaction and the daily job suggesting tags, staff confirming and rejecting them, and the tag's accuracy.
/// </summary>
public abstract class AutoTagTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private static async Task<Guid> TagAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name })).ReadAsync<TagDto>()).Id;

    private static async Task<TagRuleDto> RuleAsync(TestWorkspace ws, Guid tagId, string kind, object spec)
    {
        var response = await ws.Owner.Api.PostJsonAsync("/api/tag-rules", new { tagId, kind, spec });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<TagRuleDto>();
    }

    private async Task CaughtUpAsync() => await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    private async Task ChatAsync(Guid ws, Func<SandboxChat, Task> act)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws);
        await act(scope.ServiceProvider.GetRequiredService<SandboxChat>());
    }

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await work(db);
    }

    /// <summary>A Sandbox event at a set time, through the same ingestor as the chat.</summary>
    private async Task EventAtAsync(Guid ws, Guid community, EventKind kind, string userId, string name, DateTime at, string? text = null)
    {
        var e = SandboxChat.New(ws, community, kind, userId, name);
        e.OccurredAt = at;
        if (kind == EventKind.MessagePosted)
        {
            (e.Text, e.MessageKind, e.MessageId) = (text ?? "你好", MessageKind.Text, e.PlatformEventId);
        }
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([e], Ct);
    }

    private static async Task<List<string>> TaggedAsync(TestStaff staff, Guid tagId, string? state = null) =>
        [.. (await staff.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{tagId}/auto-tags" + (state is null ? "" : $"?state={state}")))
            .Select(t => t.MemberName).Order()];

    private async Task<int?> RunDailyAsync() => await factory.Services.GetRequiredService<AutoTagJob>().RunAsync(force: true, Ct);

    [Fact]
    public async Task EventRules_TagOnTheRightEvent_AndNotOnOthers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var (a, b) = (await CommunityAsync(ws, "综合群"), await CommunityAsync(ws, "上海群"));
        var (price, douyin, shanghai) = (await TagAsync(ws, "问价"), await TagAsync(ws, "抖音来客"), await TagAsync(ws, "上海群成员"));
        await RuleAsync(ws, price, "keyword", new { keyword = "价格" });
        await RuleAsync(ws, douyin, "channel", new { channel = "抖音" });
        await RuleAsync(ws, shanghai, "community", new { communityId = b });

        var bob = "";
        await ChatAsync(ws.Id, async chat =>
        {
            var ann = await chat.JoinAsync(a, "小安", "抖音", Ct);
            bob = await chat.JoinAsync(a, "小博", "小红书", Ct);
            await chat.PostAsync(a, ann, "小安", "大家好", fromStaff: false, Ct);
            await chat.PostAsync(a, bob, "小博", "请问这个价格多少？", fromStaff: false, Ct);
            await chat.PostAsync(a, "staff-1", "客服", "价格请看群公告", fromStaff: true, Ct);
            await chat.JoinAsync(b, "小曹", null, Ct);
        });
        await CaughtUpAsync();

        Assert.Equal(["小博"], await TaggedAsync(ws.Owner, price));
        Assert.Equal(["小安"], await TaggedAsync(ws.Owner, douyin));
        Assert.Equal(["小曹"], await TaggedAsync(ws.Owner, shanghai));
        var suggestion = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{price}/auto-tags"));
        Assert.Equal(MemberTagState.Suggested, suggestion.State);
        Assert.NotNull(suggestion.RuleId);
        // A suggested tag is a tag: counted and filterable like staff's.
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<TagDto>($"/api/tags/{price}")).MemberCount);

        // Saying it again changes nothing.
        await ChatAsync(ws.Id, chat => chat.PostAsync(a, bob, "小博", "价格？", fromStaff: false, Ct));
        await CaughtUpAsync();
        Assert.Single(await TaggedAsync(ws.Owner, price));
    }

    [Fact]
    public async Task ConfirmAndReject_GiveTheAccuracy_AndARejectedTagIsNotGivenBack()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "咨询群");
        var tag = await TagAsync(ws, "想买");
        await RuleAsync(ws, tag, "keyword", new { keyword = "怎么买|下单", regex = true });
        var users = new Dictionary<string, string>();
        await ChatAsync(ws.Id, async chat =>
        {
            foreach (var name in new[] { "甲", "乙", "丙" })
            {
                users[name] = await chat.JoinAsync(community, name, null, Ct);
                await chat.PostAsync(community, users[name], name, name == "丙" ? "在哪下单呢" : "这个怎么买？", fromStaff: false, Ct);
            }
        });
        await CaughtUpAsync();
        var tags = (await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{tag}/auto-tags")).ToDictionary(t => t.MemberName);
        Assert.Equal(["丙", "乙", "甲"], tags.Keys.Order());

        foreach (var name in new[] { "甲", "乙" })
        {
            var confirmed = await (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag}/members/{tags[name].MemberId}/confirm", new { })).ReadAsync<AutoTagDto>();
            Assert.Equal(MemberTagState.Confirmed, confirmed.State);
        }
        var rejected = await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag}/members/{tags["丙"].MemberId}/reject", new { });
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);

        var report = await ws.Owner.Api.GetJsonAsync<TagDto>($"/api/tags/{tag}");
        Assert.Equal(2, report.MemberCount);
        Assert.Equal(new TagAccuracy(0, 2, 1, 0.6667), report.AutoTags);
        var listed = Assert.Single((await ws.Owner.Api.GetJsonAsync<Shequn.Platform.Api.Page<TagDto>>("/api/tags")).Items);
        Assert.Equal(report.AutoTags, listed.AutoTags);

        // 丙 says it again, and the daily job runs: the rejected tag stays rejected.
        await ChatAsync(ws.Id, chat => chat.PostAsync(community, users["丙"], "丙", "我想下单", fromStaff: false, Ct));
        await CaughtUpAsync();
        Assert.NotNull(await RunDailyAsync());
        Assert.Equal(["丙"], await TaggedAsync(ws.Owner, tag, "rejected"));
        Assert.Equal(2, (await ws.Owner.Api.GetJsonAsync<TagDto>($"/api/tags/{tag}")).MemberCount);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/members/{tags["丙"].MemberId}/auto-tags?state=suggested"));
        // Staff's own tags are not for review.
        var manual = await TagAsync(ws, "手动");
        await ws.Owner.Api.PostJsonAsync($"/api/tags/{manual}/members", new { memberIds = new[] { tags["甲"].MemberId } });
        var refused = await ws.Owner.Api.PostJsonAsync($"/api/tags/{manual}/members/{tags["甲"].MemberId}/reject", new { });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task Reject_BlocksOnlyTheRuleThatProposedIt_AnotherRuleMaySuggestItAgainOnNewEvidence()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "咨询群");
        var tag = await TagAsync(ws, "想买");
        var byKeyword = await RuleAsync(ws, tag, "keyword", new { keyword = "下单" });
        string user = "";
        await ChatAsync(ws.Id, async chat =>
        {
            user = await chat.JoinAsync(community, "丁", null, Ct);
            await chat.PostAsync(community, user, "丁", "在哪下单", fromStaff: false, Ct);
        });
        await CaughtUpAsync();
        var suggested = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{tag}/auto-tags"));
        Assert.Equal(byKeyword.Id, suggested.RuleId);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag}/members/{suggested.MemberId}/reject", new { })).StatusCode);
        Assert.True(await DbAsync(ws.Id, db => db.Set<AutoTagRejection>().AnyAsync(r => r.MemberId == suggested.MemberId && r.TagId == tag && r.RuleId == byKeyword.Id, Ct)));

        // The rejected rule on new evidence: still rejected.
        await ChatAsync(ws.Id, chat => chat.PostAsync(community, user, "丁", "我要下单", fromStaff: false, Ct));
        await CaughtUpAsync();
        Assert.Equal(["丁"], await TaggedAsync(ws.Owner, tag, "rejected"));

        // Another rule proposes the same tag on its own evidence: suggested again, naming that rule, for staff to review.
        var byPrice = await RuleAsync(ws, tag, "keyword", new { keyword = "多少钱" });
        await ChatAsync(ws.Id, chat => chat.PostAsync(community, user, "丁", "这个多少钱", fromStaff: false, Ct));
        await CaughtUpAsync();
        var again = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{tag}/auto-tags?state=suggested"));
        Assert.Equal((suggested.MemberId, byPrice.Id), (again.MemberId, again.RuleId));

        // Rejected from that rule too: now both are blocked, and neither the events nor the daily job give it back.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag}/members/{suggested.MemberId}/reject", new { })).StatusCode);
        await ChatAsync(ws.Id, async chat =>
        {
            await chat.PostAsync(community, user, "丁", "下单多少钱", fromStaff: false, Ct);
        });
        await CaughtUpAsync();
        Assert.NotNull(await RunDailyAsync());
        Assert.Equal(["丁"], await TaggedAsync(ws.Owner, tag, "rejected"));
        Assert.Equal(2, await DbAsync(ws.Id, db => db.Set<AutoTagRejection>().CountAsync(r => r.MemberId == suggested.MemberId && r.TagId == tag, Ct)));

        // The daily job's rules (a community rule here) are another rule too: it suggests the tag again.
        await RuleAsync(ws, tag, "community", new { communityId = community });
        Assert.NotNull(await RunDailyAsync());
        Assert.Equal(["丁"], await TaggedAsync(ws.Owner, tag, "suggested"));
    }

    [Fact]
    public async Task Merge_MovesTheMergedMembersRejections_WithoutDuplicates_AndUnmergeGivesThemBack()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "合并群");
        var tag = await TagAsync(ws, "想买");
        var byOrder = await RuleAsync(ws, tag, "keyword", new { keyword = "下单" });
        var byPrice = await RuleAsync(ws, tag, "keyword", new { keyword = "多少钱" });
        string userA = "", userB = "";
        await ChatAsync(ws.Id, async chat =>
        {
            userA = await chat.JoinAsync(community, "甲", null, Ct);
            userB = await chat.JoinAsync(community, "乙", null, Ct);
            await chat.PostAsync(community, userA, "甲", "在哪下单", fromStaff: false, Ct);
            await chat.PostAsync(community, userB, "乙", "在哪下单", fromStaff: false, Ct);
        });
        await CaughtUpAsync();
        var suggested = await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{tag}/auto-tags");
        var a = suggested.Single(t => t.MemberName == "甲").MemberId;
        var b = suggested.Single(t => t.MemberName == "乙").MemberId;
        async Task RejectAsync(Guid member) =>
            Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/tags/{tag}/members/{member}/reject", new { })).StatusCode);
        await RejectAsync(a);
        await RejectAsync(b);
        await ChatAsync(ws.Id, chat => chat.PostAsync(community, userB, "乙", "这个多少钱", fromStaff: false, Ct));
        await CaughtUpAsync();
        await RejectAsync(b);
        async Task<List<string>> RejectionsAsync(Guid member) => await DbAsync(ws.Id, async db =>
            (await db.Set<AutoTagRejection>().Where(r => r.MemberId == member && r.TagId == tag).Select(r => r.RuleId).ToListAsync(Ct))
                .Select(r => r == byOrder.Id ? "下单" : r == byPrice.Id ? "多少钱" : "?").Order(StringComparer.Ordinal).ToList());
        Assert.Equal(["下单"], await RejectionsAsync(a));
        Assert.Equal(["下单", "多少钱"], await RejectionsAsync(b));

        // Merged: A holds both rejections once each (A's own rejection of the same rule is not doubled), so the rule
        // staff rejected for B's evidence does not suggest the tag to the merged person.
        var merged = await ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = a, memberId = b });
        Assert.Equal(HttpStatusCode.Created, merged.StatusCode);
        Assert.Equal(["下单", "多少钱"], await RejectionsAsync(a));
        Assert.Empty(await RejectionsAsync(b));
        await ChatAsync(ws.Id, chat => chat.PostAsync(community, userB, "乙", "到底多少钱", fromStaff: false, Ct));
        await CaughtUpAsync();
        Assert.NotNull(await RunDailyAsync());
        Assert.Empty(await TaggedAsync(ws.Owner, tag, "suggested"));
        Assert.Equal(["甲"], await TaggedAsync(ws.Owner, tag, "rejected"));

        // Unmerged: each has the rejections it had before.
        var mergeId = (await merged.ReadAsync<Shequn.Features.Members.MemberMergeDto>()).Id;
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostAsync($"/api/members/merges/{mergeId}/unmerge", null, Ct)).StatusCode);
        Assert.Equal(["下单"], await RejectionsAsync(a));
        Assert.Equal(["下单", "多少钱"], await RejectionsAsync(b));
        Assert.Equal(["乙", "甲"], await TaggedAsync(ws.Owner, tag, "rejected"));
    }

    [Fact]
    public async Task BadRules_Are400WithTheFieldNamed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var tag = await TagAsync(ws, "标签");
        async Task<string[]> FieldsAsync(object body)
        {
            var response = await ws.Owner.Api.PostJsonAsync("/api/tag-rules", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors");
            return [.. errors.EnumerateObject().Select(p => p.Name)];
        }

        Assert.Equal(["spec.communityId"], await FieldsAsync(new { tagId = tag, kind = "community", spec = new { communityId = Guid.NewGuid() } }));
        Assert.Equal(["spec.keyword"], await FieldsAsync(new { tagId = tag, kind = "keyword", spec = new { keyword = "  " } }));
        Assert.Equal(["spec.keyword"], await FieldsAsync(new { tagId = tag, kind = "keyword", spec = new { keyword = "(a+)+$", regex = true } }));
        Assert.Equal(["spec.days"], await FieldsAsync(new { tagId = tag, kind = "active", spec = new { days = 8, withinDays = 7 } }));
        Assert.Equal(["spec.value"], await FieldsAsync(new { tagId = tag, kind = "profileField", spec = new { field = "layer", value = "gold" } }));
        Assert.Equal(["spec.field"], await FieldsAsync(new { tagId = tag, kind = "profileField", spec = new { field = "shoeSize", value = "42" } }));
        Assert.Equal(["tagId"], await FieldsAsync(new { tagId = Guid.NewGuid(), kind = "silent", spec = new { days = 3 } }));
        Assert.Equal(["kind"], await FieldsAsync(new { tagId = tag, kind = "orders", spec = new { } }));
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<TagRuleDto>>("/api/tag-rules"));

        // An operator reads rules but may not change them.
        var op = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator, "运营");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/tag-rules", new { tagId = tag, kind = "silent", spec = new { days = 3 } })).StatusCode);
    }

    [Fact]
    public async Task DailyRules_ActiveSilentAndProfile_AreSuggested_AndSuggestionsThatNoLongerHoldAreTakenBack()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "日常群");
        var (active, silent, city) = (await TagAsync(ws, "活跃"), await TagAsync(ws, "沉默"), await TagAsync(ws, "上海"));
        await RuleAsync(ws, active, "active", new { days = 3, withinDays = 7 });
        await RuleAsync(ws, silent, "silent", new { days = 10 });
        await RuleAsync(ws, city, "profileField", new { field = "city", value = "上海" });
        var now = DateTime.UtcNow;
        await EventAtAsync(ws.Id, community, EventKind.MemberJoined, "u-a", "阿活", now.AddDays(-30));
        foreach (var d in new[] { 1, 2, 4 })
            await EventAtAsync(ws.Id, community, EventKind.MessagePosted, "u-a", "阿活", now.AddDays(-d));
        await EventAtAsync(ws.Id, community, EventKind.MemberJoined, "u-b", "阿半", now.AddDays(-30));
        foreach (var d in new[] { 1, 9 })
            await EventAtAsync(ws.Id, community, EventKind.MessagePosted, "u-b", "阿半", now.AddDays(-d));
        await EventAtAsync(ws.Id, community, EventKind.MemberJoined, "u-c", "阿静", now.AddDays(-20));
        await EventAtAsync(ws.Id, community, EventKind.MessagePosted, "u-c", "阿静", now.AddDays(-15));
        await CaughtUpAsync();
        await DbAsync(ws.Id, db => db.Members.Where(m => m.DisplayName == "阿半").ExecuteUpdateAsync(u => u.SetProperty(m => m.City, "上海"), Ct));

        Assert.NotNull(await RunDailyAsync());
        Assert.Equal(["阿活"], await TaggedAsync(ws.Owner, active));
        Assert.Equal(["阿静"], await TaggedAsync(ws.Owner, silent));
        Assert.Equal(["阿半"], await TaggedAsync(ws.Owner, city));

        // 阿静 speaks again; 阿活's confirmed tag stays whatever happens.
        await EventAtAsync(ws.Id, community, EventKind.MessagePosted, "u-c", "阿静", DateTime.UtcNow);
        await CaughtUpAsync();
        var a = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{active}/auto-tags"));
        await ws.Owner.Api.PostJsonAsync($"/api/tags/{active}/members/{a.MemberId}/confirm", new { });
        await RunDailyAsync();
        Assert.Empty(await TaggedAsync(ws.Owner, silent));
        Assert.Equal(["阿活"], await TaggedAsync(ws.Owner, active, "confirmed"));
    }
}

public sealed class AutoTagTests_Sqlite(SqliteFactory factory) : AutoTagTests(factory), IClassFixture<SqliteFactory>;

public sealed class AutoTagTests_Postgres(PostgresFactory factory) : AutoTagTests(factory), IClassFixture<PostgresFactory>;

/// <summary>One of two app hosts on one PostgreSQL database.</summary>
public sealed class AutoTagSharedHost(string database, string keySecret) : ShequnFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("DataProtection:KeyEncryptionSecret", keySecret);
    }

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string? Unavailable => new PostgresFactory().Unavailable;

    protected override string ConnectionString =>
        new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("SHEQUN_TEST_PG") ?? "Host=127.0.0.1") { Database = database }.ConnectionString;
}

public sealed class AutoTagTwoHostsTests
{
    [Fact]
    public async Task TwoHosts_EvaluateOncePerInterval_AndSuggestEachTagOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_tags2_" + Guid.NewGuid().ToString("N")[..12];
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var first = new AutoTagSharedHost(database, secret);
        var second = new AutoTagSharedHost(database, secret);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            var tag = (await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name = "经理" })).ReadAsync<TagDto>()).Id;
            await (await ws.Owner.Api.PostJsonAsync("/api/tag-rules", new { tagId = tag, kind = "profileField", spec = new { field = "layer", value = "regular" } }))
                .ReadAsync<TagRuleDto>();
            await Members.MemberTestData.MemberAsync(ws.Owner, "Ann");
            var a = first.Services.GetRequiredService<AutoTagJob>();
            var b = second.Services.GetRequiredService<AutoTagJob>();

            var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).RunAsync(force: false, ct)));

            // Exactly one evaluated (the checkpoint is leased while it runs, and says when it last finished); the rest found it done.
            Assert.Equal(1, Assert.Single(runs, r => r is not null));
            Assert.Null(await b.RunAsync(force: false, ct));
            Assert.Equal(0, await b.RunAsync(force: true, ct));
            var tagged = await ws.Owner.Api.GetJsonAsync<List<AutoTagDto>>($"/api/tags/{tag}/auto-tags");
            Assert.Equal("Ann", Assert.Single(tagged).MemberName);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
