using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Profiles;
using Shequn.Features.Responses;
using Shequn.Features.Sandbox;
using Shequn.Features.Scripts;
using Shequn.Features.Tags;
using Shequn.Features.Vip;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Data;

/// <summary>
/// The workspace query filters of chats and identities, questions, VIP rules and invitations, auto-tag rules, the profile
/// template, values and links, scripts and auto-replies, communities' own script texts, daily figures, Sandbox uploads,
/// member merges and the reveal log: a context sees only its acting workspace's rows (none without one), and staff of one
/// workspace reach none of another's through the API.
/// </summary>
public abstract partial class WorkspaceFilterTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> InScopeAsync<T>(Guid? acting, Func<AppDbContext, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (acting is { } ws)
            db.Current.ActAsSystem(ws);
        return await work(db);
    }

    private static IQueryable<T> Rows<T>(AppDbContext db, bool ignoreFilters) where T : class =>
        ignoreFilters ? db.Set<T>().IgnoreQueryFilters() : db.Set<T>();

    /// <summary>How many rows of each type of <paramref name="ws"/> a query sees (the condition is the query's own).</summary>
    private static async Task<Dictionary<string, int>> CountsAsync(AppDbContext db, Guid ws, bool ignoreFilters = false) => new()
    {
        [nameof(PlatformChat)] = await Rows<PlatformChat>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(MemberIdentity)] = await Rows<MemberIdentity>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(MemberQuestion)] = await Rows<MemberQuestion>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(VipRules)] = await Rows<VipRules>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(VipInvitation)] = await Rows<VipInvitation>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(TagRule)] = await Rows<TagRule>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(ProfileField)] = await Rows<ProfileField>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(MemberFieldValue)] = await Rows<MemberFieldValue>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(ProfileLink)] = await Rows<ProfileLink>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(Script)] = await Rows<Script>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(AutoReplyRule)] = await Rows<AutoReplyRule>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(ScriptOverride)] = await Rows<ScriptOverride>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(CommunityDailyFigure)] = await Rows<CommunityDailyFigure>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(SandboxUpload)] = await Rows<SandboxUpload>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(MemberMerge)] = await Rows<MemberMerge>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
        [nameof(PersonalDataReveal)] = await Rows<PersonalDataReveal>(db, ignoreFilters).CountAsync(e => e.WorkspaceId == ws, Ct),
    };

    private sealed record Seeded(Guid Community, Guid Member, Guid Question, Guid TagRule, Guid Script, Guid AutoReply, string ChatId, Guid Merge);

    /// <summary>One row of each filtered type in <paramref name="ws"/>, written as that workspace.</summary>
    private Task<Seeded> SeedAsync(Guid ws) => InScopeAsync(ws, async db =>
    {
        var chatId = "chat-" + Guid.NewGuid().ToString("N")[..8];
        var community = new Community { WorkspaceId = ws, Name = "筛选群", Platform = ChatPlatform.Sandbox, Capacity = 200 };
        var member = new Member { WorkspaceId = ws, DisplayName = "Ann" };
        var tag = new Tag { WorkspaceId = ws, Name = "筛选标签" };
        db.Communities.Add(community);
        db.Members.Add(member);
        db.Tags.Add(tag);
        db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = ws, Platform = ChatPlatform.Sandbox, ChatId = chatId, CommunityId = community.Id });
        db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = ws, Platform = ChatPlatform.Sandbox, UserId = "ann-" + chatId, MemberId = member.Id });
        var question = new MemberQuestion
        {
            WorkspaceId = ws, CommunityId = community.Id, MemberId = member.Id, Platform = ChatPlatform.Sandbox, UserId = "ann-" + chatId,
            EventSeq = -Random.Shared.NextInt64(1, long.MaxValue), Text = "今天几点开播？", AskedAt = DateTime.UtcNow,
        };
        db.Set<MemberQuestion>().Add(question);
        db.Set<VipRules>().Add(new VipRules { WorkspaceId = ws, AnswersMin = 7 });
        db.Set<VipInvitation>().Add(new VipInvitation { WorkspaceId = ws, MemberId = member.Id, CommunityId = community.Id });
        var rule = new TagRule { WorkspaceId = ws, TagId = tag.Id, Name = "问过开播", Kind = TagRuleKind.Keyword, Spec = new TagRuleSpec(Keyword: "开播").ToJson() };
        db.Set<TagRule>().Add(rule);
        db.Set<ProfileField>().Add(new ProfileField { WorkspaceId = ws, Key = "c" + Guid.NewGuid().ToString("N")[..8], Name = "年龄", Kind = ProfileFieldKind.Number });
        db.Set<MemberFieldValue>().Add(new MemberFieldValue { WorkspaceId = ws, MemberId = member.Id, Key = "age", Value = "40" });
        db.Set<ProfileLink>().Add(new ProfileLink
        {
            WorkspaceId = ws, MemberId = member.Id, TokenHash = ProfileLinks.Hash(Guid.NewGuid().ToString("N")),
            CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddDays(1),
        });
        var script = new Script { WorkspaceId = ws, Category = ScriptCategory.Faq, Name = "开播时间", Text = "每晚八点开播" };
        db.Set<Script>().Add(script);
        var reply = new AutoReplyRule { WorkspaceId = ws, Name = "开播", Keywords = "开播", ReplyText = "每晚八点" };
        db.Set<AutoReplyRule>().Add(reply);
        db.Set<ScriptOverride>().Add(new ScriptOverride { WorkspaceId = ws, ScriptId = script.Id, CommunityId = community.Id, Text = "本群每晚九点开播" });
        db.Set<CommunityDailyFigure>().Add(new CommunityDailyFigure { WorkspaceId = ws, CommunityId = community.Id, Day = new DateOnly(2026, 12, 1), Messages = 3 });
        db.Set<SandboxUpload>().Add(new SandboxUpload { WorkspaceId = ws, CommunityId = community.Id, FileName = "a.png", ContentType = "image/png", Bytes = [1, 2, 3] });
        var merge = new MemberMerge
        {
            WorkspaceId = ws, IntoMemberId = member.Id, MergedMemberId = Guid.NewGuid(), MergedName = "Ann B", Profile = "{}",
            Moves = System.Text.Json.JsonSerializer.Serialize(new MergeMoves([], [], [], [], [], [], [], [], [], [], [], [])),
        };
        db.Set<MemberMerge>().Add(merge);
        db.Set<PersonalDataReveal>().Add(new PersonalDataReveal
        {
            WorkspaceId = ws, MemberId = member.Id, StaffId = Guid.NewGuid(), StaffName = "Owner", Field = "phone", At = DateTime.UtcNow,
        });
        await db.SaveChangesAsync(Ct);
        return new Seeded(community.Id, member.Id, question.Id, rule.Id, script.Id, reply.Id, chatId, merge.Id);
    });

    [Fact]
    public async Task EachType_IsSeenOnlyByItsOwnWorkspace_AndByNoQueryWithoutOne()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        await SeedAsync(a.Id);

        var own = await InScopeAsync(a.Id, db => CountsAsync(db, a.Id));
        Assert.All(own, c => Assert.True(c.Value == 1, $"{c.Key}: workspace A sees {c.Value} of its rows"));
        var none = await InScopeAsync(null, db => CountsAsync(db, a.Id));
        Assert.All(none, c => Assert.True(c.Value == 0, $"{c.Key}: a query with no workspace sees {c.Value} of A's rows"));
        var other = await InScopeAsync(b.Id, db => CountsAsync(db, a.Id));
        Assert.All(other, c => Assert.True(c.Value == 0, $"{c.Key}: workspace B sees {c.Value} of A's rows"));
        // The rows are there: opting out of the filter (the processor, jobs, the public form) finds them.
        var unfiltered = await InScopeAsync(null, db => CountsAsync(db, a.Id, ignoreFilters: true));
        Assert.All(unfiltered, c => Assert.True(c.Value == 1, $"{c.Key}: IgnoreQueryFilters sees {c.Value} of A's rows"));
    }

    [Fact]
    public async Task Questions_AnotherWorkspacesStaffNeitherReadNorDismissThem()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var seeded = await SeedAsync(a.Id);

        Assert.Equal(HttpStatusCode.OK, (await a.Owner.Api.GetAsync($"/api/responses/{seeded.Question}", Ct)).StatusCode);
        Assert.Contains(seeded.Question.ToString(), await a.Owner.Api.GetStringAsync("/api/responses/unanswered", Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/responses/{seeded.Question}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PostAsync($"/api/responses/{seeded.Question}/dismiss", null, Ct)).StatusCode);
        Assert.DoesNotContain(seeded.Question.ToString(), await b.Owner.Api.GetStringAsync("/api/responses/unanswered", Ct), StringComparison.Ordinal);
        Assert.Null(await InScopeAsync(a.Id, db => db.Set<MemberQuestion>().Where(q => q.Id == seeded.Question).Select(q => q.DismissedAt).SingleAsync(Ct)));
    }

    [Fact]
    public async Task VipRulesAndInvitations_AreEachWorkspacesOwn()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var seeded = await SeedAsync(a.Id);

        Assert.Equal(7, (await a.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules")).AnswersMin);
        Assert.Equal(VipRules.DefaultFor(b.Id).AnswersMin, (await b.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules")).AnswersMin);
        // B saving its rules makes its own row; A's stays as it was.
        Assert.Equal(HttpStatusCode.OK, (await b.Owner.Api.PutJsonAsync("/api/vip/rules", new { answersMin = 9, answersDays = 30, tenureDays = 30 })).StatusCode);
        Assert.Equal(7, (await a.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules")).AnswersMin);
        Assert.Equal(9, (await b.Owner.Api.GetJsonAsync<VipRulesDto>("/api/vip/rules")).AnswersMin);
        Assert.DoesNotContain(seeded.Member.ToString(), await b.Owner.Api.GetStringAsync("/api/vip/candidates", Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PostJsonAsync($"/api/vip/candidates/{seeded.Member}/invite", new { communityId = seeded.Community })).StatusCode);
    }

    [Fact]
    public async Task TagRules_AnotherWorkspacesStaffNeitherListReadChangeNorDeleteThem()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var seeded = await SeedAsync(a.Id);

        Assert.Contains(await a.Owner.Api.GetJsonAsync<List<TagRuleDto>>("/api/tag-rules"), r => r.Id == seeded.TagRule);
        Assert.Empty(await b.Owner.Api.GetJsonAsync<List<TagRuleDto>>("/api/tag-rules"));
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/tag-rules/{seeded.TagRule}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/tag-rules/{seeded.TagRule}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.Owner.Api.GetAsync($"/api/tag-rules/{seeded.TagRule}", Ct)).StatusCode);
    }

    [Fact]
    public async Task ScriptsAndAutoReplies_AnotherWorkspacesStaffNeitherListNorReadThem()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var seeded = await SeedAsync(a.Id);

        Assert.Equal(HttpStatusCode.OK, (await a.Owner.Api.GetAsync($"/api/scripts/{seeded.Script}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.Owner.Api.GetAsync($"/api/autoreplies/{seeded.AutoReply}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/scripts/{seeded.Script}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/autoreplies/{seeded.AutoReply}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/scripts/{seeded.Script}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/autoreplies/{seeded.AutoReply}", Ct)).StatusCode);
        Assert.DoesNotContain(seeded.Script.ToString(), await b.Owner.Api.GetStringAsync("/api/scripts", Ct), StringComparison.Ordinal);
        Assert.DoesNotContain(seeded.AutoReply.ToString(), await b.Owner.Api.GetStringAsync("/api/autoreplies", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptOverrides_AnotherWorkspacesScriptListShowsNone_AndTheOwnersShowsTheirs()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var seeded = await SeedAsync(a.Id);

        Assert.Equal(["本群每晚九点开播"], (await a.Owner.Api.GetJsonAsync<ScriptDto>($"/api/scripts/{seeded.Script}")).Overrides.Select(o => o.Text));
        Assert.DoesNotContain("本群每晚九点开播", await b.Owner.Api.GetStringAsync("/api/scripts", Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/scripts/{seeded.Script}/communities/{seeded.Community}", Ct)).StatusCode);
        Assert.Equal(1, await InScopeAsync(a.Id, db => db.Set<ScriptOverride>().CountAsync(o => o.ScriptId == seeded.Script, Ct)));
    }

    [Fact]
    public async Task MergesAndReveals_AnotherWorkspacesOwnerNeitherListsNorUndoesNorReadsThem()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var seeded = await SeedAsync(a.Id);

        Assert.Contains(await a.Owner.Api.GetJsonAsync<List<MemberMergeDto>>("/api/members/merges"), m => m.Id == seeded.Merge);
        Assert.Empty(await b.Owner.Api.GetJsonAsync<List<MemberMergeDto>>("/api/members/merges"));
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PostAsync($"/api/members/merges/{seeded.Merge}/unmerge", null, Ct)).StatusCode);
        Assert.Null(await InScopeAsync(a.Id, db => db.Set<MemberMerge>().Where(m => m.Id == seeded.Merge).Select(m => m.UnmergedAt).SingleAsync(Ct)));
        // The reveal log of a member is read in the reader's workspace only.
        Assert.Equal(1, await InScopeAsync(a.Id, db => db.Set<PersonalDataReveal>().CountAsync(r => r.MemberId == seeded.Member, Ct)));
        Assert.Equal(0, await InScopeAsync(b.Id, db => db.Set<PersonalDataReveal>().CountAsync(r => r.MemberId == seeded.Member, Ct)));
    }

    [GeneratedRegex("/p/[A-Za-z0-9_-]+")]
    private static partial Regex LinkPath();

    [Fact]
    public async Task ProfileTemplateAndLinks_AreEachWorkspacesOwn_AndTheAnonymousFormFindsItsWorkspaceFromTheToken()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        Assert.Equal(HttpStatusCode.OK, (await a.Owner.Api.PutJsonAsync("/api/profile-template", new
        {
            fields = new object[] { new { key = "city", required = true }, new { name = "年龄", kind = "number" } },
        })).StatusCode);
        var community = (await (await a.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("资料群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var ann = (await (await a.Owner.Api.PostJsonAsync("/api/members", new { displayName = "Ann", layer = "regular", membership = new { communityId = community } }))
            .ReadAsync<MemberDto>()).Id;

        Assert.False((await a.Owner.Api.GetJsonAsync<ProfileTemplateDto>("/api/profile-template")).IsDefault);
        var theirs = await b.Owner.Api.GetJsonAsync<ProfileTemplateDto>("/api/profile-template");
        Assert.True(theirs.IsDefault);
        Assert.DoesNotContain(theirs.Fields, f => f.Name == "年龄");
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PostAsync($"/api/members/{ann}/profile-link", null, Ct)).StatusCode);

        var made = await a.Owner.Api.PostAsync($"/api/members/{ann}/profile-link", null, Ct);
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var path = LinkPath().Match((await made.ReadAsync<ProfileLinkDto>()).Url).Value;
        // Nobody acts when the form opens: the link (and then A's template) is found from the token alone.
        var web = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await web.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("profile-form", html, StringComparison.Ordinal);
        Assert.Contains("年龄", html, StringComparison.Ordinal);
        var age = (await a.Owner.Api.GetJsonAsync<ProfileTemplateDto>("/api/profile-template")).Fields.Single(f => f.Name == "年龄").Key;
        var done = await web.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["f.city"] = "成都", [$"f.{age}"] = "40", ["consent"] = "yes",
        }), Ct);
        Assert.Contains("profile-form-thanks", await done.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("40", await InScopeAsync(a.Id, db => db.Set<MemberFieldValue>().Where(v => v.MemberId == ann && v.Key == age).Select(v => v.Value).SingleAsync(Ct)));
        Assert.Equal(0, await InScopeAsync(b.Id, db => db.Set<MemberFieldValue>().CountAsync(v => v.MemberId == ann, Ct)));
    }

    [Fact]
    public async Task ApprovingATelegramGroup_DoesNotTakeTheCommunityAnotherWorkspaceMappedToTheSameChat()
    {
        var (a, b) = (await factory.NewWorkspaceAsync(), await factory.NewWorkspaceAsync());
        var chatId = -1_000_000_000_000 - Random.Shared.NextInt64(1, 1_000_000_000);
        var key = chatId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // A maps the chat to a community of its own; B's bot is in the same group, waiting for approval.
        var theirs = await InScopeAsync(a.Id, async db =>
        {
            var community = new Community { WorkspaceId = a.Id, Name = "A 的电报群", Platform = ChatPlatform.Telegram, Capacity = 500 };
            db.Communities.Add(community);
            db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = a.Id, Platform = ChatPlatform.Telegram, ChatId = key, CommunityId = community.Id });
            await db.SaveChangesAsync(Ct);
            return community.Id;
        });
        var pending = await InScopeAsync(b.Id, async db =>
        {
            var chat = new TelegramChat { WorkspaceId = b.Id, BotId = Guid.NewGuid(), ChatId = chatId, Title = "共同的群", Type = "supergroup", BotStatus = "member" };
            db.Set<TelegramChat>().Add(chat);
            await db.SaveChangesAsync(Ct);
            return chat.Id;
        });

        var approved = await (await b.Owner.Api.PostAsync($"/api/telegram/chats/{pending}/approve", null, Ct)).ReadAsync<TelegramChatDto>();
        Assert.NotNull(approved.CommunityId);
        Assert.NotEqual(theirs, approved.CommunityId);
        var mapped = await InScopeAsync(null, db => db.Set<PlatformChat>().IgnoreQueryFilters()
            .Where(p => p.Platform == ChatPlatform.Telegram && p.ChatId == key).OrderBy(p => p.WorkspaceId == a.Id)
            .Select(p => new { p.WorkspaceId, p.CommunityId }).ToListAsync(Ct));
        Assert.Equal(2, mapped.Count);
        Assert.Contains(mapped, m => m.WorkspaceId == a.Id && m.CommunityId == theirs);
        Assert.Contains(mapped, m => m.WorkspaceId == b.Id && m.CommunityId == approved.CommunityId);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/communities/{theirs}", Ct)).StatusCode);
    }
}

public sealed class WorkspaceFilterTests_Sqlite(SqliteFactory factory) : WorkspaceFilterTests(factory), IClassFixture<SqliteFactory>;

public sealed class WorkspaceFilterTests_Postgres(PostgresFactory factory) : WorkspaceFilterTests(factory), IClassFixture<PostgresFactory>;
