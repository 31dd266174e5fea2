using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Feedback;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Feedback;

/// <summary>
/// Feedback tickets end to end: members post in a Sandbox group, the processor's reaction makes tickets, staff enter,
/// move and resolve them through <c>/api/feedback</c>, and an answer goes out through the outbox.
/// </summary>
public abstract class FeedbackTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    private async Task ChatAsync(Guid ws, Func<SandboxChat, Task> act)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws);
        await act(scope.ServiceProvider.GetRequiredService<SandboxChat>());
    }

    private Task CaughtUpAsync() => factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private Task<List<FeedbackTicket>> TicketsAsync(Guid ws) =>
        DbAsync(ws, db => db.Set<FeedbackTicket>().AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(Ct));

    private static Task<HttpResponseMessage> PatchAsync(HttpClient api, string url, object body) => api.PatchAsJsonAsync(url, body, Ct);

    /// <summary>A member's message in the group; returns its log sequence number.</summary>
    private async Task<long> PostAsync(Guid ws, Guid community, string name, string text)
    {
        await ChatAsync(ws, async chat =>
        {
            var member = await chat.JoinAsync(community, name, null, Ct);
            await chat.PostAsync(community, member, name, text, fromStaff: false, Ct);
        });
        await CaughtUpAsync();
        return await DbAsync(ws, db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws && e.Text == text).Select(e => e.Seq).SingleAsync(Ct));
    }

    [Fact]
    public async Task MemberComplaint_BecomesOneTicket_RoutedToTheDepartmentsOwner_AndAReplayAddsNone()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "鱼油交流群");
        var logistics = await ws.AddStaffAsync(StaffRole.Admin, "物流主管");
        var rules = (await ws.Owner.Api.GetJsonAsync<FeedbackRulesDto>("/api/feedback/rules")).Rules;
        var edited = rules with { Departments = [.. rules.Departments.Select(d => d.Key == FeedbackRules.Logistics ? d with { OwnerStaffId = logistics.Id } : d)] };
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/feedback/rules", edited)).StatusCode);

        var seq = await PostAsync(ws.Id, community, "小周", "快递一个星期了还没到，怎么回事");
        await PostAsync(ws.Id, community, "小李", "大家早上好呀");
        await ChatAsync(ws.Id, chat => chat.PostAsync(community, "staff-1", "客服", "快递太慢了我们在催", fromStaff: true, Ct));
        await CaughtUpAsync();

        var ticket = Assert.Single(await TicketsAsync(ws.Id));
        Assert.Equal((FeedbackKind.Complaint, FeedbackSource.Detected, FeedbackRules.Logistics, FeedbackStatus.New),
            (ticket.Kind, ticket.Source, ticket.Department, ticket.Status));
        Assert.Equal((seq, logistics.Id, community), (ticket.EventSeq, ticket.AssignedStaffId, ticket.CommunityId));
        Assert.NotNull(ticket.MemberId);
        Assert.Equal("快递一个星期了还没到，怎么回事", ticket.Text);
        var listed = await ws.Owner.Api.GetJsonAsync<Page<FeedbackTicketDto>>($"/api/feedback/tickets?memberId={ticket.MemberId}");
        Assert.Equal(("物流部", "物流主管"), (listed.Items.Single().DepartmentName, listed.Items.Single().AssignedStaffName));

        // The same batch again (a second process, a crash after the commit): nothing new.
        await DbAsync(ws.Id, async db =>
        {
            var log = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws.Id).OrderBy(e => e.Seq).ToListAsync(Ct);
            foreach (var e in log)
                e.OccurredAt = DateTime.UtcNow; // still fresh enough to react to
            var effects = new EventEffects(db, factory.Services.GetRequiredService<WorkspaceZones>());
            await effects.ApplyAsync(log, Ct);
            await factory.Services.GetServices<IBatchReaction>().OfType<FeedbackReaction>().Single().ReactAsync(db, log, effects, Ct);
            Assert.DoesNotContain(db.ChangeTracker.Entries<FeedbackTicket>(), e => e.State == EntityState.Added);
            return 0;
        });
    }

    [Fact]
    public async Task MergingTheMember_MovesTheirTicket_AndUnmergingMovesItBack()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "合并反馈群");
        await PostAsync(ws.Id, community, "小周", "快递一个星期了还没到，怎么回事");
        await PostAsync(ws.Id, community, "周先生", "大家早上好呀");
        var ticket = Assert.Single(await TicketsAsync(ws.Id));
        var members = (await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>("/api/members?pageSize=50")).Items.ToDictionary(m => m.DisplayName, m => m.Id);
        Assert.Equal(members["小周"], ticket.MemberId);

        var merged = await (await ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = members["周先生"], memberId = members["小周"] })).ReadAsync<MemberMergeDto>();
        Assert.Equal(members["周先生"], Assert.Single(await TicketsAsync(ws.Id)).MemberId);
        var listed = await ws.Owner.Api.GetJsonAsync<Page<FeedbackTicketDto>>($"/api/feedback/tickets?memberId={members["周先生"]}");
        Assert.Equal(ticket.Id, Assert.Single(listed.Items).Id);

        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostAsync($"/api/members/merges/{merged.Id}/unmerge", null, Ct)).StatusCode);
        Assert.Equal(members["小周"], Assert.Single(await TicketsAsync(ws.Id)).MemberId);
    }

    [Fact]
    public async Task StaffTicket_QuotesTheMessage_AndAnIllegalMoveIs409()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "会员群");
        var seq = await PostAsync(ws.Id, community, "小王", "包装盒有点大，放冰箱占地方");
        Assert.Empty(await TicketsAsync(ws.Id));

        var created = await ws.Owner.Api.PostJsonAsync("/api/feedback/tickets", new { communityId = community, kind = "suggestion", eventSeq = seq });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var ticket = await created.ReadAsync<FeedbackTicketDto>();
        Assert.Equal(("包装盒有点大，放冰箱占地方", FeedbackSource.Staff, FeedbackRules.Product, ws.Owner.Id),
            (ticket.Text, ticket.Source, ticket.Department, ticket.AssignedStaffId));
        Assert.NotNull(ticket.MemberId);

        var url = $"/api/feedback/tickets/{ticket.Id}";
        var moved = await (await PatchAsync(ws.Owner.Api, url, new { status = "inProgress", department = FeedbackRules.AfterSales })).ReadAsync<FeedbackTicketDto>();
        Assert.Equal((FeedbackStatus.InProgress, FeedbackRules.AfterSales), (moved.Status, moved.Department));
        Assert.Equal(HttpStatusCode.Conflict, (await PatchAsync(ws.Owner.Api, url, new { status = "new" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync(url + "/resolve", new { note = "已反馈给产品部" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostJsonAsync(url + "/resolve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await PatchAsync(ws.Owner.Api, url, new { status = "wontFix" })).StatusCode);
        // Audited: created, then three changes.
        var audit = await DbAsync(ws.Id, db => db.AuditEntries.Where(a => a.EntityType == nameof(FeedbackTicket) && a.EntityId == ticket.Id.ToString()).CountAsync(Ct));
        Assert.Equal(3, audit);
    }

    [Fact]
    public async Task Resolve_WithAnAnswer_EnqueuesExactlyOneReply_ThatTheDispatcherSends()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "售后群");
        await PostAsync(ws.Id, community, "阿May", "收到的鱼油瓶子碎了，要求退货");
        var ticket = Assert.Single(await TicketsAsync(ws.Id));

        var resolved = await (await ws.Owner.Api.PostJsonAsync($"/api/feedback/tickets/{ticket.Id}/resolve",
            new { note = "已补发", answer = "您好，已为您补发一瓶，请留意物流" })).ReadAsync<FeedbackTicketDto>();
        Assert.Equal(FeedbackStatus.Resolved, resolved.Status);
        var actions = await DbAsync(ws.Id, db => db.Set<OutboundAction>().AsNoTracking().ToListAsync(Ct));
        var action = Assert.Single(actions);
        Assert.Equal((resolved.AnswerActionId, ActionKind.Reply, FeedbackDesk.AnswerKey(ticket.Id), ws.Owner.Id),
            ((Guid?)action.Id, action.Kind, action.IdempotencyKey, action.CausedByStaffId));
        Assert.Equal(ticket.MessageId, ActionPayload.FromJson(action.Payload).MessageId);
        // Reopened and resolved again with another answer: still one answer.
        Assert.Equal(HttpStatusCode.OK, (await PatchAsync(ws.Owner.Api, $"/api/feedback/tickets/{ticket.Id}", new { status = "inProgress" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostJsonAsync($"/api/feedback/tickets/{ticket.Id}/resolve", new { answer = "再说一次" })).StatusCode);

        // The host's own dispatcher runs too: whichever claims the action sends it; wait for it to be done.
        var status = ActionStatus.Queued;
        for (var i = 0; i < 200 && status != ActionStatus.Done; i++)
        {
            await factory.Services.GetRequiredService<OutboxDispatcher>().DispatchOnceAsync(Ct);
            status = (await DbAsync(ws.Id, db => db.Set<OutboundAction>().AsNoTracking().SingleAsync(Ct))).Status;
            if (status != ActionStatus.Done)
                await Task.Delay(50, Ct);
        }
        await CaughtUpAsync();
        Assert.Equal(ActionStatus.Done, status);
        IReadOnlyList<ChatLine> lines = [];
        await ChatAsync(ws.Id, async chat => lines = await chat.RecentAsync(community, 10, Ct));
        Assert.Contains(lines, l => l.Text == "您好，已为您补发一瓶，请留意物流" && l.FromStaff);
    }

    [Fact]
    public async Task Tickets_AreHiddenFromKocs_AndFromStaffOfOtherCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws, "一群");
        var other = await CommunityAsync(ws, "二群");
        var ticket = await (await ws.Owner.Api.PostJsonAsync("/api/feedback/tickets", new { communityId = mine, kind = "complaint", text = "客服电话打不通" }))
            .ReadAsync<FeedbackTicketDto>();
        var insider = await ws.AddStaffAsync(StaffRole.Operator, "一群运营", mine);
        var outsider = await ws.AddStaffAsync(StaffRole.Operator, "二群运营", other);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "达人", mine);

        Assert.Single((await insider.Api.GetJsonAsync<Page<FeedbackTicketDto>>("/api/feedback/tickets")).Items);
        Assert.Empty((await outsider.Api.GetJsonAsync<Page<FeedbackTicketDto>>("/api/feedback/tickets")).Items);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Api.GetAsync($"/api/feedback/tickets/{ticket.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(outsider.Api, $"/api/feedback/tickets/{ticket.Id}", new { status = "inProgress" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/feedback/tickets", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await koc.Api.GetAsync($"/api/feedback/tickets/{ticket.Id}", Ct)).StatusCode);
        // Nor can the outsider enter one in a community she does not see, or be given one there.
        var errors = await (await outsider.Api.PostJsonAsync("/api/feedback/tickets", new { communityId = mine, kind = "complaint", text = "x" })).ReadValidationErrorsAsync();
        Assert.Contains("communityId", errors.Keys);
        errors = await (await PatchAsync(ws.Owner.Api, $"/api/feedback/tickets/{ticket.Id}", new { assignedStaffId = outsider.Id })).ReadValidationErrorsAsync();
        Assert.Contains("assignedStaffId", errors.Keys);
        // Operators read the rules but do not change them.
        var rules = await insider.Api.GetJsonAsync<FeedbackRulesDto>("/api/feedback/rules");
        Assert.False(rules.MayEdit);
        Assert.Equal(HttpStatusCode.Forbidden, (await insider.Api.PutJsonAsync("/api/feedback/rules", rules.Rules)).StatusCode);
    }

    [Fact]
    public async Task BadInput_IsRefused_NamingTheField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "测试群");
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/feedback/tickets", new { communityId = community, department = "nowhere" })).ReadValidationErrorsAsync();
        Assert.Contains("kind", errors.Keys);
        Assert.Contains("text", errors.Keys);
        Assert.Contains("department", errors.Keys);
        errors = await (await ws.Owner.Api.PostJsonAsync("/api/feedback/tickets", new { communityId = community, kind = "praise", eventSeq = 999_999_999 })).ReadValidationErrorsAsync();
        Assert.Contains("kind", errors.Keys);
        Assert.Contains("eventSeq", errors.Keys);
        errors = await (await ws.Owner.Api.GetAsync("/api/feedback/tickets?status=closed", Ct)).ReadValidationErrorsAsync();
        Assert.Contains("status", errors.Keys);

        var rules = (await ws.Owner.Api.GetJsonAsync<FeedbackRulesDto>("/api/feedback/rules")).Rules;
        errors = await (await ws.Owner.Api.PutJsonAsync("/api/feedback/rules", rules with
        {
            ComplaintPatterns = ["(a+)+$"],
            Departments = [new FeedbackDepartment("Bad Key", "", [])],
        })).ReadValidationErrorsAsync();
        Assert.Contains("pathological", Assert.Single(errors["complaintPatterns[0]"]), StringComparison.Ordinal);
        Assert.Contains("departments[0].key", errors.Keys);
        Assert.Contains("departments[0].name", errors.Keys);
        Assert.Contains("complaintDepartment", errors.Keys);

        errors = await (await ws.Owner.Api.PostJsonAsync("/api/feedback/check", new { text = " " })).ReadValidationErrorsAsync();
        Assert.Contains("text", errors.Keys);
        var check = await (await ws.Owner.Api.PostJsonAsync("/api/feedback/check", new { text = "建议出个小包装的" })).ReadAsync<FeedbackCheckDto>();
        Assert.Equal((FeedbackKind.Suggestion, FeedbackRules.Product, "产品部"), (check.Kind, check.Department, check.DepartmentName));
    }
}

public sealed class FeedbackSqliteTests(SqliteFactory factory) : FeedbackTests(factory), IClassFixture<SqliteFactory>;

public sealed class FeedbackPostgresTests(PostgresFactory factory) : FeedbackTests(factory), IClassFixture<PostgresFactory>;
