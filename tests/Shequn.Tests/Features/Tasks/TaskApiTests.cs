using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors;
using Shequn.Connectors.Manual;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Imports;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Features.Imports;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Tasks;

/// <summary>Actions on Manual (and incapable) platforms become staff tasks through the running dispatcher; the inbox API closes them.</summary>
public abstract class TaskApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TestWorkspace Ws, Guid Community)> CommunityAsync(string platform = "manual", string name = "老客户微信群")
    {
        var ws = await factory.NewWorkspaceAsync();
        return (ws, await NewCommunityAsync(ws, platform, name));
    }

    private static async Task<Guid> NewCommunityAsync(TestWorkspace ws, string platform, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>()).Id;

    /// <summary>A staff member with the given workspace role, on the community with the given community role.</summary>
    private async Task<TestStaff> StaffAsync(TestWorkspace ws, StaffRole role, Guid community, CommunityRole communityRole, string name, string? culture = null)
    {
        var staff = await ws.AddStaffAsync(role, name);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        db.CommunityStaff.Add(new CommunityStaff { CommunityId = community, StaffUserId = staff.Id, Role = communityRole });
        if (culture is not null)
            (await db.Users.SingleAsync(u => u.Id == staff.Id, Ct)).Culture = culture;
        await db.SaveChangesAsync(Ct);
        return staff;
    }

    private static async Task<Guid> EnqueueAsync(HttpClient api, Guid community, object action)
    {
        var response = await api.PostJsonAsync($"/api/communities/{community}/actions", action);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.ReadAsync<ActionDto>()).Id;
    }

    /// <summary>Waits until the dispatcher has made the action a task and returns that task (the test's timeout bounds the wait).</summary>
    private static async Task<TaskDto> TaskOfAsync(HttpClient api, Guid actionId)
    {
        while (true)
        {
            var a = await api.GetJsonAsync<ActionDto>($"/api/actions/{actionId}");
            if (a.Status is not (ActionStatus.Queued or ActionStatus.Sending))
            {
                Assert.Equal(ActionStatus.Task, a.Status);
                var tasks = await api.GetJsonAsync<Page<TaskDto>>("/api/tasks?pageSize=200");
                var task = Assert.Single(tasks.Items, t => t.ActionId == actionId);
                Assert.Equal(task.Text, a.Payload.TaskText);
                return task;
            }
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public void ManualConnector_IsRegisteredForManual_AndCanDoNothing()
    {
        var connector = factory.Services.GetRequiredService<ConnectorRegistry>().For(ChatPlatform.Manual);

        Assert.IsType<ManualConnector>(connector);
        Assert.Empty(connector.Capabilities);
    }

    [Fact]
    public async Task ManualSend_GoesToTheOperator_WithTheExactMessage()
    {
        var (ws, community) = await CommunityAsync();
        var admin = await StaffAsync(ws, StaffRole.Admin, community, CommunityRole.Admin, "管理员甲");
        var op = await StaffAsync(ws, StaffRole.Operator, community, CommunityRole.Operator, "运营乙");

        var action = await EnqueueAsync(ws.Owner.Api, community, new { kind = "send", text = "今晚八点直播，记得来！" });
        var task = await TaskOfAsync(ws.Owner.Api, action);

        Assert.Equal((ActionKind.Send, "今晚八点直播，记得来！", CommunityRole.Operator, op.Id, "运营乙", StaffTaskStatus.Open, false),
            (task.Kind, task.Text, task.AssignedRole, task.AssignedStaffId, task.AssignedStaffName, task.Status, task.Overdue));
        Assert.InRange(task.DueAt - task.CreatedAt, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        Assert.Equal(task.Id, Assert.Single((await op.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?scope=mine")).Items).Id);
        Assert.Empty((await admin.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?scope=mine")).Items);
        Assert.Single((await admin.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?scope=myCommunities")).Items);
    }

    [Fact]
    public async Task ImportedManualMember_Remove_GoesToTheAdminInChinese_OrInTheAdminsLanguage()
    {
        var (ws, community) = await CommunityAsync(name: "杭州鱼油群");
        // The Manual group's people come from a chat export.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<AppDbContext>().Current.ActAsSystem(ws.Id);
            var importer = scope.ServiceProvider.GetRequiredService<ChatImporter>();
            var imported = await importer.ImportAsync((await importer.FindCommunityAsync(community, Ct))!, ChatImportFormat.Csv,
                new MemoryStream(Encoding.UTF8.GetBytes(ChatImportTests.Csv)), null, null, Ct);
            Assert.Equal(6, imported.Accepted);
            await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        }
        var admin = await StaffAsync(ws, StaffRole.Admin, community, CommunityRole.Admin, "管理员甲");

        var remove = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "remove", userId = "wx_alice" }));
        Assert.Equal(("将 杭州-IT-Alice 移出群「杭州鱼油群」", CommunityRole.Admin, admin.Id), (remove.Text, remove.AssignedRole, remove.AssignedStaffId));

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            (await db.Users.SingleAsync(u => u.Id == admin.Id, Ct)).Culture = "en";
            await db.SaveChangesAsync(Ct);
        }
        var messageId = await MessageIdAsync(ws.Id, "哈哈");
        var delete = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "deleteMessage", messageId }));
        Assert.Equal(("In 「杭州鱼油群」, delete this message by 杭州-IT-Alice: “哈哈”", admin.Id), (delete.Text, delete.AssignedStaffId));
    }

    private async Task<string> MessageIdAsync(Guid ws, string text)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return (await db.Set<CommunityEvent>().FirstAsync(e => e.WorkspaceId == ws && e.Text == text, Ct)).MessageId!;
    }

    [Fact]
    public async Task CommunityWithoutStaff_TaskFallsBackToTheOwner()
    {
        var (ws, community) = await CommunityAsync();
        await StaffAsync(ws, StaffRole.Koc, community, CommunityRole.Koc, "达人");

        var task = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "ban", userId = "wx_nobody" }));

        Assert.Equal(((CommunityRole?)null, ws.Owner.Id, "将 wx_nobody 移出群「老客户微信群」，并不再让其加入"), (task.AssignedRole, task.AssignedStaffId, task.Text));
    }

    [Fact]
    public async Task WeComRemove_PlatformCannot_BecomesTaskForTheAdmin()
    {
        var (ws, community) = await CommunityAsync("weCom", "企微客户群");
        var admin = await StaffAsync(ws, StaffRole.Admin, community, CommunityRole.Admin, "管理员甲");

        var task = await TaskOfAsync(admin.Api, await EnqueueAsync(admin.Api, community, new { kind = "remove", userId = "wm_external_1" }));

        Assert.Equal((ChatPlatform.WeCom, ActionKind.Remove, admin.Id), (task.Platform, task.Kind, task.AssignedStaffId));
    }

    [Fact]
    public async Task Done_SettlesTheActionAndIsAudited_SecondCloseIsConflict()
    {
        var (ws, community) = await CommunityAsync();
        var op = await StaffAsync(ws, StaffRole.Operator, community, CommunityRole.Operator, "运营乙");
        var task = await TaskOfAsync(op.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "send", text = "早上好" }));

        var done = await op.Api.PostJsonAsync($"/api/tasks/{task.Id}/done", new { note = "  已在群里发送  " });

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var closed = await done.ReadAsync<TaskDto>();
        Assert.Equal((StaffTaskStatus.Done, "已在群里发送", op.Id, "运营乙"), (closed.Status, closed.Note, closed.ClosedById, closed.ClosedByName));
        Assert.NotNull(closed.ClosedAt);
        var action = await op.Api.GetJsonAsync<ActionDto>($"/api/actions/{task.ActionId}");
        Assert.Equal((ActionStatus.Done, (string?)null), (action.Status, action.Error));
        var audit = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={task.Id}");
        var updated = Assert.Single(audit.Items, e => e.Action == "updated");
        Assert.Equal((nameof(StaffTask), op.Id), (updated.EntityType, updated.ActorId));
        Assert.Contains(updated.Changes, c => c.Field == nameof(StaffTask.Status));
        Assert.Contains((await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={task.ActionId}")).Items,
            e => e.Action == "updated" && e.ActorId == op.Id);

        var again = await ws.Owner.Api.PostJsonAsync($"/api/tasks/{task.Id}/could-not", new { note = "太晚了" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await again.Content.ReadAsStringAsync(Ct);
        Assert.Contains("already closed (done) by 运营乙", problem, StringComparison.Ordinal);
        Assert.Equal(StaffTaskStatus.Done, (await ws.Owner.Api.GetJsonAsync<TaskDto>($"/api/tasks/{task.Id}")).Status);
    }

    [Fact]
    public async Task CouldNot_NeedsANote_ThenFailsTheActionWithIt()
    {
        var (ws, community) = await CommunityAsync();
        var task = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "remove", userId = "wx_bob" }));

        var bare = await ws.Owner.Api.PostJsonAsync($"/api/tasks/{task.Id}/could-not", new { });
        var tooLong = await ws.Owner.Api.PostJsonAsync($"/api/tasks/{task.Id}/done", new { note = new string('x', StaffTask.NoteMaxLength + 1) });
        var given = await ws.Owner.Api.PostJsonAsync($"/api/tasks/{task.Id}/could-not", new { note = "群主不在，无法移除" });

        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
        Assert.Contains("note", (await bare.ReadValidationErrorsAsync()).Keys);
        Assert.Contains("note", (await tooLong.ReadValidationErrorsAsync()).Keys);
        Assert.Equal(HttpStatusCode.OK, given.StatusCode);
        Assert.Equal(StaffTaskStatus.CouldNot, (await given.ReadAsync<TaskDto>()).Status);
        var action = await ws.Owner.Api.GetJsonAsync<ActionDto>($"/api/actions/{task.ActionId}");
        Assert.Equal((ActionStatus.Failed, ErrorCategory.Permanent), (action.Status, action.ErrorCategory));
        Assert.Contains("群主不在，无法移除", action.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scoping_OthersCommunitiesHidden_KocRefused()
    {
        var (ws, community) = await CommunityAsync();
        var other = await NewCommunityAsync(ws, "manual", "别的群");
        var subOwner = await StaffAsync(ws, StaffRole.SubOwner, other, CommunityRole.SubOwner, "副群主");
        var koc = await StaffAsync(ws, StaffRole.Koc, community, CommunityRole.Koc, "达人");
        var stranger = await factory.NewWorkspaceAsync();
        var task = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "send", text = "hi" }));

        Assert.Empty((await subOwner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks")).Items);
        Assert.Equal(HttpStatusCode.NotFound, (await subOwner.Api.GetAsync($"/api/tasks/{task.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await subOwner.Api.PostJsonAsync($"/api/tasks/{task.Id}/done", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Owner.Api.PostJsonAsync($"/api/tasks/{task.Id}/done", new { })).StatusCode);
        Assert.Empty((await stranger.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks")).Items);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/tasks", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync($"/api/tasks/{task.Id}/done", new { })).StatusCode);
        Assert.Equal(StaffTaskStatus.Open, (await ws.Owner.Api.GetJsonAsync<TaskDto>($"/api/tasks/{task.Id}")).Status);
    }

    [Fact]
    public async Task List_Filters_StatusOverdueCommunity_AndBadValuesNameTheField()
    {
        var (ws, community) = await CommunityAsync();
        var other = await NewCommunityAsync(ws, "manual", "别的群");
        var late = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "send", text = "迟了" }));
        var fresh = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, other, new { kind = "send", text = "还早" }));
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            await db.Set<StaffTask>().Where(t => t.Id == late.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.DueAt, DateTime.UtcNow.AddMinutes(-5)), Ct);
        }

        var overdue = await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?overdue=true");
        Assert.Equal((late.Id, true), (Assert.Single(overdue.Items).Id, overdue.Items[0].Overdue));
        Assert.Equal(fresh.Id, Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>($"/api/tasks?communityId={other}")).Items).Id);
        await ws.Owner.Api.PostJsonAsync($"/api/tasks/{fresh.Id}/done", new { });
        Assert.Equal(late.Id, Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?status=open&scope=mine")).Items).Id);
        Assert.Equal(fresh.Id, Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?status=done")).Items).Id);

        var bad = await ws.Owner.Api.GetAsync("/api/tasks?scope=everyone&status=finished", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(["scope", "status"], (await bad.ReadValidationErrorsAsync()).Keys.Order());
    }
    [Fact]
    public async Task TwoOperators_SendsAreShared_ByFewestOpenTasks()
    {
        var (ws, community) = await CommunityAsync();
        var first = await StaffAsync(ws, StaffRole.Operator, community, CommunityRole.Operator, "运营一");
        var second = await StaffAsync(ws, StaffRole.Operator, community, CommunityRole.Operator, "运营二");

        var a = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "send", text = "一" }));
        var b = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "send", text = "二" }));

        Assert.Equal(new[] { first.Id, second.Id }.Order(), new[] { a.AssignedStaffId, b.AssignedStaffId }.Order());
    }

    [Fact]
    public async Task RestrictUntil_IsWordedInTheWorkspacesZone_ReplyQuotesItsMessage()
    {
        var (ws, community) = await CommunityAsync(name: "禁言群");
        var until = new DateTimeOffset(2099, 1, 2, 3, 4, 0, TimeSpan.Zero);

        var restrict = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "restrict", userId = "wx_x", until }));
        var reply = await TaskOfAsync(ws.Owner.Api, await EnqueueAsync(ws.Owner.Api, community, new { kind = "reply", messageId = "m-404", text = "您好，已为您处理" }));

        Assert.Equal("在群「禁言群」将 wx_x 禁言至 2099-01-02 11:04 UTC+8", restrict.Text);
        Assert.Equal(("您好，已为您处理", "回复消息（编号 m-404）"), (reply.Text, reply.Context));
    }

    [Fact]
    public async Task Audit_ClosingIsReadableByTheSubOwnerOfThatCommunityOnly()
    {
        var (ws, community) = await CommunityAsync();
        var other = await NewCommunityAsync(ws, "manual", "别的群");
        var hers = await StaffAsync(ws, StaffRole.SubOwner, community, CommunityRole.SubOwner, "副群主甲");
        var notHers = await StaffAsync(ws, StaffRole.SubOwner, other, CommunityRole.SubOwner, "副群主乙");
        var task = await TaskOfAsync(hers.Api, await EnqueueAsync(hers.Api, community, new { kind = "remove", userId = "wx_y" }));
        Assert.Equal(HttpStatusCode.OK, (await hers.Api.PostJsonAsync($"/api/tasks/{task.Id}/done", new { })).StatusCode);

        var seen = await hers.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?entityType=staffTask");
        var unseen = await notHers.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit?entityType=staffTask");

        Assert.Contains(seen.Items, e => e.EntityId == task.Id.ToString() && e.Action == "updated" && e.ActorId == hers.Id);
        Assert.DoesNotContain(unseen.Items, e => e.EntityId == task.Id.ToString());
    }
}

public sealed class TaskApiTests_Sqlite(SqliteFactory factory) : TaskApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class TaskApiTests_Postgres(PostgresFactory factory) : TaskApiTests(factory), IClassFixture<PostgresFactory>;
