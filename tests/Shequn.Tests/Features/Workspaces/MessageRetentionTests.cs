using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Analytics;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Feedback;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Workspaces;

/// <summary>The retention policy: members' words older than the workspace's limit go, recent ones and every figure stay.</summary>
public abstract class MessageRetentionTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<T> WithDbAsync<T>(IServiceProvider services, Guid ws, Func<AppDbContext, Task<T>> f)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await f(db);
    }

    /// <summary>Until the processor and the image inspector (the readers retention waits for) have passed every event.</summary>
    internal static async Task CaughtUpAsync(IServiceProvider services)
    {
        await services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        for (var i = 0; i < 200; i++)
        {
            var behind = await WithDbAsync(services, Guid.Empty, async db =>
            {
                var last = await db.Set<CommunityEvent>().MaxAsync(e => (long?)e.Seq, Ct) ?? 0;
                return await db.Set<EventCheckpoint>().AnyAsync(c => (c.Name == EventProcessor.CheckpointName || c.Name == Shequn.Features.Images.ImageInspector.CheckpointName) && c.Seq < last, Ct);
            });
            if (!behind)
                return;
            await Task.Delay(100, Ct);
        }
        var where = await WithDbAsync(services, Guid.Empty, async db =>
            $"log at {await db.Set<CommunityEvent>().MaxAsync(e => (long?)e.Seq, Ct)}; " + string.Join(", ", await db.Set<EventCheckpoint>().Select(c => c.Name + " " + c.Seq).ToListAsync(Ct)));
        Assert.Fail($"The processor or the image inspector did not catch up ({where}).");
    }

    /// <summary>Every figure the analytics read, as text: daily figures, stored days, activity, edges, questions' times and
    /// answers, events by kind, cases by decision, and the response summary the API serves.</summary>
    private async Task<string> FiguresAsync(TestWorkspace ws)
    {
        var rows = await WithDbAsync(factory.Services, ws.Id, async db => string.Join("\n",
            string.Join(";", (await FigureRecount.StoredAsync(db, ws.Id)).OrderBy(kv => kv.Key.Community).ThenBy(kv => kv.Key.Day).Select(kv => $"{kv.Key} {kv.Value}")),
            string.Join(";", (await db.Set<MemberActivity>().AsNoTracking().ToListAsync(Ct)).Select(a => JsonSerializer.Serialize(a)).Order(StringComparer.Ordinal)),
            string.Join(";", (await db.Set<InteractionEdge>().AsNoTracking().ToListAsync(Ct)).Select(e => JsonSerializer.Serialize(e)).Order(StringComparer.Ordinal)),
            string.Join(";", (await db.Set<MemberQuestion>().AsNoTracking().OrderBy(q => q.AskedAt).ToListAsync(Ct))
                .Select(q => $"{q.AskedAt:O} {q.AnsweredAt:O} {q.AnswerSeconds} {q.AnsweredByKind} {q.MemberId}")),
            string.Join(";", await db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id).GroupBy(e => e.Kind).OrderBy(g => g.Key)
                .Select(g => g.Key + ":" + g.Count()).ToListAsync(Ct)),
            string.Join(";", await db.Set<ModerationCase>().GroupBy(c => c.Decision).OrderBy(g => g.Key).Select(g => g.Key + ":" + g.Count()).ToListAsync(Ct))));
        return rows + "\n" + await ws.Owner.Api.GetStringAsync("/api/responses/summary", Ct);
    }

    [Fact]
    public async Task RunOnce_OldWordsCleared_RecentKept_FiguresUnchanged()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("保留期群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var old = now.AddDays(-40);
        var recent = now.AddDays(-2);
        foreach (var (id, user, at, text, staff) in new[]
        {
            ("o1", "u1", old, "老消息一 @用户u2", false), ("o2", "u2", old.AddMinutes(1), "请问这个怎么退货？", false),
            ("o3", "s1", old.AddMinutes(3), "可以在订单页申请", true), ("o4", "u3", old.AddMinutes(5), "谢谢大家", false),
            ("r1", "u1", recent, "新消息一", false), ("r2", "u2", recent.AddMinutes(1), "请问什么时候发货？", false),
        })
            (await ws.Owner.Api.PostJsonAsync("/api/events", Message(c, id, user, at, text, staff))).EnsureSuccessStatusCode();
        await CaughtUpAsync(factory.Services);
        var seqs = await WithDbAsync(factory.Services, ws.Id, async db =>
        {
            var events = await db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id && e.Kind == EventKind.MessagePosted).ToListAsync(Ct);
            var o1 = events.Single(e => e.PlatformEventId == "o1");
            var r1 = events.Single(e => e.PlatformEventId == "r1");
            await db.Set<CommunityEvent>().Where(e => e.Seq == o1.Seq || e.Seq == r1.Seq)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.MediaId, "photo-1").SetProperty(e => e.ForwardedFrom, "转发人"), Ct);
            foreach (var e in new[] { o1, r1 })
            {
                db.Add(new ModerationCase
                {
                    WorkspaceId = ws.Id, CommunityId = c, EventSeq = e.Seq, Platform = e.Platform, UserId = e.UserId, MessageId = e.MessageId,
                    Text = e.Text, Rule = "ads", Decision = CaseDecision.Review, OccurredAt = e.OccurredAt, CreatedAt = e.OccurredAt,
                });
                db.Add(new LabelledMessage { WorkspaceId = ws.Id, IsSpam = true, Text = e.Text!, CreatedAt = e.OccurredAt });
                db.Add(new Shequn.Connectors.Telegram.TelegramRawUpdate { WorkspaceId = ws.Id, BotUserId = 1, UpdateId = e.Seq, Reason = "test", Json = "{\"text\":\"" + e.Text + "\"}", ReceivedAt = e.OccurredAt });
            }
            // Tickets and tasks: closed long ago (words go), closed lately and still open though old (words stay).
            var staffId = ws.Owner.Id;
            foreach (var (key, created, closed) in new[] { ("old-closed", old, (DateTimeOffset?)old.AddDays(1)), ("old-open", old, null), ("late-closed", old, recent) })
            {
                db.Add(new FeedbackTicket
                {
                    WorkspaceId = ws.Id, CommunityId = c, Kind = FeedbackKind.Complaint, Source = FeedbackSource.Staff, Text = "工单原话 " + key,
                    Department = "售后", Status = closed is null ? FeedbackStatus.New : FeedbackStatus.Resolved, CreatedAt = created.UtcDateTime,
                    UpdatedAt = (closed ?? created).UtcDateTime, ClosedAt = closed?.UtcDateTime,
                });
                var action = OutboundAction.Create(ws.Id, c, ActionKind.DeleteMessage, new ActionPayload(MessageId: key), "retention:" + key);
                db.Add(action);
                db.Add(new StaffTask
                {
                    WorkspaceId = ws.Id, CommunityId = c, ActionId = action.Id, Kind = ActionKind.DeleteMessage, Text = "删除这条消息",
                    Context = "任务引用 " + key, AssignedStaffId = staffId, CreatedAt = created.UtcDateTime, DueAt = created.UtcDateTime.AddHours(4),
                    Status = closed is null ? StaffTaskStatus.Open : StaffTaskStatus.Done, ClosedById = closed is null ? null : staffId, ClosedAt = closed?.UtcDateTime,
                });
            }
            await db.SaveChangesWithoutAuditAsync(Ct);
            return (Old: o1.Seq, Recent: r1.Seq);
        });
        Assert.Equal(2, await WithDbAsync(factory.Services, ws.Id, db => db.Set<MemberQuestion>().CountAsync(Ct)));
        var put = await ws.Owner.Api.PutJsonAsync("/api/workspace", new { keepMessageTextDays = 30 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(30, JsonDocument.Parse(await put.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("keepMessageTextDays").GetInt32());
        var before = await FiguresAsync(ws);

        var pass = await factory.Services.GetRequiredService<MessageRetention>().RunOnceAsync(Ct);

        Assert.Equal(4, pass.Events);
        Assert.Equal(1, pass.Cases);
        Assert.Equal(1, pass.Questions);
        Assert.Equal(1, pass.Labels);
        Assert.Equal(1, pass.RawUpdates);
        Assert.Equal((1, 1), (pass.Tickets, pass.Tasks));
        await WithDbAsync(factory.Services, ws.Id, async db =>
        {
            var events = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws.Id && e.Kind == EventKind.MessagePosted).ToListAsync(Ct);
            Assert.All(events.Where(e => e.PlatformEventId.StartsWith('o')), e => Assert.Equal((null, null, null), (e.Text, e.MediaId, e.ForwardedFrom)));
            var r1 = events.Single(e => e.Seq == seqs.Recent);
            Assert.Equal(("新消息一", "photo-1", "转发人"), (r1.Text, r1.MediaId, r1.ForwardedFrom));
            Assert.Equal("请问什么时候发货？", events.Single(e => e.PlatformEventId == "r2").Text);
            var cases = await db.Set<ModerationCase>().AsNoTracking().ToDictionaryAsync(x => x.EventSeq, x => x.Text, Ct);
            Assert.Null(cases[seqs.Old]);
            Assert.Equal("新消息一", cases[seqs.Recent]);
            var questions = await db.Set<MemberQuestion>().AsNoTracking().OrderBy(q => q.AskedAt).Select(q => q.Text).ToListAsync(Ct);
            Assert.Equal(["", "请问什么时候发货？"], questions);
            Assert.Equal(["新消息一"], await db.Set<LabelledMessage>().Select(l => l.Text).ToListAsync(Ct));
            Assert.Single(await db.Set<Shequn.Connectors.Telegram.TelegramRawUpdate>().ToListAsync(Ct));
            Assert.Equal(["", "工单原话 late-closed", "工单原话 old-open"],
                (await db.Set<FeedbackTicket>().Select(t => t.Text).ToListAsync(Ct)).Order(StringComparer.Ordinal));
            Assert.Equal([null, "任务引用 late-closed", "任务引用 old-open"],
                (await db.Set<StaffTask>().Select(t => t.Context).ToListAsync(Ct)).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(await db.Set<InteractionMessage>().Select(m => m.At).ToListAsync(Ct), at => at < now.UtcDateTime.AddDays(-30));
            return 0;
        });
        Assert.Equal(before, await FiguresAsync(ws));
        // A second pass finds nothing left to do.
        Assert.Equal(0, (await factory.Services.GetRequiredService<MessageRetention>().RunOnceAsync(Ct)).Total);
    }

    [Fact]
    public async Task RunOnce_NoLimit_KeepsEverything()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("不限期群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        (await ws.Owner.Api.PostJsonAsync("/api/events", Message(c, "k1", "u1", DateTimeOffset.UtcNow.AddDays(-400), "一年前的话"))).EnsureSuccessStatusCode();
        await CaughtUpAsync(factory.Services);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { keepMessageTextDays = 0 })).StatusCode);

        await factory.Services.GetRequiredService<MessageRetention>().RunOnceAsync(Ct);

        Assert.Equal("一年前的话", await WithDbAsync(factory.Services, ws.Id, db =>
            db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id && e.PlatformEventId == "k1").Select(e => e.Text).SingleAsync(Ct)));
        using var body = JsonDocument.Parse(await ws.Owner.Api.GetStringAsync("/api/workspace", Ct));
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("keepMessageTextDays").ValueKind);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(Workspace.KeepMessageTextMaxDays + 1)]
    public async Task Put_KeepDaysOutOfRange_ValidationProblemNamingTheField(int days)
    {
        var ws = await factory.NewWorkspaceAsync();

        var response = await ws.Owner.Api.PutJsonAsync("/api/workspace", new { keepMessageTextDays = days });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.True(body.RootElement.GetProperty("errors").TryGetProperty("keepMessageTextDays", out _));
    }

    [Fact]
    public async Task Put_KeepDaysByAnAdmin_Forbidden()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.PutJsonAsync("/api/workspace", new { keepMessageTextDays = 30 })).StatusCode);
    }
}

public sealed class MessageRetentionSqliteTests(SqliteFactory factory) : MessageRetentionTests(factory), IClassFixture<SqliteFactory>;

public sealed class MessageRetentionPostgresTests(PostgresFactory factory) : MessageRetentionTests(factory), IClassFixture<PostgresFactory>;
