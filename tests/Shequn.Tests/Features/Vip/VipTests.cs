using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Tags;
using Shequn.Features.Tasks;
using Shequn.Features.Vip;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Vip;

/// <summary>
/// VIP layers end to end: members' history in a general Sandbox group makes them candidates (paid, or helped others
/// answer, after enough time inside); staff invite one to a Manual VIP group, which becomes a staff task; joining a VIP
/// group makes a member VIP.
/// </summary>
public abstract class VipTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name, string platform = "sandbox", string tier = "comprehensive") =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform, tier: tier))).ReadAsync<CommunityDto>()).Id;

    /// <summary>A Sandbox event at a set time; returns the message id of a message.</summary>
    private async Task<string> EventAtAsync(Guid ws, Guid community, EventKind kind, string userId, string name, DateTime at, string? text = null, string? replyTo = null)
    {
        var e = SandboxChat.New(ws, community, kind, userId, name);
        e.OccurredAt = at;
        if (kind == EventKind.MessagePosted)
            (e.Text, e.MessageKind, e.MessageId, e.ReplyToMessageId) = (text ?? "你好", MessageKind.Text, e.PlatformEventId, replyTo);
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([e], Ct);
        return e.PlatformEventId;
    }

    private async Task CaughtUpAsync() => await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    /// <summary>
    /// 阿付 (paid, 40 days in), 阿帮 (40 days in, answered two of 阿问's questions by replying), 阿新 (paid but 5 days in),
    /// 阿问 (asks, and joined by speaking just now).
    /// </summary>
    private async Task<(TestWorkspace Ws, Guid General, Dictionary<string, Guid> Members)> HistoryAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var general = await CommunityAsync(ws, "综合交流群");
        var now = DateTime.UtcNow;
        await EventAtAsync(ws.Id, general, EventKind.MemberJoined, "u-pay", "阿付", now.AddDays(-40));
        await EventAtAsync(ws.Id, general, EventKind.MemberJoined, "u-help", "阿帮", now.AddDays(-40));
        await EventAtAsync(ws.Id, general, EventKind.MemberJoined, "u-new", "阿新", now.AddDays(-5));
        var q1 = await EventAtAsync(ws.Id, general, EventKind.MessagePosted, "u-ask", "阿问", now.AddHours(-3), "鱼油饭前吃还是饭后吃？");
        var q2 = await EventAtAsync(ws.Id, general, EventKind.MessagePosted, "u-ask", "阿问", now.AddHours(-2), "一天吃几粒？");
        await EventAtAsync(ws.Id, general, EventKind.MessagePosted, "u-help", "阿帮", now.AddHours(-2).AddMinutes(5), "饭后吃，吸收好", replyTo: q1);
        await EventAtAsync(ws.Id, general, EventKind.MessagePosted, "u-help", "阿帮", now.AddHours(-1), "一天两粒", replyTo: q2);
        await CaughtUpAsync();

        var members = (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>("/api/members?pageSize=50")).Items.ToDictionary(m => m.DisplayName, m => m.Id);
        var paid = (await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name = "已购客户" })).ReadAsync<TagDto>()).Id;
        await ws.Owner.Api.PostJsonAsync($"/api/tags/{paid}/members", new { memberIds = new[] { members["阿付"], members["阿新"] } });
        var rules = await ws.Owner.Api.PutJsonAsync("/api/vip/rules", new { payingTagId = paid, answersMin = 2, answersDays = 30, tenureDays = 30 });
        Assert.Equal(HttpStatusCode.OK, rules.StatusCode);
        return (ws, general, members);
    }

    [Fact]
    public async Task Candidates_AreThePaidAndTheHelpful_AfterTheirTenure_WithReasons()
    {
        var (ws, _, members) = await HistoryAsync();

        var candidates = (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).ToDictionary(c => c.DisplayName);

        Assert.Equal(["阿付", "阿帮"], candidates.Keys.Order());
        Assert.Equal([VipReasonKind.Paying, VipReasonKind.Tenure], candidates["阿付"].Reasons.Select(r => r.Kind));
        Assert.Equal("已购客户", candidates["阿付"].Reasons[0].Detail);
        var helps = candidates["阿帮"].Reasons;
        Assert.Equal([VipReasonKind.HelpsOthers, VipReasonKind.Tenure], helps.Select(r => r.Kind));
        Assert.Equal(2, helps[0].Count);
        Assert.InRange(helps[1].Count, 39, 40);
        Assert.Equal("综合交流群", helps[1].Detail);
        Assert.All(candidates.Values, c => Assert.Null(c.Invitation));

        // Asking for three answers: 阿帮 is no longer a candidate.
        await ws.Owner.Api.PutJsonAsync("/api/vip/rules", new { payingTagId = (Guid?)null, answersMin = 3, answersDays = 30, tenureDays = 30 });
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates"));
        var bad = await ws.Owner.Api.PutJsonAsync("/api/vip/rules", new { answersMin = 0, answersDays = 30, tenureDays = 30 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True(JsonDocument.Parse(await bad.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors").TryGetProperty("answersMin", out _));
    }

    [Fact]
    public async Task Candidates_LeaveOutAMemberWhoWithdrewTheirConsent()
    {
        var (ws, _, members) = await HistoryAsync();
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/members/{members["阿付"]}/consent/withdraw", new { })).StatusCode);

        // A private invitation is targeted: the member who withdrew is not offered one; the other candidate still is.
        Assert.Equal(["阿帮"], (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).Select(c => c.DisplayName));
    }

    [Fact]
    public async Task Candidates_LeaveOutAMemberWhoWithdrewThroughTheirOwnLink()
    {
        var (ws, _, members) = await HistoryAsync();
        // 阿付 fills in their profile form (a consent) and withdraws it through the link its thanks page offers.
        var created = await ws.Owner.Api.PostAsync($"/api/members/{members["阿付"]}/profile-link", null, Ct);
        var url = new Uri((await created.ReadAsync<Shequn.Features.Profiles.ProfileLinkDto>()).Url);
        using var fields = new FormUrlEncodedContent([new("f.city", "成都"), new("consent", "yes")]);
        var thanks = await (await factory.CreateClient().PostAsync(url.AbsolutePath, fields, Ct)).Content.ReadAsStringAsync(Ct);
        var link = System.Text.RegularExpressions.Regex.Match(thanks, "href=\"(/w/[A-Za-z0-9_-]+)\"").Groups[1].Value;
        Assert.StartsWith("/w/", link, StringComparison.Ordinal);
        Assert.Equal(["阿付", "阿帮"], (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).Select(c => c.DisplayName).Order());

        using var none = new FormUrlEncodedContent([]);
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().PostAsync(link, none, Ct)).StatusCode);

        Assert.Equal(["阿帮"], (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).Select(c => c.DisplayName));
    }

    [Fact]
    public async Task Invite_ToAManualVipGroup_BecomesAStaffTask_AndIsRecordedOnce()
    {
        var (ws, general, members) = await HistoryAsync();
        var vip = await CommunityAsync(ws, "VIP会员中心", "manual", "vipPaying");

        var notVip = await ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{members["阿帮"]}/invite", new { communityId = general });
        Assert.Equal(HttpStatusCode.BadRequest, notVip.StatusCode);
        Assert.Contains("communityId", await notVip.Content.ReadAsStringAsync(Ct));
        var notCandidate = await ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{members["阿新"]}/invite", new { communityId = vip });
        Assert.Equal(HttpStatusCode.BadRequest, notCandidate.StatusCode);
        Assert.Contains("memberId", await notCandidate.Content.ReadAsStringAsync(Ct));

        var response = await ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{members["阿帮"]}/invite", new { communityId = vip });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var invitation = await response.ReadAsync<VipInvitationDto>();
        Assert.Equal((vip, "VIP会员中心"), (invitation.CommunityId, invitation.CommunityName));
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{members["阿帮"]}/invite", new { communityId = vip })).StatusCode);

        // The dispatcher finds that Manual cannot make invite links: a task for staff, worded for the group.
        ActionDto action;
        while ((action = await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{invitation.ActionId}")).Status is ActionStatus.Queued or ActionStatus.Sending)
            await Task.Delay(50, Ct);
        Assert.Equal((ActionStatus.Task, ActionKind.CreateInviteLink, 1), (action.Status, action.Kind, action.Payload.MemberLimit));
        var task = Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?pageSize=200")).Items, t => t.ActionId == action.Id);
        Assert.Contains("VIP会员中心", task.Text);
        Assert.Contains("阿帮", task.Text);

        var listed = (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).Single(c => c.DisplayName == "阿帮");
        Assert.Equal(vip, listed.Invitation?.CommunityId);
        Assert.Equal(ws.Owner.Id, listed.Invitation?.InvitedById);
    }

    private async Task RunDailyAsync() => Assert.NotNull(await factory.Services.GetRequiredService<AutoTagJob>().RunAsync(force: true, Ct));

    [Fact]
    public async Task AutoInvite_OffByDefault_WhenOnTheDailyJobInvitesEachNewCandidateOnce_AsStaffWould()
    {
        var (ws, general, members) = await HistoryAsync();
        var vip = await CommunityAsync(ws, "VIP自动群", "manual", "vipPaying");
        async Task<Dictionary<string, VipCandidateDto>> CandidatesAsync() =>
            (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).ToDictionary(c => c.DisplayName);

        // Off by default: the daily job invites nobody.
        var rules = await ws.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules");
        Assert.Null(rules.AutoInviteCommunityId);
        await RunDailyAsync();
        Assert.All((await CandidatesAsync()).Values, c => Assert.Null(c.Invitation));

        // Only a VIP community may be named.
        var notVip = await ws.Owner.Api.PutJsonAsync("/api/vip/rules", rules with { AutoInviteCommunityId = general });
        Assert.Equal(HttpStatusCode.BadRequest, notVip.StatusCode);
        Assert.Contains("autoInviteCommunityId", (await notVip.ReadValidationErrorsAsync()).Keys);
        Assert.Null((await ws.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules")).AutoInviteCommunityId);

        // Staff invite 阿付 by hand; then auto-invite is turned on and the job invites the other candidate, 阿帮, as staff would.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{members["阿付"]}/invite", new { communityId = vip })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/vip/rules", rules with { AutoInviteCommunityId = vip })).StatusCode);
        Assert.Equal(vip, (await ws.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules")).AutoInviteCommunityId);
        await RunDailyAsync();
        var after = await CandidatesAsync();
        Assert.Equal((vip, ws.Owner.Id), (after["阿付"].Invitation?.CommunityId, after["阿付"].Invitation?.InvitedById));
        var auto = after["阿帮"].Invitation;
        Assert.NotNull(auto);
        Assert.Equal((vip, (Guid?)null), (auto.CommunityId, auto.InvitedById));
        ActionDto action;
        while ((action = await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{auto.ActionId}")).Status is ActionStatus.Queued or ActionStatus.Sending)
            await Task.Delay(50, Ct);
        Assert.Equal((ActionStatus.Task, ActionKind.CreateInviteLink, 1), (action.Status, action.Kind, action.Payload.MemberLimit));
        Assert.Contains((await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?pageSize=200")).Items, t => t.ActionId == action.Id && t.Text.Contains("阿帮", StringComparison.Ordinal));

        // Evaluated again: nobody is invited twice.
        await RunDailyAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(2, await db.Set<VipInvitation>().IgnoreQueryFilters().CountAsync(i => i.WorkspaceId == ws.Id, Ct));
        Assert.Equal(2, await db.Set<OutboundAction>().IgnoreQueryFilters().CountAsync(a => a.WorkspaceId == ws.Id && a.IdempotencyKey.StartsWith("vip-invite:"), Ct));
    }

    [Fact]
    public async Task JoiningAVipGroup_MakesTheMemberVip_AndRecordsTheInvitationsJoin()
    {
        var (ws, _, members) = await HistoryAsync();
        var vip = await CommunityAsync(ws, "核心会员群", "sandbox", "vipCore");
        var invited = await (await ws.Owner.Api.PostJsonAsync($"/api/vip/candidates/{members["阿付"]}/invite", new { communityId = vip })).ReadAsync<VipInvitationDto>();
        Assert.Null(invited.JoinedAt);

        await EventAtAsync(ws.Id, vip, EventKind.MemberJoined, "u-pay", "阿付", DateTime.UtcNow);
        await CaughtUpAsync();

        Assert.Equal(MemberLayer.Vip, (await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{members["阿付"]}")).Layer);
        Assert.Equal(["阿帮"], (await ws.Owner.Api.GetJsonAsync<List<VipCandidateDto>>("/api/vip/candidates")).Select(c => c.DisplayName));
        Assert.Equal(MemberLayer.Regular, (await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{members["阿帮"]}")).Layer);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var row = await db.Set<VipInvitation>().AsNoTracking().SingleAsync(i => i.WorkspaceId == ws.Id, Ct);
        Assert.Equal((members["阿付"], vip), (row.MemberId, row.CommunityId));
        Assert.NotNull(row.JoinedAt);
    }
}

public sealed class VipTests_Sqlite(SqliteFactory factory) : VipTests(factory), IClassFixture<SqliteFactory>;

public sealed class VipTests_Postgres(PostgresFactory factory) : VipTests(factory), IClassFixture<PostgresFactory>;
