using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Members;

/// <summary>PIPL: a member's data exported, held and erased, with only anonymous figures left behind.</summary>
public abstract class PersonalDataTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, object?> Event(Guid community, string id, string kind, string user, string name, string? text = null, object? actor = null) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = kind, ["occurredAt"] = DateTimeOffset.UtcNow.AddHours(-1), ["communityId"] = community,
        ["user"] = new { id = user, name },
        ["actor"] = actor,
        ["message"] = kind == "messagePosted" ? new { id = "m-" + id, kind = "text", text } : null,
    };

    /// <summary>Ann joins and posts her phone number; Bob joins on Ann's invitation and posts.</summary>
    private async Task<(TestWorkspace Ws, Guid Community, Guid Ann, Guid Bob)> TwoMembersAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("个人信息群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        await (await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Event(community, "a", "memberJoined", "u-ann", "Ann"),
            Event(community, "a1", "messagePosted", "u-ann", "Ann", "我的电话是 13800001111，能帮我查下订单吗？"),
            Event(community, "b", "memberJoined", "u-bob", "Bob", actor: new { id = "u-ann", name = "Ann" }),
            Event(community, "b1", "messagePosted", "u-bob", "Bob", "谢谢 Ann 拉我进群"),
        })).ReadAsync<IngestResponse>();
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var members = await ws.Owner.Api.GetJsonAsync<Shequn.Platform.Api.Page<MemberListItem>>("/api/members?sort=name");
        return (ws, community, members.Items.Single(m => m.DisplayName == "Ann").Id, members.Items.Single(m => m.DisplayName == "Bob").Id);
    }

    private async Task<T> ReadAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    [Fact]
    public async Task Export_HoldsProfileAccountsGroupsAndMessages_ForOwnerAndSubOwnerOnly()
    {
        var (ws, community, ann, _) = await TwoMembersAsync();
        (await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/points", new { delta = 20, reason = "线下活动签到" })).EnsureSuccessStatusCode();
        await ReadAsync(async db =>
        {
            var tag = new Shequn.Features.Tags.Tag { WorkspaceId = ws.Id, Name = "宝妈" };
            db.Tags.Add(tag);
            db.MemberTags.Add(new Shequn.Features.Tags.MemberTag { MemberId = ann, TagId = tag.Id });
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });

        var export = await ws.Owner.Api.GetJsonAsync<PersonalDataExport>($"/api/members/{ann}/personal-data");
        // Her points ledger with its reasons (inviting Bob, then staff's adjustment), and her tags with where they came from.
        Assert.Equal([(10, Shequn.Features.Points.PointsReason.Invitation), (20, Shequn.Features.Points.PointsReason.Manual)],
            export.Points!.Select(p => (p.Delta, p.Reason)).ToList());
        Assert.Equal("线下活动签到", export.Points![1].ReasonText);
        Assert.Equal([new PersonalTag("宝妈", Shequn.Features.Tags.TagSource.Manual)], export.Tags);
        Assert.Equal("Ann", export.Member.DisplayName);
        Assert.Equal([new PersonalIdentity(ChatPlatform.Sandbox, "u-ann")], export.Identities);
        Assert.Equal(community, Assert.Single(export.Member.Memberships).CommunityId);
        Assert.Equal("我的电话是 13800001111，能帮我查下订单吗？", Assert.Single(export.Messages).Text);
        Assert.Equal("个人信息群", export.Messages[0].Community);

        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner, "副群主", community);
        Assert.Equal(HttpStatusCode.OK, (await subOwner.Api.GetAsync($"/api/members/{ann}/personal-data", Ct)).StatusCode);
        var operatorStaff = await ws.AddStaffAsync(StaffRole.Operator, "运营", community);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorStaff.Api.GetAsync($"/api/members/{ann}/personal-data", Ct)).StatusCode);
        var other = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.GetAsync($"/api/members/{ann}/personal-data", Ct)).StatusCode);
    }

    [Fact]
    public async Task Erase_RemovesTheMemberAndScrubsTheLog_ButLeavesTheFigures()
    {
        var (ws, community, ann, bob) = await TwoMembersAsync();
        var figuresBefore = await ReadAsync(db => db.Set<CommunityDailyFigure>().IgnoreQueryFilters().AsNoTracking().Where(f => f.CommunityId == community)
            .Select(f => new { f.Day, f.Joins, f.Messages, f.Speakers }).ToListAsync(Ct));
        Assert.NotEmpty(figuresBefore);

        // Her Telegram account too, and two updates Telegram sent that Shequn kept raw: one about her, one not.
        await ReadAsync(async db =>
        {
            db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = ws.Id, MemberId = ann, Platform = ChatPlatform.Telegram, UserId = "730001234" });
            db.Set<Shequn.Connectors.Telegram.TelegramRawUpdate>().AddRange(
                new Shequn.Connectors.Telegram.TelegramRawUpdate { WorkspaceId = ws.Id, BotUserId = 1, UpdateId = 1, Reason = "test", Json = """{"update_id":1,"message_reaction":{"user":{"id":730001234,"first_name":"Ann"}}}""" },
                new Shequn.Connectors.Telegram.TelegramRawUpdate { WorkspaceId = ws.Id, BotUserId = 1, UpdateId = 2, Reason = "test", Json = """{"update_id":2,"message_reaction":{"user":{"id":730009999,"first_name":"Dan"}}}""" });
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });

        // Shequn's own texts about her: a welcome naming the burst (queued for later), a ban of her account, and the task
        // asking staff to introduce the newcomers.
        var welcomeBefore = OutboundAction.Create(ws.Id, community, ActionKind.Send, new ActionPayload(Text: "欢迎 Ann、Bob 加入！"), "test:welcome");
        welcomeBefore.NextAttemptAt = DateTime.UtcNow.AddHours(1);
        var ban = OutboundAction.Create(ws.Id, community, ActionKind.Ban, new ActionPayload(UserId: "u-ann"), "test:ban");
        ban.NextAttemptAt = DateTime.UtcNow.AddHours(1);
        var introduce = OutboundAction.Create(ws.Id, community, ActionKind.Send, new ActionPayload(Text: "欢迎 Ann、Bob") { TaskText = "欢迎 Ann、Bob" }, "test:introduce");
        introduce.Status = ActionStatus.Task;
        await ReadAsync(async db =>
        {
            db.Set<OutboundAction>().AddRange(welcomeBefore, ban, introduce);
            db.Set<StaffTask>().Add(new StaffTask
            {
                WorkspaceId = ws.Id, CommunityId = community, ActionId = introduce.Id, Kind = ActionKind.Send, Text = "欢迎 Ann、Bob",
                Context = "在群里介绍并推崇新人 Ann、Bob", AssignedStaffId = ws.Owner.Id, DueAt = DateTime.UtcNow.AddHours(1),
            });
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });

        var result = await (await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/erase", new { })).ReadAsync<ErasureResult>();

        // Shequn's own texts about her lose her name; Bob's stay his.
        var actions = await ReadAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws.Id).ToListAsync(Ct));
        var welcome = Assert.Single(actions, a => a.Id == welcomeBefore.Id);
        Assert.Contains($"{PersonalData.ErasedName}、Bob", ActionPayload.FromJson(welcome.Payload).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(actions, a => a.Payload.Contains("Ann", StringComparison.Ordinal) || a.Payload.Contains("u-ann", StringComparison.Ordinal));
        var tasks = await ReadAsync(db => db.Set<StaffTask>().IgnoreQueryFilters().AsNoTracking().Where(t => t.WorkspaceId == ws.Id).ToListAsync(Ct));
        Assert.NotEmpty(tasks);
        Assert.DoesNotContain(tasks, t => t.Text.Contains("Ann", StringComparison.Ordinal) || (t.Context ?? "").Contains("Ann", StringComparison.Ordinal));
        Assert.Equal(ban.Id, Assert.Single(actions, a => ActionPayload.FromJson(a.Payload).UserId?.StartsWith("erased:", StringComparison.Ordinal) == true).Id);
        Assert.Equal([2L], await ReadAsync(db => db.Set<Shequn.Connectors.Telegram.TelegramRawUpdate>().IgnoreQueryFilters()
            .Where(r => r.WorkspaceId == ws.Id).Select(r => r.UpdateId).ToListAsync(Ct)));
        Assert.Equal(5, result.ActionsScrubbed); // the welcome, the ban, the introduction action and its task, the raw update

        // Her join, her message, Bob's join that named her as the inviter, and her question waiting for an answer.
        Assert.Equal(4, result.EventsScrubbed);
        var question = await ReadAsync(db => db.Set<Shequn.Features.Responses.MemberQuestion>().IgnoreQueryFilters().AsNoTracking().SingleAsync(q => q.WorkspaceId == ws.Id, Ct));
        Assert.Equal(("", null), (question.Text, question.UserName));
        Assert.StartsWith("erased:", question.UserId);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync($"/api/members/{ann}", Ct)).StatusCode);
        var events = await ReadAsync(db => db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == ws.Id).OrderBy(e => e.Seq).ToListAsync(Ct));
        Assert.DoesNotContain(events, e => e.UserId == "u-ann" || e.ActorId == "u-ann" || e.UserName == "Ann" || e.ActorName == "Ann");
        Assert.DoesNotContain(events, e => e.Text?.Contains("13800001111") == true);
        var pseudonym = events.First(e => e.PlatformEventId == "a").UserId!;
        Assert.StartsWith("erased:", pseudonym);
        Assert.Equal(pseudonym, events.First(e => e.PlatformEventId == "b").ActorId);
        Assert.Equal("谢谢 Ann 拉我进群", events.First(e => e.PlatformEventId == "b1").Text); // Bob's own words are Bob's
        Assert.Equal(figuresBefore, await ReadAsync(db => db.Set<CommunityDailyFigure>().IgnoreQueryFilters().AsNoTracking().Where(f => f.CommunityId == community)
            .Select(f => new { f.Day, f.Joins, f.Messages, f.Speakers }).ToListAsync(Ct)));
        var bobNow = await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{bob}");
        Assert.Null(Assert.Single(bobNow.Memberships).InviterMemberId);
        Assert.Equal(0, await ReadAsync(db => db.Set<MemberIdentity>().IgnoreQueryFilters().CountAsync(i => i.WorkspaceId == ws.Id && i.UserId == "u-ann", Ct)));
    }

    [Fact]
    public async Task Erase_BetweenTheProcessorReadingHerMessageAndApplyingIt_TheBatchIsReadAgainScrubbed_SheIsNotMadeAnew()
    {
        var (ws, community, ann, _) = await TwoMembersAsync();
        var messagesBefore = await ReadAsync(db => db.Set<CommunityDailyFigure>().IgnoreQueryFilters().Where(f => f.CommunityId == community).SumAsync(f => f.Messages, Ct));
        var processor = factory.Services.GetRequiredService<EventProcessor>();
        var erased = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        processor.AfterRead = async (events, ct) =>
        {
            // The erasure falls in the gap between the processor's read of her new message and its lock on the checkpoint.
            if (erased.Task.IsCompleted || !events.Any(e => e.WorkspaceId == ws.Id && e.UserId == "u-ann"))
                return;
            var answer = await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/erase", new { });
            erased.SetResult(answer.StatusCode);
        };
        try
        {
            await (await ws.Owner.Api.PostJsonAsync("/api/events", new[] { Event(community, "a2", "messagePosted", "u-ann", "Ann", "又是我，电话 13800001111") })).ReadAsync<IngestResponse>();
            Assert.Equal(HttpStatusCode.OK, await erased.Task.WaitAsync(TimeSpan.FromMinutes(2), Ct));
            await processor.WaitUntilCaughtUpAsync(Ct);
        }
        finally
        {
            processor.AfterRead = null;
        }

        // Her message was applied as the log now holds it: no account of hers, no member by her name or her stand-in.
        Assert.Equal(0, await ReadAsync(db => db.Set<MemberIdentity>().IgnoreQueryFilters().CountAsync(i => i.WorkspaceId == ws.Id && (i.UserId == "u-ann" || i.UserId.StartsWith("erased:")), Ct)));
        Assert.Equal(["Bob"], await ReadAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws.Id).Select(m => m.DisplayName).ToListAsync(Ct)));
        var message = await ReadAsync(db => db.Set<CommunityEvent>().AsNoTracking().SingleAsync(e => e.WorkspaceId == ws.Id && e.PlatformEventId == "a2", Ct));
        Assert.StartsWith("erased:", message.UserId);
        Assert.Null(message.Text);
        // It still counts in the day's figures.
        Assert.Equal(messagesBefore + 1, await ReadAsync(db => db.Set<CommunityDailyFigure>().IgnoreQueryFilters().Where(f => f.CommunityId == community).SumAsync(f => f.Messages, Ct)));
    }

    [Fact]
    public async Task LegalHold_RefusesErasureWith409_UntilTheOwnerLiftsIt()
    {
        var (ws, community, ann, _) = await TwoMembersAsync();
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner, "副群主", community);
        Assert.Equal(HttpStatusCode.Forbidden, (await subOwner.Api.PutJsonAsync($"/api/members/{ann}/legal-hold", new { hold = true, reason = "投诉处理中" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await subOwner.Api.PostJsonAsync($"/api/members/{ann}/erase", new { })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}/legal-hold", new { hold = true, reason = "投诉处理中" })).StatusCode);
        var held = await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/erase", new { });
        Assert.Equal(HttpStatusCode.Conflict, held.StatusCode);
        Assert.Contains("legal hold", await held.Content.ReadAsStringAsync(Ct));
        Assert.True((await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{ann}")).LegalHold);
        Assert.Equal(2, await ReadAsync(db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id && e.UserId == "u-ann", Ct)));

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}/legal-hold", new { hold = false })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/erase", new { })).StatusCode);
    }
}

public sealed class PersonalDataTests_Sqlite(SqliteFactory factory) : PersonalDataTests(factory), IClassFixture<SqliteFactory>;

public sealed class PersonalDataTests_Postgres(PostgresFactory factory) : PersonalDataTests(factory), IClassFixture<PostgresFactory>;
