using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Sandbox;
using Shequn.Features.Scripts;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Scripts;

/// <summary>
/// Keyword auto-replies end to end: rules through <c>/api/autoreplies</c>, members posting in a Sandbox group, and the
/// processor's reaction writing reply actions, cooldown rows, script use counts and staff tasks.
/// </summary>
public abstract class AutoReplyTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private async Task<T> EventuallyAsync<T>(Func<Task<T?>> read, string what) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await read() is { } value)
                return value;
            Assert.True(DateTime.UtcNow < deadline, what + " did not happen in time");
            factory.Services.GetRequiredService<EventLogSignal>().Notify();
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Waits until the processor has applied every event of the workspace logged so far.</summary>
    private async Task ProcessedAsync(Guid ws)
    {
        var last = await DbAsync(db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws).MaxAsync(e => e.Seq, Ct));
        await EventuallyAsync(async () => await DbAsync(db => db.Set<EventCheckpoint>().Where(c => c.Name == EventProcessor.CheckpointName)
            .Select(c => c.Seq).SingleAsync(Ct)) >= last ? "done" : null, "processing");
    }

    private Task<List<OutboundAction>> ActionsAsync(Guid ws) =>
        DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws).OrderBy(a => a.CreatedAt).ToListAsync(Ct));

    private async Task<(TestWorkspace Ws, Guid Community, SandboxChat Chat, AsyncServiceScope Scope)> SetUpAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("问答群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
        return (ws, community, scope.ServiceProvider.GetRequiredService<SandboxChat>(), scope);
    }

    [Fact]
    public async Task Keyword_GetsExactlyOneReply_AndASecondMatchWithinTheCooldownNone()
    {
        var (ws, community, chat, scope) = await SetUpAsync();
        await using var _ = scope;
        var faq = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts?category=faq"));
        var rule = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "发货时间", mode = "contains", keywords = new[] { "发货", "快递" }, scriptId = faq.Id, cooldownSeconds = 600,
        })).ReadAsync<AutoReplyDto>();
        Assert.Equal(MatchMode.Contains, rule.Mode);

        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        var bob = await chat.JoinAsync(community, "Bob", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "请问什么时候发货？", fromStaff: false, Ct);
        var reply = await EventuallyAsync(async () => (await ActionsAsync(ws.Id)).SingleOrDefault(a => a.Kind == ActionKind.Reply), "the reply");
        var asked = await DbAsync(db => db.Set<CommunityEvent>().SingleAsync(e => e.Seq == reply.CausedByEventSeq, Ct));
        Assert.Equal(amy, asked.UserId);
        var payload = ActionPayload.FromJson(reply.Payload);
        Assert.Equal(asked.MessageId, payload.MessageId);
        Assert.StartsWith("Amy 您好", payload.Text, StringComparison.Ordinal);
        Assert.Equal($"event:{asked.Seq}:autoreply:0", reply.IdempotencyKey);

        // Within the cooldown: another member, another keyword of the same rule; staff asking gets nothing either.
        await chat.PostAsync(community, bob, "Bob", "快递到哪了", fromStaff: false, Ct);
        await chat.PostAsync(community, "staff-1", "客服", "今天发货", fromStaff: true, Ct);
        await ProcessedAsync(ws.Id);
        Assert.Single(await ActionsAsync(ws.Id), a => a.Kind is ActionKind.Reply or ActionKind.Send);
        var cooldown = await DbAsync(db => db.Set<AutoReplyCooldown>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.WorkspaceId == ws.Id && c.RuleId == rule.Id, Ct));
        Assert.Equal(community, cooldown.CommunityId);
        // The script was used once.
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<ScriptDto>($"/api/scripts/{faq.Id}")).UsageCount);
    }

    [Fact]
    public async Task ScriptReply_InACommunityWithItsOwnText_AnswersWithThatText()
    {
        var (ws, community, chat, scope) = await SetUpAsync();
        await using var _ = scope;
        var faq = Assert.Single(await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts?category=faq"));
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/scripts/{faq.Id}/communities/{community}", new { text = "{nickname}，本群周五统一发货" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "发货时间", mode = "contains", keywords = new[] { "发货" }, scriptId = faq.Id, cooldownSeconds = 600,
        })).StatusCode);

        // The processor reads the community's text with no acting workspace.
        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "什么时候发货？", fromStaff: false, Ct);
        var reply = await EventuallyAsync(async () => (await ActionsAsync(ws.Id)).SingleOrDefault(a => a.Kind == ActionKind.Reply), "the reply");
        Assert.Equal("Amy，本群周五统一发货", ActionPayload.FromJson(reply.Payload).Text);
    }

    [Fact]
    public async Task Cooldown_IsReadFromTheDatabase_SoAnotherProcessesReplyCounts()
    {
        var (ws, community, chat, scope) = await SetUpAsync();
        await using var _ = scope;
        var rule = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "营业时间", mode = "contains", keywords = new[] { "营业" }, replyText = "9 点到 21 点", cooldownSeconds = 300,
        })).ReadAsync<AutoReplyDto>();
        // As if another app process (or this one before a crash) had answered a minute ago.
        await using (var write = factory.Services.CreateAsyncScope())
        {
            var db = write.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            db.Add(new AutoReplyCooldown { WorkspaceId = ws.Id, RuleId = rule.Id, CommunityId = community, LastReplyAt = DateTime.UtcNow.AddMinutes(-1) });
            await db.SaveChangesAsync(Ct);
        }
        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "营业到几点", fromStaff: false, Ct);
        await ProcessedAsync(ws.Id);
        Assert.Empty(await ActionsAsync(ws.Id));
    }

    [Fact]
    public async Task RuleScopedToOtherCommunities_DoesNotAnswer_AndStaffAreNeverAnswered()
    {
        var (ws, community, chat, scope) = await SetUpAsync();
        await using var _ = scope;
        var other = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("别的群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "价格", mode = "exact", keywords = new[] { "价格" }, replyText = "价格请看群公告", allCommunities = false, communityIds = new[] { other },
        })).ReadAsync<AutoReplyDto>();
        await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new { name = "你好", mode = "exact", keywords = new[] { "你好" }, replyText = "你好 {member}" })).ReadAsync<AutoReplyDto>();
        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "价格", fromStaff: false, Ct);
        await chat.PostAsync(community, amy, "Amy", "你好呀", fromStaff: false, Ct); // exact: no match
        await chat.PostAsync(community, "staff-1", "客服", "你好", fromStaff: true, Ct);
        await ProcessedAsync(ws.Id);
        Assert.Empty(await ActionsAsync(ws.Id));
    }

    [Fact]
    public async Task RegexThatCouldRunAway_IsRefusedAtSave_WithTheReason()
    {
        var ws = await factory.NewWorkspaceAsync();
        var response = await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "失控", mode = "regex", keywords = new[] { "退款", "(a+)+$" }, replyText = "请私信客服",
        });
        var errors = await response.ReadValidationErrorsAsync();
        Assert.DoesNotContain("keywords[0]", errors.Keys);
        Assert.Contains("pathological", Assert.Single(errors["keywords[1]"]), StringComparison.Ordinal);

        var fine = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "退款", mode = "regex", keywords = new[] { "退(款|钱)" }, replyText = "请私信客服",
        })).ReadAsync<AutoReplyDto>();
        var tested = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies/test", new { text = "我要退钱！" })).ReadAsync<AutoReplyTestDto>();
        Assert.Equal(fine.Id, tested.RuleId);
        Assert.Equal("请私信客服", tested.Reply);
        var none = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies/test", new { text = "谢谢" })).ReadAsync<AutoReplyTestDto>();
        Assert.Null(none.RuleId);
    }

    [Fact]
    public async Task HumanHandoff_CreatesATask_AndNoReply()
    {
        var (ws, community, chat, scope) = await SetUpAsync();
        await using var _ = scope;
        await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "投诉", mode = "contains", keywords = new[] { "投诉", "质量问题" }, humanHandoff = true,
        })).ReadAsync<AutoReplyDto>();
        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "我要投诉，鱼油有质量问题", fromStaff: false, Ct);
        var task = await EventuallyAsync(() => DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(t => t.WorkspaceId == ws.Id, Ct)), "the task");
        Assert.Equal(ActionKind.Reply, task.Kind);
        Assert.Equal(ws.Owner.Id, task.AssignedStaffId);
        Assert.Contains("Amy", task.Text, StringComparison.Ordinal);
        Assert.Contains("质量问题", task.Context, StringComparison.Ordinal);
        await ProcessedAsync(ws.Id);
        var action = Assert.Single(await ActionsAsync(ws.Id));
        Assert.Equal(task.ActionId, action.Id);
        Assert.Equal(ActionStatus.Task, action.Status); // nothing is sent to the group
        Assert.Equal(0, action.Attempts);

        // Amy goes on (one task for her complaint); Bob's complaint is a task of its own.
        var bob = await chat.JoinAsync(community, "Bob", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "质量问题太严重了，我要投诉", fromStaff: false, Ct);
        await chat.PostAsync(community, bob, "Bob", "我也要投诉", fromStaff: false, Ct);
        await ProcessedAsync(ws.Id);
        var tasks = await DbAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().Where(t => t.WorkspaceId == ws.Id).ToListAsync(Ct));
        Assert.Equal(2, tasks.Count);
        Assert.Single(tasks, t => t.Text.Contains("Bob", StringComparison.Ordinal));
        Assert.All(await ActionsAsync(ws.Id), a => Assert.Equal(ActionStatus.Task, a.Status));
        // The cooldown is kept per member and community: Amy's and Bob's.
        var cooldowns = await DbAsync(db => db.Set<HandoffCooldown>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws.Id).ToListAsync(Ct));
        Assert.Equal(2, cooldowns.Count);
        Assert.All(cooldowns, c => Assert.Equal(community, c.CommunityId));
    }

    [Fact]
    public async Task QuietHours_HoldTheReplyUntilTheyEnd_OrSkipIt()
    {
        var (ws, community, chat, scope) = await SetUpAsync();
        await using var _ = scope;
        var zone = WorkspaceZones.Find(Workspace.DefaultTimeZone)!;
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, zone);
        var from = local.AddMinutes(-60).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        var to = local.AddMinutes(60).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "夜间发货", mode = "contains", keywords = new[] { "发货" }, replyText = "明早回复您", quietFrom = from, quietTo = to, quietMode = "hold", cooldownSeconds = 0,
        })).ReadAsync<AutoReplyDto>();
        var skip = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new
        {
            name = "夜间退款", mode = "contains", keywords = new[] { "退款" }, replyText = "不会发出", quietFrom = from, quietTo = to, quietMode = "skip",
        })).ReadAsync<AutoReplyDto>();
        Assert.Equal(QuietHoursMode.Skip, skip.QuietMode);
        Assert.Equal(from, skip.QuietFrom);

        var amy = await chat.JoinAsync(community, "Amy", null, Ct);
        await chat.PostAsync(community, amy, "Amy", "退款怎么办", fromStaff: false, Ct);
        await chat.PostAsync(community, amy, "Amy", "几点发货", fromStaff: false, Ct);
        await chat.PostAsync(community, amy, "Amy", "发货了吗？", fromStaff: false, Ct); // held already: one answer in the morning
        await ProcessedAsync(ws.Id);
        var held = Assert.Single(await ActionsAsync(ws.Id));
        Assert.Equal("明早回复您", ActionPayload.FromJson(held.Payload).Text);
        Assert.Equal(ActionStatus.Queued, held.Status);
        var wait = held.NextAttemptAt - DateTime.UtcNow;
        Assert.InRange(wait, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
    }

    [Fact]
    public async Task Api_RefusesBadInput_NamingTheField_AndSupportsCrud()
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new { name = "x", keywords = Array.Empty<string>(), cooldownSeconds = -1, quietFrom = "25:00", quietTo = "08:00" }))
            .ReadValidationErrorsAsync();
        Assert.Contains("mode", errors.Keys);
        Assert.Contains("keywords", errors.Keys);
        Assert.Contains("replyText", errors.Keys);
        Assert.Contains("cooldownSeconds", errors.Keys);
        Assert.Contains("quietFrom", errors.Keys);
        var unknownVariable = await (await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new { name = "x", mode = "exact", keywords = new[] { "a" }, replyText = "{price} 元" }))
            .ReadValidationErrorsAsync();
        Assert.Contains("{price}", Assert.Single(unknownVariable["replyText"]), StringComparison.Ordinal);

        var created = await ws.Owner.Api.PostJsonAsync("/api/autoreplies", new { name = "地址", mode = "contains", keywords = new[] { "地址" }, replyText = "地址见群公告" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var rule = await created.ReadAsync<AutoReplyDto>();
        var updated = await (await ws.Owner.Api.PutJsonAsync($"/api/autoreplies/{rule.Id}", new { enabled = false, cooldownSeconds = 30 })).ReadAsync<AutoReplyDto>();
        Assert.False(updated.Enabled);
        Assert.Equal(30, updated.CooldownSeconds);
        Assert.Equal(["地址"], updated.Keywords);
        Assert.Single(await ws.Owner.Api.GetJsonAsync<List<AutoReplyDto>>("/api/autoreplies"));
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/autoreplies/{rule.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/autoreplies/{rule.Id}", Ct)).StatusCode);
    }
}

public sealed class AutoReplySqliteTests(SqliteFactory factory) : AutoReplyTests(factory), IClassFixture<SqliteFactory>;

public sealed class AutoReplyPostgresTests(PostgresFactory factory) : AutoReplyTests(factory), IClassFixture<PostgresFactory>;
