using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using nietras.SeparatedValues;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Review;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Events;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Review;

/// <summary>The review queue, verdicts, the log and its export, undo through Manual, reports and the blacklist, over HTTP on a real database.</summary>
public abstract class ReviewApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ModerationCase> AddAsync(TestWorkspace ws, ModerationCase c) => CaseSeed.AddAsync(factory, ws, c);

    [Fact]
    public async Task Queue_MostUncertainFirst_OnlyUnmarkedReviewCases_WithFalsePositivesAndNegatives()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "群A");
        var low = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.6));
        var middle = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.7));
        var high = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.88));
        var marked = CaseSeed.Case(ws, community, CaseDecision.Review, 0.71);
        marked.Verdict = CaseVerdict.Spam;
        await AddAsync(ws, marked);
        var undone = CaseSeed.Case(ws, community, CaseDecision.Act, 0.95, action: LadderAction.Delete);
        undone.UndoneAt = DateTime.UtcNow;
        await AddAsync(ws, undone);
        await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Act, 0.97, action: LadderAction.Delete));
        await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Reported, 0.1, rule: ModerationReview.ReportedRule));

        var queue = await ws.Owner.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue");

        // Default thresholds 0.5 and 0.9: the middle is 0.7.
        Assert.Equal(0.7, queue.Middle, 6);
        Assert.Equal([middle.Id, low.Id, high.Id], queue.Items.Select(i => i.Id));
        Assert.Equal((1, 1), (queue.FalsePositives, queue.FalseNegatives));
        var first = queue.Items[0];
        Assert.Equal(("群A", "加微信领红包"), (first.CommunityName, first.Text));
        var evidence = Assert.Single(first.Evidence);
        Assert.Equal(("Pattern", "加微信", 0, 3), (evidence.Source, evidence.Term, evidence.Start, evidence.Length));
    }

    [Fact]
    public async Task Queue_StaffSeeOnlyTheirCommunities_KocsNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CaseSeed.CommunityAsync(ws, "我的群");
        var other = await CaseSeed.CommunityAsync(ws, "别人的群");
        var seen = await AddAsync(ws, CaseSeed.Case(ws, mine, CaseDecision.Review, 0.7));
        var hidden = await AddAsync(ws, CaseSeed.Case(ws, other, CaseDecision.Review, 0.7));
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "达人", mine);

        var queue = await op.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue");
        var log = await op.Api.GetJsonAsync<Page<CaseDto>>("/api/moderation/cases");

        Assert.Equal([seen.Id], queue.Items.Select(i => i.Id));
        Assert.Equal([seen.Id], log.Items.Select(i => i.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.PostJsonAsync($"/api/moderation/cases/{hidden.Id}/verdict", new { verdict = "spam" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/moderation/cases/{hidden.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/moderation/queue", Ct)).StatusCode);
        Assert.Equal(2, (await ws.Owner.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue")).Total);
    }

    [Fact]
    public async Task Verdict_BecomesOneLabel_SpamOnReviewDeletesTheMessage_AndLeavesTheQueue()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "群");
        var c = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.7, text: "私聊我有优惠"));

        var notSpam = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{c.Id}/verdict", new { verdict = "notSpam" })).ReadAsync<VerdictResultDto>();
        Assert.Equal(new LabelCounts(1, 0), await ws.Owner.Api.GetJsonAsync<LabelCounts>("/api/moderation/labels"));
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue")).Items);
        var spam = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{c.Id}/verdict", new { verdict = "spam" })).ReadAsync<VerdictResultDto>();

        Assert.Equal((1, 0, 1), (notSpam.Marked, notSpam.Deletions, notSpam.Labels));
        Assert.Equal((1, 1, 1), (spam.Marked, spam.Deletions, spam.Labels));
        Assert.Equal(new LabelCounts(1, 1), await ws.Owner.Api.GetJsonAsync<LabelCounts>("/api/moderation/labels"));
        var label = Assert.Single(await CaseSeed.RowsAsync<LabelledMessage>(factory, ws));
        Assert.Equal((c.Id, "私聊我有优惠", true), (label.Id, label.Text, label.IsSpam));
        var delete = Assert.Single(await CaseSeed.RowsAsync<OutboundAction>(factory, ws));
        Assert.Equal((ActionKind.DeleteMessage, c.MessageId, ws.Owner.Id), (delete.Kind, ActionPayload.FromJson(delete.Payload).MessageId, delete.CausedByStaffId));
        var logged = await ws.Owner.Api.GetJsonAsync<CaseDto>($"/api/moderation/cases/{c.Id}");
        Assert.Equal((CaseVerdict.Spam, ws.Owner.Id), (logged.Verdict, logged.ReviewedById));
        Assert.Contains(logged.Actions, a => a.Kind == ActionKind.DeleteMessage && a.Undo);
        var audit = await CaseSeed.QueryAsync(factory, ws, db => db.AuditEntries.Where(a => a.EntityType == nameof(ModerationCase)).ToListAsync(Ct));
        Assert.Equal(2, audit.Count);
    }

    [Fact]
    public async Task Verdict_BadInput_IsAProblemNamingTheField_AndNothingIsMarked()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "群");
        var c = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.7));

        var badVerdict = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{c.Id}/verdict", new { verdict = "maybe" })).ReadValidationErrorsAsync();
        var unknownId = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/verdicts", new { ids = new[] { c.Id, Guid.NewGuid() }, verdict = "spam" })).ReadValidationErrorsAsync();
        var none = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/verdicts", new { ids = Array.Empty<Guid>(), verdict = "spam" })).ReadValidationErrorsAsync();

        Assert.Contains("verdict", badVerdict.Keys);
        Assert.Contains("ids", unknownId.Keys);
        Assert.Contains("ids", none.Keys);
        Assert.Empty(await CaseSeed.RowsAsync<LabelledMessage>(factory, ws));
        Assert.Equal(CaseVerdict.None, (await ws.Owner.Api.GetJsonAsync<CaseDto>($"/api/moderation/cases/{c.Id}")).Verdict);
    }

    [Fact]
    public async Task BulkVerdicts_EnoughNewLabels_RetrainTheModelInTheBackground()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "群");
        var spam = new List<Guid>();
        var ham = new List<Guid>();
        for (var i = 0; i < 13; i++)
        {
            spam.Add((await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.6, text: $"加微信 wx{i}88 领取兼职日结{i}"))).Id);
            ham.Add((await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.6, text: $"请问第{i}期活动几点开始？"))).Id);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync("/api/moderation/model", Ct)).StatusCode);

        var first = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/verdicts", new { ids = spam, verdict = "spam" })).ReadAsync<VerdictResultDto>();
        var second = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/verdicts", new { ids = ham, verdict = "notSpam" })).ReadAsync<VerdictResultDto>();

        Assert.Equal((13, false), (first.Labels, first.RetrainingStarted));
        Assert.Equal((26, true), (second.Labels, second.RetrainingStarted));
        HttpResponseMessage model;
        var waited = 0;
        while ((model = await ws.Owner.Api.GetAsync("/api/moderation/model", Ct)).StatusCode == HttpStatusCode.NotFound && waited++ < 300)
            await Task.Delay(100, Ct);
        var trained = await model.ReadAsync<ModelDto>();
        Assert.Equal((26, 13), (trained.TrainingExamples, trained.SpamExamples));
        Assert.True(trained.TrainedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
        // Stored for other nodes and restarts right after the swap.
        StoredSpamModel? stored;
        waited = 0;
        while ((stored = await CaseSeed.QueryAsync(factory, ws, db => db.Set<StoredSpamModel>().SingleOrDefaultAsync(Ct))) is null && waited++ < 100)
            await Task.Delay(100, Ct);
        Assert.Equal(26, stored?.TrainingExamples);
    }

    [Fact]
    public async Task Undo_ManualGroup_RestoresThroughStaffTasks_TakesOffTheBlacklist_AndLabelsNotSpam()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "老客户群", "manual");
        var c = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Act, 0.95, text: "团购群 加我", action: LadderAction.Blacklist, userId: "wxid_ok", platform: ChatPlatform.Manual));
        await CaseSeed.AddAsync(factory, ws, new BlacklistEntry { WorkspaceId = ws.Id, Platform = ChatPlatform.Manual, UserId = "wxid_ok", CaseId = c.Id });

        var missingNote = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{c.Id}/undo", new { note = " " })).ReadValidationErrorsAsync();
        var undone = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{c.Id}/undo", new { note = "老客户，误判" })).ReadAsync<CaseDto>();
        var again = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{c.Id}/undo", new { note = "再来" })).ReadValidationErrorsAsync();

        Assert.Contains("note", missingNote.Keys);
        Assert.Contains("id", again.Keys);
        Assert.Equal((CaseVerdict.NotSpam, ws.Owner.Id, "老客户，误判"), (undone.Verdict, undone.UndoneById, undone.UndoNote));
        Assert.NotNull(undone.UndoneAt);
        Assert.Equal([ActionKind.Unban, ActionKind.CreateInviteLink], undone.Actions.Where(a => a.Undo).Select(a => a.Kind).Order());
        Assert.Empty(await CaseSeed.RowsAsync<BlacklistEntry>(factory, ws));
        var label = Assert.Single(await CaseSeed.RowsAsync<LabelledMessage>(factory, ws));
        Assert.False(label.IsSpam);
        // The dispatcher turns what Manual cannot do into staff tasks.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<TaskDto> tasks;
        while ((tasks = (await ws.Owner.Api.GetJsonAsync<Page<TaskDto>>("/api/tasks?scope=all")).Items.ToList()).Count < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(100, Ct);
        var unban = Assert.Single(tasks, t => t.Kind == ActionKind.Unban);
        Assert.Contains("wxid_ok", unban.Text + unban.Context, StringComparison.Ordinal);
        Assert.Contains(tasks, t => t.Kind == ActionKind.CreateInviteLink);
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue")).FalsePositives);
    }

    [Fact]
    public async Task Undo_OnlyActs()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "群");
        var review = await AddAsync(ws, CaseSeed.Case(ws, community, CaseDecision.Review, 0.7));

        var errors = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{review.Id}/undo", new { note = "x" })).ReadValidationErrorsAsync();

        Assert.Contains("id", errors.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{Guid.NewGuid()}/undo", new { note = "x" })).StatusCode);
    }

    [Fact]
    public async Task Report_MakesAReportedSpamCase_AndASpamLabel_Once()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "群");
        var posted = await ws.Owner.Api.PostJsonAsync("/api/events", EventTestData.Message(community, "ad1", "u9", DateTimeOffset.UtcNow, "低价代购 私聊"));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);

        var created = await ws.Owner.Api.PostJsonAsync("/api/moderation/reports", new { communityId = community, messageId = "m-ad1" });
        var again = await ws.Owner.Api.PostJsonAsync("/api/moderation/reports", new { communityId = community, messageId = "m-ad1" });
        var unknown = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/reports", new { communityId = community, messageId = "nope" })).ReadValidationErrorsAsync();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var report = await created.ReadAsync<CaseDto>();
        Assert.Equal((CaseDecision.Reported, CaseVerdict.Spam, "u9", "低价代购 私聊", ModerationReview.ReportedRule), (report.Decision, report.Verdict, report.UserId, report.Text, report.Rule));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(report.Id, (await again.ReadAsync<CaseDto>()).Id);
        Assert.Contains("messageId", unknown.Keys);
        Assert.Equal(new LabelCounts(1, 1), await ws.Owner.Api.GetJsonAsync<LabelCounts>("/api/moderation/labels"));
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue")).FalseNegatives);
    }

    [Fact]
    public async Task Log_FiltersAndJoinsTheDecisionsActions_ExportHasTheSameRows()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await CaseSeed.CommunityAsync(ws, "群A");
        var b = await CaseSeed.CommunityAsync(ws, "群B");
        var acted = await AddAsync(ws, CaseSeed.Case(ws, a, CaseDecision.Act, 0.96, text: "=加微信 看片", rule: "ads", action: LadderAction.Delete, at: DateTime.UtcNow.AddHours(-1)));
        await AddAsync(ws, CaseSeed.Case(ws, a, CaseDecision.Review, 0.6, rule: "contact"));
        await AddAsync(ws, CaseSeed.Case(ws, b, CaseDecision.Review, 0.6, rule: "ads", at: DateTime.UtcNow.AddDays(-3)));
        var delete = OutboundAction.Create(ws.Id, a, ActionKind.DeleteMessage, new ActionPayload(MessageId: acted.MessageId), "enforce:test");
        (delete.CausedByEventSeq, delete.Status) = (acted.EventSeq, ActionStatus.Done);
        await CaseSeed.AddAsync(factory, ws, delete);

        var byRule = await ws.Owner.Api.GetJsonAsync<Page<CaseDto>>("/api/moderation/cases?rule=ads");
        var byDecision = await ws.Owner.Api.GetJsonAsync<Page<CaseDto>>($"/api/moderation/cases?decision=act&communityId={a}");
        var recent = await ws.Owner.Api.GetJsonAsync<Page<CaseDto>>($"/api/moderation/cases?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("O"))}");
        var bad = await (await ws.Owner.Api.GetAsync("/api/moderation/cases?decision=whatever", Ct)).ReadValidationErrorsAsync();
        var paged = await ws.Owner.Api.GetJsonAsync<Page<CaseDto>>("/api/moderation/cases?pageSize=1&page=2");

        Assert.Equal(2, byRule.Total);
        var row = Assert.Single(byDecision.Items);
        Assert.Equal((acted.Id, LadderAction.Delete), (row.Id, row.Action));
        var outcome = Assert.Single(row.Actions);
        Assert.Equal((ActionKind.DeleteMessage, ActionStatus.Done, false), (outcome.Kind, outcome.Status, outcome.Undo));
        Assert.Equal(2, recent.Total);
        Assert.Contains("decision", bad.Keys);
        Assert.Equal((3, 1), (paged.Total, paged.Items.Count));

        var csv = await ws.Owner.Api.GetAsync($"/api/moderation/cases/export.csv?communityId={a}", Ct);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var bytes = await csv.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        using var reader = Sep.Reader().FromText(Encoding.UTF8.GetString(bytes[3..]));
        var rows = reader.Enumerate(r => (Id: r["id"].ToString(), Rule: r["rule"].ToString(), Evidence: r["evidence"].ToString(), Outcome: r["outcome"].ToString(), Text: r["text"].ToString(), Community: r["community"].ToString())).ToList();
        Assert.Equal(2, rows.Count);
        var first = rows[0].Id == acted.Id.ToString() ? rows[0] : rows[1];
        Assert.Equal(("ads", "contact:加微信", "DeleteMessage=Done", "'=加微信 看片", "群A"), (first.Rule, first.Evidence, first.Outcome, first.Text, first.Community));
    }

    [Fact]
    public async Task Blacklist_UnknownUserAccepted_DuplicatesRefused_OnlyManagersChange_Audited()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator);

        var added = await ws.Owner.Api.PostJsonAsync("/api/moderation/blacklist", new { platform = "telegram", userId = "987654321", reason = "广告号" });
        var duplicate = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/blacklist", new { platform = "telegram", userId = "987654321" })).ReadValidationErrorsAsync();
        var badPlatform = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/blacklist", new { platform = "icq", userId = "1" })).ReadValidationErrorsAsync();
        var byOperator = await op.Api.PostJsonAsync("/api/moderation/blacklist", new { platform = "telegram", userId = "1" });

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var entry = await added.ReadAsync<BlacklistEntryDto>();
        Assert.Equal((ChatPlatform.Telegram, "987654321", "广告号", ws.Owner.Id), (entry.Platform, entry.UserId, entry.Reason, entry.AddedById));
        Assert.Contains("userId", duplicate.Keys);
        Assert.Contains("platform", badPlatform.Keys);
        Assert.Equal(HttpStatusCode.Forbidden, byOperator.StatusCode);
        Assert.Equal([entry.Id], (await op.Api.GetJsonAsync<List<BlacklistEntryDto>>("/api/moderation/blacklist?q=9876")).Select(e => e.Id));
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.DeleteAsync($"/api/moderation/blacklist/{entry.Id}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/moderation/blacklist/{entry.Id}", Ct)).StatusCode);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<BlacklistEntryDto>>("/api/moderation/blacklist"));
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.DeleteAsync($"/api/moderation/blacklist/{entry.Id}", Ct)).StatusCode);
        var audit = await CaseSeed.QueryAsync(factory, ws, db => db.AuditEntries.Where(e => e.EntityType == nameof(BlacklistEntry)).Select(e => e.Action).ToListAsync(Ct));
        Assert.Equal(2, audit.Count);
    }

    [Fact]
    public async Task DemoCases_FillTheQueueAndLogOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CaseSeed.CommunityAsync(ws, "演示群");
        await ws.Owner.Api.PostJsonAsync("/api/events", EventTestData.Message(community, "hi", "u5", DateTimeOffset.UtcNow, "大家好"));
        await Shequn.Features.Demo.DemoCases.EnsureAsync(factory.Services, ws.Id, Ct);
        await Shequn.Features.Demo.DemoCases.EnsureAsync(factory.Services, ws.Id, Ct);

        var queue = await ws.Owner.Api.GetJsonAsync<ReviewQueueDto>("/api/moderation/queue");
        var log = await ws.Owner.Api.GetJsonAsync<Page<CaseDto>>("/api/moderation/cases");
        Assert.Equal(4, queue.Total);
        Assert.Equal((1, 1), (queue.FalsePositives, queue.FalseNegatives));
        Assert.Equal(7, log.Total);
        Assert.All(log.Items, c => Assert.Equal(("u5", community), (c.UserId, c.CommunityId)));
        Assert.Contains(log.Items, c => c.Decision == CaseDecision.Act && c.Actions.Any(a => a.Status == ActionStatus.Done));
        Assert.All(queue.Items, c => Assert.NotEmpty(c.Evidence));
    }
}

public sealed class ReviewApiTests_Sqlite(SqliteFactory factory) : ReviewApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class ReviewApiTests_Postgres(PostgresFactory factory) : ReviewApiTests(factory), IClassFixture<PostgresFactory>;
