using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Points;
using Shequn.Features.Responses;
using Shequn.Features.Sandbox;
using Shequn.Features.Scripts;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Points;

/// <summary>
/// Points end to end: members speak in Sandbox groups, the processor's reaction writes the ledger, the API serves rules,
/// levels, ledgers and manual adjustments; a replayed batch awards nothing twice.
/// </summary>
public abstract class PointsTests(ShequnFactory factory)
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

    private async Task ChatAsync(Guid ws, Func<SandboxChat, Task> act)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws);
        await act(scope.ServiceProvider.GetRequiredService<SandboxChat>());
    }

    private async Task<string> PostAsync(Guid ws, Guid community, string userId, string name, string text, DateTime? at = null, string? replyTo = null, bool fromStaff = false)
    {
        var e = SandboxChat.New(ws, community, EventKind.MessagePosted, userId, name);
        e.OccurredAt = at ?? DateTime.UtcNow;
        e.Text = text;
        e.MessageKind = MessageKind.Text;
        e.MessageId = e.PlatformEventId;
        e.ReplyToMessageId = replyTo;
        e.FromStaff = fromStaff;
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([e], Ct);
        return e.MessageId;
    }

    private async Task JoinAsync(Guid ws, Guid community, string userId, string name, string? invitedBy = null)
    {
        var e = SandboxChat.New(ws, community, EventKind.MemberJoined, userId, name);
        e.ActorId = invitedBy;
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([e], Ct);
    }

    private async Task<Guid> MemberIdAsync(Guid ws, string userId) =>
        await DbAsync(ws, db => db.Set<MemberIdentity>().Where(i => i.WorkspaceId == ws && i.UserId == userId).Select(i => i.MemberId).SingleAsync(Ct));

    private async Task<List<MemberPointsEntry>> EntriesAsync(Guid ws) =>
        await DbAsync(ws, db => db.Set<MemberPointsEntry>().AsNoTracking().Where(e => e.WorkspaceId == ws).OrderBy(e => e.OccurredAt).ToListAsync(Ct));

    [Fact]
    public async Task CheckIn_AwardsOncePerDay_AndAReplayedBatchAwardsNothingTwice()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "打卡群");
        var zone = WorkspaceZones.Find(Workspace.DefaultTimeZone)!;
        var today = DailyFigures.StartOf(DailyFigures.DayOf(DateTime.UtcNow, zone), zone);
        var yesterday = today.AddHours(-12);
        await PostAsync(ws.Id, community, "m-1", "小周", "打卡", yesterday);
        await PostAsync(ws.Id, community, "m-1", "小周", "今天也打卡", today.AddMinutes(1));
        await PostAsync(ws.Id, community, "m-1", "小周", "打卡打卡", today.AddMinutes(2));
        await PostAsync(ws.Id, community, "m-2", "小李", "大家好", today.AddMinutes(3));
        await CaughtUpAsync();

        var entries = await EntriesAsync(ws.Id);
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal((PointsReason.CheckIn, 1, "打卡群"), (e.Reason, e.Delta, e.ReasonText)));
        Assert.All(entries, e => Assert.StartsWith("event:", e.Key, StringComparison.Ordinal));
        Assert.Equal(entries.Select(e => e.EventSeq).Distinct().Count(), entries.Count);

        // The same batch again (a second process, a crash after the commit that was not noticed): nothing new is added.
        await DbAsync(ws.Id, async db =>
        {
            var log = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws.Id).OrderBy(e => e.Seq).ToListAsync(Ct);
            var effects = new EventEffects(db, factory.Services.GetRequiredService<WorkspaceZones>());
            await effects.ApplyAsync(log, Ct);
            foreach (var reaction in factory.Services.GetServices<IBatchReaction>().Where(r => r is ResponseTracker or PointsReaction))
                await reaction.ReactAsync(db, log, effects, Ct);
            Assert.DoesNotContain(db.ChangeTracker.Entries<MemberPointsEntry>(), e => e.State == EntityState.Added);
            return 0;
        });
        // And the database refuses a second award with the same key.
        await Assert.ThrowsAnyAsync<DbUpdateException>(() => DbAsync(ws.Id, db =>
        {
            db.Set<MemberPointsEntry>().Add(new MemberPointsEntry
            {
                WorkspaceId = ws.Id, MemberId = entries[0].MemberId, Delta = 1, Reason = PointsReason.CheckIn, Key = entries[0].Key, OccurredAt = DateTime.UtcNow,
            });
            return db.SaveChangesWithoutAuditAsync(Ct);
        }));

        // A rule switched off awards nothing; its keywords are required.
        var bad = await ws.Owner.Api.PutJsonAsync("/api/points/rules/checkIn", new { keywords = " , " });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("keywords", (await bad.ReadValidationErrorsAsync()).Keys);
        var off = await (await ws.Owner.Api.PutJsonAsync("/api/points/rules/checkIn", new { enabled = false, points = 2 })).ReadAsync<PointRuleDto>();
        Assert.False(off.Enabled);
        await PostAsync(ws.Id, community, "m-2", "小李", "打卡", today.AddMinutes(5));
        await CaughtUpAsync();
        Assert.Equal(2, (await EntriesAsync(ws.Id)).Count);
        var rules = await ws.Owner.Api.GetJsonAsync<List<PointRuleDto>>("/api/points/rules");
        Assert.Equal(3, rules.Count);
        Assert.Contains(rules, r => r is { Kind: PointRuleKind.CheckIn, Enabled: false, Points: 2, IsDefault: false });
    }

    [Fact]
    public async Task LateEvents_ImportedHistory_EarnsNoCheckInOrAnswerPoints_AndIsRecordedAsSkipped()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "历史群");
        var old = DateTime.UtcNow.AddDays(-30);
        // History a month old (an import, a long catch-up): two check-ins on one day, a question and a member's answer.
        await PostAsync(ws.Id, community, "m-1", "小周", "打卡", old);
        await PostAsync(ws.Id, community, "m-1", "小周", "再打卡", old.AddMinutes(1));
        var q = await PostAsync(ws.Id, community, "m-2", "小李", "请问怎么开发票？", old.AddMinutes(2));
        await PostAsync(ws.Id, community, "m-1", "小周", "在订单页申请", old.AddMinutes(3), replyTo: q);
        await CaughtUpAsync();

        var entries = await EntriesAsync(ws.Id);
        Assert.Equal(2, entries.Count); // one skipped check-in for the day, one skipped answer
        Assert.All(entries, e => Assert.Equal((0, PointsSkip.Late), (e.Delta, e.Skipped)));
        Assert.Contains(entries, e => e.Reason == PointsReason.CheckIn);
        Assert.Contains(entries, e => e.Reason == PointsReason.HelpfulAnswer);
        var m1 = await MemberIdAsync(ws.Id, "m-1");
        var ledger = await ws.Owner.Api.GetJsonAsync<MemberPointsDto>($"/api/members/{m1}/points");
        Assert.Equal(0, ledger.Balance);
        Assert.All(ledger.Entries, e => Assert.Equal(PointsSkip.Late, e.Skipped));

        // A live check-in still earns, also on a day whose late check-in was skipped.
        await PostAsync(ws.Id, community, "m-1", "小周", "打卡");
        await CaughtUpAsync();
        ledger = await ws.Owner.Api.GetJsonAsync<MemberPointsDto>($"/api/members/{m1}/points");
        Assert.Equal(1, ledger.Balance);
        Assert.Single(ledger.Entries, e => e is { Reason: PointsReason.CheckIn, Delta: 1, Skipped: null });
    }

    [Fact]
    public async Task LateEvents_ALateCheckInOnADay_DoesNotUseUpThatDaysLiveCheckIn()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "补处理群");
        // With a one-hour window, a check-in three hours old (a catch-up) is skipped and a live one the same day counts.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/points/rules/checkIn", new { points = 3, keywords = "打卡" })).StatusCode);
        var options = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<PointsOptions>>().CurrentValue;
        var before = options.LateAfter;
        options.LateAfter = TimeSpan.FromHours(1);
        try
        {
            var zone = WorkspaceZones.Find(Workspace.DefaultTimeZone)!;
            var now = DateTime.UtcNow;
            var earlier = now.AddHours(-3);
            if (DailyFigures.DayOf(earlier, zone) != DailyFigures.DayOf(now, zone))
                earlier = DailyFigures.StartOf(DailyFigures.DayOf(now, zone), zone); // just after midnight: still late (or live) on today
            await PostAsync(ws.Id, community, "m-1", "小周", "打卡", earlier);
            await CaughtUpAsync();
            await PostAsync(ws.Id, community, "m-1", "小周", "打卡", now);
            await CaughtUpAsync();
        }
        finally
        {
            options.LateAfter = before;
        }
        var entries = await EntriesAsync(ws.Id);
        Assert.Equal(3, entries.Sum(e => e.Delta));
        Assert.Single(entries, e => e.Delta == 3 && e.Skipped is null);
        Assert.True(entries.Count <= 2);
    }

    [Fact]
    public async Task RulesAndLevels_AreEachWorkspacesOwn()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        Assert.Equal(HttpStatusCode.OK, (await a.Owner.Api.PutJsonAsync("/api/points/rules/checkIn", new { points = 7, keywords = "打卡" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.Owner.Api.PutJsonAsync("/api/points/rules/checkIn", new { points = 9, keywords = "签到" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await a.Owner.Api.PostJsonAsync("/api/points/levels", new { name = "甲级", threshold = 10 })).StatusCode);

        var rulesA = await a.Owner.Api.GetJsonAsync<List<PointRuleDto>>("/api/points/rules");
        var rulesB = await b.Owner.Api.GetJsonAsync<List<PointRuleDto>>("/api/points/rules");
        Assert.Equal((7, "打卡"), rulesA.Where(r => r.Kind == PointRuleKind.CheckIn).Select(r => (r.Points, r.Keywords)).Single());
        Assert.Equal((9, "签到"), rulesB.Where(r => r.Kind == PointRuleKind.CheckIn).Select(r => (r.Points, r.Keywords)).Single());
        Assert.DoesNotContain(await b.Owner.Api.GetJsonAsync<List<PointLevelDto>>("/api/points/levels"), l => l.Name == "甲级");
    }

    [Fact]
    public async Task HelpfulAnswer_AMemberReplyingToAnotherMembersQuestion_AndAKocAnswer_EarnPoints()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "答疑群");
        var t = DateTime.UtcNow.AddMinutes(-30);
        await PostAsync(ws.Id, community, "koc-1", "老会员", "我来啦", t.AddMinutes(-5));
        await CaughtUpAsync();
        var koc = await MemberIdAsync(ws.Id, "koc-1");
        await DbAsync(ws.Id, db => db.Members.Where(m => m.Id == koc).ExecuteUpdateAsync(s => s.SetProperty(m => m.Layer, MemberLayer.Koc), Ct));

        var q1 = await PostAsync(ws.Id, community, "m-1", "小一", "请问怎么开发票？", t);
        await PostAsync(ws.Id, community, "m-2", "小二", "在订单页申请就行", t.AddMinutes(1), replyTo: q1);
        await PostAsync(ws.Id, community, "m-1", "小一", "我自己再补充一句", t.AddMinutes(2), replyTo: q1); // the asker: nothing
        await PostAsync(ws.Id, community, "staff-1", "客服", "对，在订单页", t.AddMinutes(3), fromStaff: true); // staff answer q1: no points
        await PostAsync(ws.Id, community, "m-3", "小三", "孕妇可以用吗？", t.AddMinutes(5));
        await PostAsync(ws.Id, community, "koc-1", "老会员", "可以的，我一直在用", t.AddMinutes(6));
        await CaughtUpAsync();

        var entries = (await EntriesAsync(ws.Id)).Where(e => e.Reason == PointsReason.HelpfulAnswer).ToList();
        Assert.Equal(2, entries.Count);
        var m2 = await MemberIdAsync(ws.Id, "m-2");
        var byMember = Assert.Single(entries, e => e.MemberId == m2);
        Assert.Equal((5, "请问怎么开发票？"), (byMember.Delta, byMember.ReasonText));
        Assert.Equal(await MemberIdAsync(ws.Id, "m-1"), byMember.RelatedMemberId);
        var byKoc = Assert.Single(entries, e => e.MemberId == koc);
        Assert.Equal(await MemberIdAsync(ws.Id, "m-3"), byKoc.RelatedMemberId);
        var answered = await DbAsync(ws.Id, db => db.Set<MemberQuestion>().AsNoTracking().SingleAsync(q => q.WorkspaceId == ws.Id && q.MemberId == byKoc.RelatedMemberId, Ct));
        Assert.Equal(answered.AnsweredBySeq, byKoc.EventSeq);
    }

    [Fact]
    public async Task Invitation_TheInviterEarnsPoints_OncePerInvitedPerson()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "邀请群");
        await JoinAsync(ws.Id, community, "inviter", "老王");
        await CaughtUpAsync();
        await JoinAsync(ws.Id, community, "friend", "老王的朋友", invitedBy: "inviter");
        await CaughtUpAsync();
        await ChatAsync(ws.Id, chat => chat.LeaveAsync(community, "friend", "老王的朋友", Ct));
        await CaughtUpAsync();
        await JoinAsync(ws.Id, community, "friend", "老王的朋友", invitedBy: "inviter");
        await CaughtUpAsync();

        var inviter = await MemberIdAsync(ws.Id, "inviter");
        var entry = Assert.Single(await EntriesAsync(ws.Id));
        Assert.Equal((inviter, PointsReason.Invitation, 10, "老王的朋友"), (entry.MemberId, entry.Reason, entry.Delta, entry.ReasonText));
        Assert.Equal(await MemberIdAsync(ws.Id, "friend"), entry.RelatedMemberId);
        var membership = await DbAsync(ws.Id, db => db.Memberships.Where(m => m.MemberId == entry.RelatedMemberId).OrderBy(m => m.JoinedAt).FirstAsync(Ct));
        Assert.Equal(inviter, membership.InviterMemberId);
    }

    [Fact]
    public async Task ManualAdjustment_NeedsAReason_TheLedgerSums_AndTheLevelFollows()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "积分群");
        await PostAsync(ws.Id, community, "m-1", "小周", "签到");
        await CaughtUpAsync();
        var member = await MemberIdAsync(ws.Id, "m-1");

        var noReason = await ws.Owner.Api.PostJsonAsync($"/api/members/{member}/points", new { delta = 50 });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("reason", (await noReason.ReadValidationErrorsAsync()).Keys);
        var zero = await ws.Owner.Api.PostJsonAsync($"/api/members/{member}/points", new { delta = 0, reason = "x" });
        Assert.Contains("delta", (await zero.ReadValidationErrorsAsync()).Keys);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync($"/api/members/{member}/points", new { delta = 50, reason = "线下活动签到" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync($"/api/members/{member}/points", new { delta = -20, reason = "误加" })).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/points/levels", new { name = "铜卡", threshold = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/points/levels", new { name = "银卡", threshold = 30, rights = "优先参加线下活动" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/points/levels", new { name = "金卡", threshold = 100 })).StatusCode);
        var dup = await ws.Owner.Api.PostJsonAsync("/api/points/levels", new { name = "钻石", threshold = 30 });
        Assert.Contains("threshold", (await dup.ReadValidationErrorsAsync()).Keys);
        Assert.Contains("name", (await (await ws.Owner.Api.PostJsonAsync("/api/points/levels", new { threshold = 500 })).ReadValidationErrorsAsync()).Keys);

        var points = await ws.Owner.Api.GetJsonAsync<MemberPointsDto>($"/api/members/{member}/points");
        Assert.Equal(31, points.Balance);
        Assert.Equal(points.Entries.Sum(e => e.Delta), points.Balance);
        Assert.Equal(3, points.Entries.Count);
        Assert.Equal(("银卡", "优先参加线下活动"), (points.Level!.Name, points.Level.Rights));
        Assert.Equal("金卡", points.NextLevel!.Name);
        var manual = points.Entries.Where(e => e.Reason == PointsReason.Manual).ToList();
        Assert.Equal(2, manual.Count);
        Assert.All(manual, e => Assert.Equal((ws.Owner.Id, "Owner"), (e.StaffId!.Value, e.StaffName)));
        Assert.True(await DbAsync(ws.Id, db => db.AuditEntries.AnyAsync(a => a.EntityId == member.ToString() && a.Action == "points", Ct)));

        // A KOC may not adjust; erasure deletes the member's ledger.
        var koc = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc, "KOC", community);
        Assert.Contains((await koc.Api.PostJsonAsync($"/api/members/{member}/points", new { delta = 5, reason = "x" })).StatusCode,
            new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.Equal(3, (await EntriesAsync(ws.Id)).Count);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostAsync($"/api/members/{member}/erase", null, Ct)).StatusCode);
        Assert.Empty(await EntriesAsync(ws.Id));
    }

    [Fact]
    public async Task Merge_MovesEverything_AndUnmergeRestoresTheMemberExactly()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c1 = await CommunityAsync(ws, "一群");
        var c2 = await CommunityAsync(ws, "二群");
        var t = DateTime.UtcNow.AddMinutes(-20);
        await JoinAsync(ws.Id, c1, "a-sbx", "周杰");
        await JoinAsync(ws.Id, c1, "b-sbx", "周杰");
        await JoinAsync(ws.Id, c2, "b-sbx", "周杰");
        await PostAsync(ws.Id, c1, "a-sbx", "周杰", "打卡", t);
        await PostAsync(ws.Id, c1, "b-sbx", "周杰", "打卡", t.AddMinutes(1));
        await PostAsync(ws.Id, c2, "b-sbx", "周杰", "请问几点开始？", t.AddMinutes(2));
        await JoinAsync(ws.Id, c2, "c-sbx", "朋友", invitedBy: "b-sbx");
        await CaughtUpAsync();
        var a = await MemberIdAsync(ws.Id, "a-sbx");
        var b = await MemberIdAsync(ws.Id, "b-sbx");
        await DbAsync(ws.Id, async db =>
        {
            await db.Members.Where(m => m.Id == a || m.Id == b).ExecuteUpdateAsync(s => s.SetProperty(m => m.Phone, "13800000000").SetProperty(m => m.City, "上海"), Ct);
            await db.Members.Where(m => m.Id == b).ExecuteUpdateAsync(s => s.SetProperty(m => m.Industry, "外贸"), Ct);
            var shared = new Shequn.Features.Tags.Tag { WorkspaceId = ws.Id, Name = "老客" };
            var own = new Shequn.Features.Tags.Tag { WorkspaceId = ws.Id, Name = "外贸" };
            db.Tags.AddRange(shared, own);
            db.Set<Shequn.Features.Tags.MemberTag>().AddRange(
                new Shequn.Features.Tags.MemberTag { MemberId = a, TagId = shared.Id },
                new Shequn.Features.Tags.MemberTag { MemberId = b, TagId = shared.Id },
                new Shequn.Features.Tags.MemberTag { MemberId = b, TagId = own.Id });
            db.Set<Shequn.Features.Vip.VipInvitation>().Add(new Shequn.Features.Vip.VipInvitation { WorkspaceId = ws.Id, MemberId = b, CommunityId = c2 });
            db.Set<Shequn.Features.Profiles.MemberFieldValue>().AddRange(
                new Shequn.Features.Profiles.MemberFieldValue { WorkspaceId = ws.Id, MemberId = a, Key = "channels", Value = "抖音" },
                new Shequn.Features.Profiles.MemberFieldValue { WorkspaceId = ws.Id, MemberId = b, Key = "channels", Value = "小红书" },
                new Shequn.Features.Profiles.MemberFieldValue { WorkspaceId = ws.Id, MemberId = b, Key = "favourites", Value = "烘焙群" });
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync($"/api/members/{b}/points", new { delta = 7, reason = "活动" })).StatusCode);
        var before = await SnapshotAsync(ws.Id, a, b);

        var suggestions = await ws.Owner.Api.GetJsonAsync<List<MergeSuggestion>>("/api/members/merge-suggestions");
        var byPhone = Assert.Single(suggestions, s => s.Reason == "phone");
        Assert.Equal(new[] { a, b }.Order(), byPhone.Members.Select(m => m.Id).Order());
        Assert.Contains(suggestions, s => s.Reason == "nameCity" && s.Members.Count == 2);

        var merged = await (await ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = a, memberId = b })).ReadAsync<MemberMergeDto>();
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/members/{b}", Ct)).StatusCode);
        var during = await SnapshotAsync(ws.Id, a, b);
        Assert.Empty(during.Of(b));
        Assert.Equal(2, during.Identities.Count(i => i.Member == a));
        Assert.Equal(before.Memberships.Count, during.Memberships.Count(m => m.Member == a));
        Assert.Equal(before.Points.Count, during.Points.Count(p => p.Member == a));
        Assert.Equal(before.Points.Where(p => p.Member is { } m && (m == a || m == b)).Sum(p => p.Delta), during.Points.Where(p => p.Member == a).Sum(p => p.Delta));
        Assert.Equal(["外贸", "老客"], during.Tags.Where(x => x.Member == a).Select(x => x.Tag!).Order(StringComparer.Ordinal));
        Assert.Equal(2, during.Activities.Single(x => x.Member == a && x.Community == c1).Messages);
        Assert.Contains(during.Activities, x => x.Member == a && x.Community == c2);
        Assert.Contains(during.Questions, q => q.Member == a);
        Assert.Contains(during.Invited, x => x.Member == a);
        Assert.Equal(a, await DbAsync(ws.Id, db => db.Set<Shequn.Features.Vip.VipInvitation>().Select(i => i.MemberId).SingleAsync(Ct)));
        Assert.Equal(["channels=抖音", "favourites=烘焙群"], await FieldValuesAsync(ws.Id, a)); // A's own answer wins; B's other one moves
        var ledger = await ws.Owner.Api.GetJsonAsync<MemberPointsDto>($"/api/members/{a}/points");
        Assert.Equal(before.Points.Sum(p => p.Delta), ledger.Balance);

        // Undo: B comes back with its id and profile; every row that moved goes back, A is as it was.
        var undone = await ws.Owner.Api.PostAsync($"/api/members/merges/{merged.Id}/unmerge", null, Ct);
        Assert.Equal(HttpStatusCode.OK, undone.StatusCode);
        var back = await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{b}");
        Assert.Equal(("周杰", "上海", "外贸"), (back.DisplayName, back.City, back.Industry));
        var after = await SnapshotAsync(ws.Id, a, b);
        Assert.Equal(before.ToString(), after.ToString());
        Assert.Equal(b, await DbAsync(ws.Id, db => db.Set<Shequn.Features.Vip.VipInvitation>().Select(i => i.MemberId).SingleAsync(Ct)));
        Assert.Equal(["channels=抖音"], await FieldValuesAsync(ws.Id, a));
        Assert.Equal(["channels=小红书", "favourites=烘焙群"], await FieldValuesAsync(ws.Id, b));
        Assert.Equal(HttpStatusCode.Conflict, (await ws.Owner.Api.PostAsync($"/api/members/merges/{merged.Id}/unmerge", null, Ct)).StatusCode);
    }

    private async Task<List<string>> FieldValuesAsync(Guid ws, Guid member) => await DbAsync(ws, async db =>
        (await db.Set<Shequn.Features.Profiles.MemberFieldValue>().Where(v => v.MemberId == member).Select(v => v.Key + "=" + v.Value).ToListAsync(Ct))
            .Order(StringComparer.Ordinal).ToList());

    private sealed record Row(Guid? Member, string Key, int Delta = 0, Guid Community = default, int Messages = 0, string? Tag = null);

    private sealed record Snapshot(List<Row> Memberships, List<Row> Invited, List<Row> Identities, List<Row> Tags, List<Row> Activities, List<Row> Speakers,
        List<Row> Questions, List<Row> Points)
    {
        public IEnumerable<Row> Of(Guid member) => Memberships.Concat(Identities).Concat(Tags).Concat(Activities).Concat(Speakers).Concat(Questions).Concat(Points)
            .Where(r => r.Member == member);

        public override string ToString() => string.Join("\n", new[] { Memberships, Invited, Identities, Tags, Activities, Speakers, Questions, Points }
            .Select(l => string.Join(";", l.Select(r => r.ToString()).Order(StringComparer.Ordinal))));
    }

    private async Task<Snapshot> SnapshotAsync(Guid ws, Guid a, Guid b) => await DbAsync(ws, async db =>
    {
        var ids = new[] { a, b };
        return new Snapshot(
            [.. (await db.Memberships.Where(m => ids.Contains(m.MemberId)).ToListAsync(Ct)).Select(m => new Row(m.MemberId, m.Id.ToString(), Community: m.CommunityId))],
            [.. (await db.Memberships.Where(m => m.InviterMemberId != null && ids.Contains(m.InviterMemberId.Value)).ToListAsync(Ct)).Select(m => new Row(m.InviterMemberId, m.Id.ToString()))],
            [.. (await db.Set<MemberIdentity>().Where(i => ids.Contains(i.MemberId)).ToListAsync(Ct)).Select(i => new Row(i.MemberId, i.UserId))],
            [.. (await db.Set<Shequn.Features.Tags.MemberTag>().Where(x => ids.Contains(x.MemberId)).Select(x => new { x.MemberId, x.Tag!.Name }).ToListAsync(Ct))
                .Select(x => new Row(x.MemberId, x.Name, Tag: x.Name))],
            [.. (await db.Set<MemberActivity>().Where(x => ids.Contains(x.MemberId)).ToListAsync(Ct))
                .Select(x => new Row(x.MemberId, $"{x.CommunityId}:{x.FirstSpokeAt:O}:{x.LastSpokeAt:O}", Community: x.CommunityId, Messages: x.Messages))],
            [.. (await db.Set<DailySpeaker>().Where(x => ids.Contains(x.MemberId)).ToListAsync(Ct)).Select(x => new Row(x.MemberId, $"{x.CommunityId}:{x.Day}"))],
            [.. (await db.Set<MemberQuestion>().Where(x => ids.Contains(x.MemberId)).ToListAsync(Ct)).Select(x => new Row(x.MemberId, x.Id.ToString()))],
            [.. (await db.Set<MemberPointsEntry>().Where(x => x.WorkspaceId == ws).ToListAsync(Ct)).Select(x => new Row(x.MemberId, x.Id.ToString(), x.Delta))]);
    });

    [Fact]
    public async Task Merge_AcrossWorkspaces_IsRefused_AndIntoItself_Is400()
    {
        var ws1 = await factory.NewWorkspaceAsync();
        var ws2 = await factory.NewWorkspaceAsync();
        var c1 = await CommunityAsync(ws1, "甲");
        var c2 = await CommunityAsync(ws2, "乙");
        await PostAsync(ws1.Id, c1, "u-1", "小甲", "你好");
        await PostAsync(ws2.Id, c2, "u-2", "小乙", "你好");
        await CaughtUpAsync();
        var m1 = await MemberIdAsync(ws1.Id, "u-1");
        var m2 = await MemberIdAsync(ws2.Id, "u-2");

        var refused = await ws1.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = m1, memberId = m2 });
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Contains("\"memberId\"", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.True(await DbAsync(ws2.Id, db => db.Members.AnyAsync(m => m.Id == m2, Ct)));
        var self = await ws1.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = m1, memberId = m1 });
        Assert.Equal(HttpStatusCode.BadRequest, self.StatusCode);
        Assert.Contains("memberId", (await self.ReadValidationErrorsAsync()).Keys);
        var operatorStaff = await ws1.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator, "运营", c1);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorStaff.Api.GetAsync("/api/members/merge-suggestions", Ct)).StatusCode);
    }

    [Fact]
    public async Task QuickReply_IsAScriptCategory_OfferedRenderedForTheChat()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws, "售后群");
        var created = await ws.Owner.Api.PostJsonAsync("/api/scripts", new { category = "quickReply", name = "稍等", text = "{nickname} 您好，{community}客服马上为您处理" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var bad = await ws.Owner.Api.PostJsonAsync("/api/scripts", new { category = "quickReply", name = "坏的", text = "{nope}" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var replies = await ws.Owner.Api.GetJsonAsync<List<QuickReplyDto>>($"/api/scripts/quick-replies?communityId={community}&nickname=小周");
        var reply = Assert.Single(replies);
        Assert.Equal(("稍等", "小周 您好，售后群客服马上为您处理"), (reply.Name, reply.Text));

        Assert.DoesNotContain(await ws.Owner.Api.GetJsonAsync<List<ScriptDto>>("/api/scripts?category=welcome"), s => s.Category == ScriptCategory.QuickReply);
    }
}

public sealed class PointsSqliteTests(SqliteFactory factory) : PointsTests(factory), IClassFixture<SqliteFactory>;

public sealed class PointsPostgresTests(PostgresFactory factory) : PointsTests(factory), IClassFixture<PostgresFactory>;
