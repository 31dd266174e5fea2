using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Responses;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Responses;

/// <summary>
/// Response tracking end to end: members speak in Sandbox groups (the chat helpers, or scripted events at set times
/// through the same ingestor), the processor's reaction records questions and their first answers, and the API
/// serves the queue, the figures and dismissal with the viewer's scope.
/// </summary>
public abstract class ResponseTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Guid> CommunityAsync(TestWorkspace ws, string name) =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>()).Id;

    private async Task CaughtUpAsync() => await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await read(db);
    }

    /// <summary>Runs <paramref name="act"/> with the Sandbox chat acting in the workspace.</summary>
    private async Task ChatAsync(Guid ws, Func<SandboxChat, Task> act)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws);
        await act(scope.ServiceProvider.GetRequiredService<SandboxChat>());
    }

    /// <summary>A scripted Sandbox message at a set time (what the chat page posts, with the time and reply chosen); returns its message id.</summary>
    private async Task<string> PostAtAsync(Guid ws, Guid community, string userId, string name, string text, DateTime at, bool fromStaff = false, string? replyTo = null)
    {
        var e = SandboxChat.New(ws, community, EventKind.MessagePosted, userId, name);
        e.OccurredAt = at;
        e.Text = text;
        e.MessageKind = MessageKind.Text;
        e.MessageId = e.PlatformEventId;
        e.FromStaff = fromStaff;
        e.ReplyToMessageId = replyTo;
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([e], Ct);
        return e.MessageId;
    }

    private static async Task<Page<WaitingQuestionDto>> WaitingAsync(TestStaff staff, Guid? community = null) =>
        await staff.Api.GetJsonAsync<Page<WaitingQuestionDto>>("/api/responses/unanswered" + (community is { } c ? $"?communityId={c}" : ""));

    [Fact]
    public async Task MemberQuestion_Waits_ThenAStaffMessageAnswersIt_WithTheTimeToFirstAnswer()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "售后群");
        string member = "";
        await ChatAsync(ws.Id, async chat =>
        {
            member = await chat.JoinAsync(community, "上海-外贸-小周", null, Ct);
            await chat.PostAsync(community, member, "上海-外贸-小周", "大家好", fromStaff: false, Ct);
            await chat.PostAsync(community, member, "上海-外贸-小周", "请问什么时候发货？", fromStaff: false, Ct);
            await chat.PostAsync(community, member, "上海-外贸-小周", "[捂脸]", fromStaff: false, Ct);
        });
        await CaughtUpAsync();

        var waiting = Assert.Single((await WaitingAsync(ws.Owner)).Items);
        Assert.Equal("请问什么时候发货？", waiting.Text);
        Assert.Equal(community, waiting.CommunityId);
        Assert.Equal(member, waiting.UserId);
        Assert.True(waiting.AgeSeconds >= 0);
        // The greeting and the sticker were never questions.
        Assert.Equal(1, await DbAsync(ws.Id, db => db.Set<MemberQuestion>().CountAsync(q => q.WorkspaceId == ws.Id, Ct)));

        await ChatAsync(ws.Id, chat => chat.PostAsync(community, "staff-wang", "客服小王", "今天下午统一发出，请耐心等待", fromStaff: true, Ct));
        await CaughtUpAsync();

        Assert.Empty((await WaitingAsync(ws.Owner)).Items);
        var answered = await ws.Owner.Api.GetJsonAsync<MemberQuestionDto>($"/api/responses/{waiting.Id}");
        Assert.Equal(AnswererKind.Staff, answered.AnsweredByKind);
        Assert.Equal("staff-wang", answered.AnsweredByUserId);
        Assert.Equal("客服小王", answered.AnsweredByName);
        Assert.False(answered.AnsweredByReply);
        var (asked, reply) = await DbAsync(ws.Id, async db =>
        {
            var log = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws.Id && e.Kind == EventKind.MessagePosted)
                .OrderBy(e => e.Seq).ToListAsync(Ct);
            return (log.Single(e => e.Text == "请问什么时候发货？").OccurredAt, log.Single(e => e.FromStaff).OccurredAt);
        });
        Assert.Equal((int)Math.Round((reply - asked).TotalSeconds), answered.AnswerSeconds);
        Assert.Equal(reply, answered.AnsweredAt!.Value, TimeSpan.FromMilliseconds(1));
    }

    /// <summary>An action Shequn takes on its own (as a reaction's welcome, auto-reply or scheduled post would), sent by the dispatcher.</summary>
    private async Task<Guid> ActOnItsOwnAsync(Guid ws, Guid community, ActionKind kind, string text, string? replyTo = null)
    {
        var id = await DbAsync(ws, async db =>
        {
            var action = OutboundAction.Create(ws, community, kind, new ActionPayload(Text: text, MessageId: replyTo), "test:" + Guid.NewGuid().ToString("N"));
            db.Set<OutboundAction>().Add(action);
            await db.SaveChangesAsync(Ct);
            return action.Id;
        });
        factory.Services.GetRequiredService<OutboxSignal>().Notify();
        return id;
    }

    private static async Task<ActionDto> SettledAsync(TestStaff staff, Guid actionId)
    {
        while (true)
        {
            var a = await staff.Api.GetJsonAsync<ActionDto>($"/api/actions/{actionId}");
            if (a.Status is not (ActionStatus.Queued or ActionStatus.Sending))
                return a;
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public async Task ShequnsOwnMessages_AnswerOnlyWhatTheyReplyTo_AndASendThroughShequnIsTheStaffMembers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "答疑群");
        await PostAtAsync(ws.Id, community, "amy", "Amy", "请问什么时候发货？", DateTime.UtcNow);
        await CaughtUpAsync();

        // Shequn speaking on its own (a welcome, a scheduled post) answers nobody.
        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner, await ActOnItsOwnAsync(ws.Id, community, ActionKind.Send, "欢迎新朋友！"))).Status);
        await CaughtUpAsync();
        Assert.Single((await WaitingAsync(ws.Owner)).Items);

        // Its reply to a question (an auto-reply) answers that question, as the bot's.
        var asked = await PostAtAsync(ws.Id, community, "bob", "Bob", "这个多少钱？", DateTime.UtcNow);
        await CaughtUpAsync();
        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner, await ActOnItsOwnAsync(ws.Id, community, ActionKind.Reply, "99 元", asked))).Status);
        await CaughtUpAsync();
        var waiting = Assert.Single((await WaitingAsync(ws.Owner)).Items);
        Assert.Equal("amy", waiting.UserId);
        var bob = await DbAsync(ws.Id, db => db.Set<MemberQuestion>().AsNoTracking().SingleAsync(q => q.WorkspaceId == ws.Id && q.UserId == "bob", Ct));
        Assert.Equal((AnswererKind.Bot, true), (bob.AnsweredByKind, bob.AnsweredByReply));

        // A staff member sending through Shequn answers the waiting question, and the answer is theirs.
        var sent = await (await ws.Owner.Api.PostJsonAsync($"/api/communities/{community}/actions", new { kind = "send", text = "今天下午统一发货" })).ReadAsync<ActionDto>();
        Assert.Equal(ActionStatus.Done, (await SettledAsync(ws.Owner, sent.Id)).Status);
        await CaughtUpAsync();
        Assert.Empty((await WaitingAsync(ws.Owner)).Items);
        var answered = await ws.Owner.Api.GetJsonAsync<MemberQuestionDto>($"/api/responses/{waiting.Id}");
        var owner = await DbAsync(ws.Id, db => db.Users.AsNoTracking().SingleAsync(u => u.Id == ws.Owner.Id, Ct));
        Assert.Equal((AnswererKind.Staff, ResponseTracker.StaffAnswerer(ws.Owner.Id), owner.DisplayName),
            (answered.AnsweredByKind, answered.AnsweredByUserId, answered.AnsweredByName));
        // The log says which action each of Shequn's messages came from.
        Assert.Equal(3, await DbAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id && e.ActionId != null, Ct)));
    }

    [Fact]
    public async Task TheQueue_ShowsTheLastThreeDays_OlderQuestionsStayInTheFigures()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "历史群");
        var now = DateTime.UtcNow;
        await PostAtAsync(ws.Id, community, "u-old", "老会员", "上周的活动还有吗？", now.AddDays(-4));
        await PostAtAsync(ws.Id, community, "u-new", "新会员", "今天几点开播？", now.AddHours(-2));
        await CaughtUpAsync();

        Assert.Equal(["今天几点开播？"], (await WaitingAsync(ws.Owner)).Items.Select(q => q.Text));
        Assert.Equal(2, await DbAsync(ws.Id, db => db.Set<MemberQuestion>().CountAsync(q => q.WorkspaceId == ws.Id && q.AnsweredAt == null, Ct)));
    }

    [Fact]
    public async Task StaffMessageOutsideTheWindow_AnswersNothing_ButAReplyDoes()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "咨询群");
        var t0 = DateTime.UtcNow.AddHours(-2);
        var question = await PostAtAsync(ws.Id, community, "m-1", "小李", "这个适合敏感肌吗", t0);
        await PostAtAsync(ws.Id, community, "staff-1", "客服", "大家晚上好", t0.AddMinutes(11), fromStaff: true);
        await CaughtUpAsync();
        Assert.Single((await WaitingAsync(ws.Owner)).Items);

        await PostAtAsync(ws.Id, community, "staff-1", "客服", "适合的，成分很温和", t0.AddMinutes(30), fromStaff: true, replyTo: question);
        await CaughtUpAsync();
        Assert.Empty((await WaitingAsync(ws.Owner)).Items);
        var row = await DbAsync(ws.Id, db => db.Set<MemberQuestion>().AsNoTracking().SingleAsync(q => q.WorkspaceId == ws.Id, Ct));
        Assert.True(row.AnsweredByReply);
        Assert.Equal(30 * 60, row.AnswerSeconds);
    }

    [Fact]
    public async Task AnAnswer_ReachesPastAPageOfTheAnswerersOwnQuestions_ToTheOldestWaitingOneOfSomeoneElse()
    {
        // The tracker reads earlier waiting questions a page at a time (an answer's page is 18 questions): here the 30
        // oldest are the answerer's own, so it must read on, and still take the oldest one of someone else.
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "咨询群");
        var t = DateTime.UtcNow.AddHours(-1);
        await PostAtAsync(ws.Id, community, "koc-1", "老会员阿May", "我来啦", t.AddMinutes(-30));
        await CaughtUpAsync();
        await DbAsync(ws.Id, async db =>
        {
            var id = await db.Set<MemberIdentity>().Where(i => i.WorkspaceId == ws.Id && i.UserId == "koc-1").Select(i => i.MemberId).SingleAsync(Ct);
            return await db.Members.Where(m => m.Id == id).ExecuteUpdateAsync(s => s.SetProperty(m => m.Layer, MemberLayer.Koc), Ct);
        });
        for (var i = 0; i < 30; i++)
            await PostAtAsync(ws.Id, community, "koc-1", "老会员阿May", $"第{i}款有货吗？", t.AddSeconds(i));
        await PostAtAsync(ws.Id, community, "m-2", "小二", "怎么开发票？", t.AddSeconds(40));
        await PostAtAsync(ws.Id, community, "m-1", "小一", "多少钱一盒？", t.AddSeconds(35));
        await CaughtUpAsync();

        await PostAtAsync(ws.Id, community, "koc-1", "老会员阿May", "99 元一盒", t.AddSeconds(60));
        await CaughtUpAsync();
        var answered = await DbAsync(ws.Id, db => db.Set<MemberQuestion>().AsNoTracking()
            .Where(q => q.WorkspaceId == ws.Id && q.AnsweredAt != null).ToListAsync(Ct));
        var one = Assert.Single(answered);
        Assert.Equal(("m-1", 25, AnswererKind.Koc), (one.UserId, one.AnswerSeconds, one.AnsweredByKind));
        Assert.Equal(31, (await WaitingAsync(ws.Owner)).Total);
    }

    [Fact]
    public async Task Summary_ForAScriptedDay_HasTheRightRateAndTimes_AndAKocAnswerCounts()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "A 群");
        var b = await CommunityAsync(ws, "B 群");
        var zone = WorkspaceZones.Find(Workspace.DefaultTimeZone)!;
        var day = DailyFigures.DayOf(DateTime.UtcNow, zone).AddDays(-2);
        var t = DailyFigures.StartOf(day, zone).AddHours(10);

        // A KOC: a member whose layer staff set to KOC.
        await PostAtAsync(ws.Id, a, "koc-1", "老会员阿May", "我来啦", t.AddHours(-1));
        await CaughtUpAsync();
        await DbAsync(ws.Id, async db =>
        {
            var id = await db.Set<MemberIdentity>().Where(i => i.WorkspaceId == ws.Id && i.UserId == "koc-1").Select(i => i.MemberId).SingleAsync(Ct);
            return await db.Members.Where(m => m.Id == id).ExecuteUpdateAsync(s => s.SetProperty(m => m.Layer, MemberLayer.Koc), Ct);
        });

        // The day before: a question that must not count in the day's figures (still waiting).
        await PostAtAsync(ws.Id, a, "m-0", "昨天的人", "有没有小样", DailyFigures.StartOf(day, zone).AddMinutes(-1));
        var q1 = await PostAtAsync(ws.Id, a, "m-1", "小一", "多少钱一盒", t);
        await PostAtAsync(ws.Id, a, "m-9", "路人", "谢谢群主", t.AddSeconds(30));
        await PostAtAsync(ws.Id, a, "staff-1", "客服一号", "99 元一盒", t.AddSeconds(60), fromStaff: true);            // q1: 60 s
        await PostAtAsync(ws.Id, b, "m-5", "小五", "能寄到香港吗", t.AddMinutes(5));
        await PostAtAsync(ws.Id, b, "m-6", "小六", "包邮吗", t.AddMinutes(6));
        await PostAtAsync(ws.Id, b, "staff-1", "客服一号", "可以寄", t.AddMinutes(6).AddSeconds(30), fromStaff: true);  // q5 (oldest): 90 s
        await PostAtAsync(ws.Id, b, "staff-1", "客服一号", "满百包邮", t.AddMinutes(7), fromStaff: true);                // q6: 60 s
        var q2 = await PostAtAsync(ws.Id, a, "m-2", "小二", "怎么开发票", t.AddMinutes(10));
        await PostAtAsync(ws.Id, a, "staff-2", "客服二号", "在订单页申请", t.AddMinutes(10).AddSeconds(400), fromStaff: true, replyTo: q2); // 400 s
        await PostAtAsync(ws.Id, a, "m-3", "小三", "孕妇可以用吗？", t.AddMinutes(20));
        await PostAtAsync(ws.Id, a, "koc-1", "老会员阿May", "可以的，我怀孕时一直在用", t.AddMinutes(22));             // q3: 120 s by the KOC
        await PostAtAsync(ws.Id, a, "m-4", "小四", "什么时候补货", t.AddMinutes(30));
        await PostAtAsync(ws.Id, a, "staff-2", "客服二号", "大家晚上好", t.AddMinutes(41), fromStaff: true);             // outside q4's window
        await CaughtUpAsync();

        var dayText = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var s = await ws.Owner.Api.GetJsonAsync<ResponseSummaryDto>($"/api/responses/summary?from={dayText}&to={dayText}");
        Assert.Equal(300, s.TargetSeconds);
        Assert.Equal(new ResponseFiguresDto(6, 5, 4, 0.6667, 90, 400), s.Overall);
        Assert.Equal(new ResponseFiguresDto(4, 3, 2, 0.5, 120, 400), Assert.Single(s.Communities, c => c.CommunityId == a).Figures);
        Assert.Equal(new ResponseFiguresDto(2, 2, 2, 1.0, 60, 90), Assert.Single(s.Communities, c => c.CommunityId == b).Figures);

        var one = Assert.Single(s.Answerers, x => x.UserId == "staff-1");
        Assert.Equal((AnswererKind.Staff, 3, 3, 60, 90), (one.Kind, one.Answered, one.AnsweredWithinTarget, one.MedianSeconds, one.P90Seconds));
        var two = Assert.Single(s.Answerers, x => x.UserId == "staff-2");
        Assert.Equal((1, 0, 400), (two.Answered, two.AnsweredWithinTarget, two.MedianSeconds));
        var koc = Assert.Single(s.Answerers, x => x.Kind == AnswererKind.Koc);
        Assert.Equal(("koc-1", 1, 120), (koc.UserId, koc.Answered, koc.MedianSeconds));
        Assert.NotNull(koc.MemberId);
        Assert.Equal(3, s.Answerers.Count);

        // One community only.
        var onlyB = await ws.Owner.Api.GetJsonAsync<ResponseSummaryDto>($"/api/responses/summary?from={dayText}&to={dayText}&communityId={b}");
        Assert.Equal(2, onlyB.Overall.Questions);
        // Waiting: the day before's question and q4, oldest first.
        Assert.Equal(["有没有小样", "什么时候补货"], (await WaitingAsync(ws.Owner)).Items.Select(i => i.Text));
        Assert.NotNull(q1);

        // Bad input names the field.
        var bad = await ws.Owner.Api.GetAsync($"/api/responses/summary?from={dayText}&to=yesterday", Ct);
        Assert.Contains("to", (await bad.ReadValidationErrorsAsync()).Keys);
        var backwards = await ws.Owner.Api.GetAsync($"/api/responses/summary?from={dayText}&to={day.AddDays(-1):yyyy-MM-dd}", Ct);
        Assert.Contains("to", (await backwards.ReadValidationErrorsAsync()).Keys);
    }

    [Fact]
    public async Task Dismiss_TakesAQuestionOut_AndIsRefusedWhereTheViewerCannot()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CommunityAsync(ws, "甲群");
        var b = await CommunityAsync(ws, "乙群");
        var operatorOfB = await ws.AddStaffAsync(StaffRole.Operator, "乙群运营", b);
        var kocOfA = await ws.AddStaffAsync(StaffRole.Koc, "甲群KOC", a);
        var t = DateTime.UtcNow.AddMinutes(-30);
        await PostAtAsync(ws.Id, a, "m-1", "小甲", "这是什么意思？", t);
        await PostAtAsync(ws.Id, b, "m-2", "小乙", "有没有优惠券", t.AddMinutes(1));
        await CaughtUpAsync();

        var inA = Assert.Single((await WaitingAsync(ws.Owner, a)).Items);
        // Each sees the queue of their own communities only.
        Assert.Equal(["有没有优惠券"], (await WaitingAsync(operatorOfB)).Items.Select(i => i.Text));
        Assert.Equal(["这是什么意思？"], (await WaitingAsync(kocOfA)).Items.Select(i => i.Text));

        // Not her community: not found. A KOC may see but not dismiss; nor read the figures.
        Assert.Equal(HttpStatusCode.NotFound, (await operatorOfB.Api.PostAsync($"/api/responses/{inA.Id}/dismiss", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorOfB.Api.GetAsync($"/api/responses/{inA.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await kocOfA.Api.PostAsync($"/api/responses/{inA.Id}/dismiss", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await kocOfA.Api.GetAsync("/api/responses/summary", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorOfB.Api.GetAsync($"/api/responses/summary?communityId={a}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.PostAsync($"/api/responses/{Guid.NewGuid()}/dismiss", null, Ct)).StatusCode);

        var dismissed = await (await ws.Owner.Api.PostAsync($"/api/responses/{inA.Id}/dismiss", null, Ct)).ReadAsync<MemberQuestionDto>();
        Assert.NotNull(dismissed.DismissedAt);
        Assert.Equal(ws.Owner.Id, dismissed.DismissedById);
        Assert.Empty((await WaitingAsync(ws.Owner, a)).Items);
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<ResponseSummaryDto>("/api/responses/summary")).Overall.Questions);
        // A staff message later answers nothing: the dismissed line is out.
        await PostAtAsync(ws.Id, a, "staff-1", "客服", "在的", t.AddMinutes(2), fromStaff: true);
        await CaughtUpAsync();
        Assert.Null((await ws.Owner.Api.GetJsonAsync<MemberQuestionDto>($"/api/responses/{inA.Id}")).AnsweredAt);
        // Dismissing is audited.
        Assert.True(await DbAsync(ws.Id, db => db.AuditEntries.AnyAsync(e => e.EntityId == inA.Id.ToString(), Ct)));
    }

    [Fact]
    public async Task AQuestion_IsRecordedOnce_PerMessageEvent()
    {
        // The processor's transaction holds the questions: a second pass over the same log (another process, a
        // restart) finds the checkpoint moved and writes nothing, and the database refuses a second row for one event.
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "重放群");
        await PostAtAsync(ws.Id, community, "m-1", "小丙", "能不能便宜点", DateTime.UtcNow.AddMinutes(-5));
        await CaughtUpAsync();
        Assert.Equal(0, await factory.Services.GetRequiredService<EventProcessor>().ProcessBatchAsync(100, oneByOne: false, Ct));
        var row = await DbAsync(ws.Id, db => db.Set<MemberQuestion>().AsNoTracking().SingleAsync(q => q.WorkspaceId == ws.Id, Ct));
        await Assert.ThrowsAsync<DbUpdateException>(() => DbAsync(ws.Id, db =>
        {
            db.Set<MemberQuestion>().Add(new MemberQuestion
            {
                WorkspaceId = ws.Id, CommunityId = community, MemberId = row.MemberId, UserId = "m-1", EventSeq = row.EventSeq, Text = "again", AskedAt = row.AskedAt,
            });
            return db.SaveChangesWithoutAuditAsync(Ct);
        }));
    }
}

public sealed class ResponseSqliteTests(SqliteFactory factory) : ResponseTests(factory), IClassFixture<SqliteFactory>;

public sealed class ResponsePostgresTests(PostgresFactory factory) : ResponseTests(factory), IClassFixture<PostgresFactory>;
