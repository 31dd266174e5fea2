using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Advisor;
using Shequn.Features.Budget;
using Shequn.Features.Calendar;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Responses;
using Shequn.Features.Staff;
using Shequn.Features.Vip;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Advisor;

/// <summary>
/// The advisor over HTTP on small fixed fixtures written straight into the database: each rule once where it must speak
/// and once where it must not, dismissals that hold until the facts change, what each role sees and may do, and the
/// one-click freeze going through the audited community editor.
/// </summary>
public abstract class AdvisorTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static DateTime Now => DateTime.UtcNow;

    private static DateOnly Today => DailyFigures.DayOf(Now, Shanghai);

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await work(db);
    }

    private Task<int> SeedAsync(Guid ws, Action<AppDbContext> add) => DbAsync(ws, db =>
    {
        add(db);
        return db.SaveChangesWithoutAuditAsync(Ct);
    });

    private static Community NewCommunity(Guid ws, string name, int ageDays = 60, CommunityTier tier = CommunityTier.Comprehensive) =>
        new() { WorkspaceId = ws, Name = name, Platform = ChatPlatform.Sandbox, Capacity = 500, Tier = tier, CreatedAt = Now.AddDays(-ageDays), UpdatedAt = Now };

    /// <summary>Members who joined <paramref name="daysAgo"/> days ago, named n0…, with the given nickname (or none).</summary>
    private static List<Member> AddMembers(AppDbContext db, Guid ws, Guid community, int count, string? nickname = null, int daysAgo = 50, string? channel = null)
    {
        var members = Enumerable.Range(0, count).Select(i => new Member { WorkspaceId = ws, DisplayName = $"成员{i}" }).ToList();
        db.AddRange(members);
        db.AddRange(members.Select(m => new Membership
        {
            WorkspaceId = ws, CommunityId = community, MemberId = m.Id, JoinedAt = Now.AddDays(-daysAgo), Nickname = nickname, Channel = channel,
        }));
        return members;
    }

    /// <summary>A day's figures: messages by members and by staff.</summary>
    private static CommunityDailyFigure Figure(Guid ws, Guid community, DateOnly day, int memberMessages, int staffMessages = 0) =>
        new() { WorkspaceId = ws, CommunityId = community, Day = day, Messages = memberMessages + staffMessages, StaffMessages = staffMessages, Speakers = memberMessages > 0 ? 1 : 0 };

    /// <summary>A community where members spoke yesterday and staff posted every day this week: nothing for the community rules to say.</summary>
    private static Community Lively(AppDbContext db, Guid ws, string name)
    {
        var c = NewCommunity(ws, name);
        db.Add(c);
        for (var i = 1; i <= 7; i++)
            db.Add(Figure(ws, c.Id, Today.AddDays(-i), memberMessages: 5, staffMessages: 2));
        return c;
    }

    private static async Task<List<Advice>> AdviceAsync(HttpClient api, bool includeDismissed = false) =>
        await api.GetJsonAsync<List<Advice>>("/api/advisor" + (includeDismissed ? "?includeDismissed=true" : ""));

    private static async Task<List<Advice>> RuleAsync(HttpClient api, AdviceRule rule) => [.. (await AdviceAsync(api)).Where(a => a.Rule == rule)];

    private static long Number(Advice a, string name) => a.Numbers.Single(n => n.Name == name).Value;

    private static long Seq() => Random.Shared.NextInt64(1_000_000_000, long.MaxValue / 2);

    // --- 1. over 350 ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Oversized_Over350Members_IsAdvised_AtOrUnder350Not()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community big = null!, full = null!;
        await SeedAsync(ws.Id, db =>
        {
            big = Lively(db, ws.Id, "大群");
            full = Lively(db, ws.Id, "满群");
            AddMembers(db, ws.Id, big.Id, 351);
            AddMembers(db, ws.Id, full.Id, 350);
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Oversized));
        Assert.Equal((big.Id.ToString(), 351L, 350L), (advice.SubjectId, Number(advice, "Members"), Number(advice, "Limit")));
        Assert.Contains(AdviceAction.OpenCommunity, advice.Actions);
        Assert.Equal($"/communities/{big.Id}", advice.Link);
    }

    [Fact]
    public async Task WorkspaceThresholds_AreWhatTheRulesUse()
    {
        var ws = await factory.NewWorkspaceAsync();
        var busy = await ws.AddStaffAsync(StaffRole.SubOwner, "三群分群主");
        Community six = null!, quiet = null!;
        await SeedAsync(ws.Id, db =>
        {
            six = Lively(db, ws.Id, "六人群");
            AddMembers(db, ws.Id, six.Id, 6);
            AddMembers(db, ws.Id, Lively(db, ws.Id, "五人群").Id, 5);
            foreach (var c in new[] { six, Lively(db, ws.Id, "群甲"), Lively(db, ws.Id, "群乙") })
                db.Add(new CommunityStaff { CommunityId = c.Id, StaffUserId = busy.Id, Role = CommunityRole.SubOwner });
            // Members last spoke 12 days ago: silent for a 10-day threshold, not for the seeds' 30.
            quiet = NewCommunity(ws.Id, "安静群");
            db.Add(quiet);
            db.Add(Figure(ws.Id, quiet.Id, Today.AddDays(-12), memberMessages: 3));
        });
        Assert.DoesNotContain(await AdviceAsync(ws.Owner.Api), a => a.Rule is AdviceRule.Oversized or AdviceRule.SubOwnerOverloaded or AdviceRule.Silent);

        var saved = await ws.Owner.Api.PutJsonAsync("/api/workspace", new { advisor = AdvisorThresholds.Default with { MaxMembers = 5, MaxSubOwnerCommunities = 2, SilentDays = 10 } });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);

        var oversized = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Oversized));
        Assert.Equal((six.Id.ToString(), 6L, 5L), (oversized.SubjectId, Number(oversized, "Members"), Number(oversized, "Limit")));
        var overloaded = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.SubOwnerOverloaded));
        Assert.Equal((busy.Id.ToString(), 3L, 2L), (overloaded.SubjectId, Number(overloaded, "Communities"), Number(overloaded, "Limit")));
        var silent = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));
        Assert.Equal((quiet.Id.ToString(), 12L), (silent.SubjectId, Number(silent, "SilentDays")));
    }

    // --- 2. sub-owner with more than 4 -----------------------------------------------------------------------------

    [Fact]
    public async Task SubOwner_With5Communities_IsAdvised_With4Not()
    {
        var ws = await factory.NewWorkspaceAsync();
        var busy = await ws.AddStaffAsync(StaffRole.SubOwner, "忙碌分群主");
        var fine = await ws.AddStaffAsync(StaffRole.SubOwner, "正常分群主");
        await SeedAsync(ws.Id, db =>
        {
            for (var i = 0; i < 5; i++)
            {
                var c = Lively(db, ws.Id, $"群{i}");
                db.Add(new CommunityStaff { CommunityId = c.Id, StaffUserId = busy.Id, Role = CommunityRole.SubOwner });
                if (i < 4)
                    db.Add(new CommunityStaff { CommunityId = c.Id, StaffUserId = fine.Id, Role = CommunityRole.SubOwner });
            }
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.SubOwnerOverloaded));
        Assert.Equal((busy.Id.ToString(), "忙碌分群主", 5L), (advice.SubjectId, advice.SubjectName, Number(advice, "Communities")));
        Assert.Equal(AdviceSubject.Staff, advice.SubjectKind);
    }

    // --- 3. silent for 30 days -------------------------------------------------------------------------------------

    [Fact]
    public async Task Silent_NoMemberMessageFor30Days_IsAdvised_WithCoreMembersStillIn_MostActiveFirst()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community quiet = null!;
        List<Member> members = null!;
        await SeedAsync(ws.Id, db =>
        {
            quiet = NewCommunity(ws.Id, "沉默群");
            db.Add(quiet);
            members = AddMembers(db, ws.Id, quiet.Id, 3);
            // Members last spoke 35 days ago; staff kept posting since, which does not make the group alive.
            db.Add(Figure(ws.Id, quiet.Id, Today.AddDays(-35), memberMessages: 40));
            db.Add(Figure(ws.Id, quiet.Id, Today.AddDays(-3), memberMessages: 0, staffMessages: 4));
            db.Add(new MemberActivity { WorkspaceId = ws.Id, CommunityId = quiet.Id, MemberId = members[0].Id, Messages = 5, FirstSpokeAt = Now.AddDays(-50), LastSpokeAt = Now.AddDays(-35) });
            db.Add(new MemberActivity { WorkspaceId = ws.Id, CommunityId = quiet.Id, MemberId = members[1].Id, Messages = 30, FirstSpokeAt = Now.AddDays(-50), LastSpokeAt = Now.AddDays(-36) });
            // The most active of all left: not a core member to migrate.
            var gone = AddMembers(db, ws.Id, quiet.Id, 1)[0];
            db.Add(new MemberActivity { WorkspaceId = ws.Id, CommunityId = quiet.Id, MemberId = gone.Id, Messages = 99, FirstSpokeAt = Now.AddDays(-50), LastSpokeAt = Now.AddDays(-40) });
            db.ChangeTracker.Entries<Membership>().Single(e => e.Entity.MemberId == gone.Id).Entity.LeftAt = Now.AddDays(-31);
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));
        Assert.Equal(quiet.Id.ToString(), advice.SubjectId);
        Assert.Equal(35, Number(advice, "SilentDays"));
        Assert.Equal(3, Number(advice, "Members"));
        Assert.Equal([members[1].Id, members[0].Id], advice.CoreMembers!.Select(m => m.MemberId));
        Assert.Equal(30, advice.CoreMembers![0].Messages);
        Assert.Contains(AdviceAction.Freeze, advice.Actions);
        Assert.Equal(AdviceSeverity.Critical, advice.Severity);
    }

    [Fact]
    public async Task Silent_MemberSpokeWithin30Days_OrYoungCommunity_IsNotAdvised()
    {
        var ws = await factory.NewWorkspaceAsync();
        await SeedAsync(ws.Id, db =>
        {
            var spoke = NewCommunity(ws.Id, "有人说话");
            db.Add(spoke);
            db.Add(Figure(ws.Id, spoke.Id, Today.AddDays(-29), memberMessages: 1));
            db.Add(NewCommunity(ws.Id, "新群", ageDays: 10));
            var frozen = NewCommunity(ws.Id, "已冻结");
            frozen.State = CommunityState.Frozen;
            db.Add(frozen);
        });

        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));
    }

    // --- 4. days without content, commercial content every day -----------------------------------------------------

    private static void Post(AppDbContext db, Guid ws, Guid community, DateOnly day, ContentType type)
    {
        var due = DailyFigures.StartOf(day, Shanghai).AddHours(12);
        var post = new Post { WorkspaceId = ws, Title = "推送", Text = "内容", ContentType = type, DueAt = due, Status = PostStatus.Approved };
        db.Add(post);
        db.Add(new PostDelivery { WorkspaceId = ws, PostId = post.Id, CommunityId = community, DueAt = due, State = DeliveryState.Enqueued });
    }

    [Fact]
    public async Task Content_DaysWithoutContent_AndCommercialEveryDay_AreAdvised()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community empty = null!, selling = null!;
        await SeedAsync(ws.Id, db =>
        {
            // Members talk, but nobody from the brand said or posted anything this week.
            empty = NewCommunity(ws.Id, "无内容群");
            db.Add(empty);
            for (var i = 1; i <= 7; i++)
                db.Add(Figure(ws.Id, empty.Id, Today.AddDays(-i), memberMessages: 3));
            selling = NewCommunity(ws.Id, "天天卖货");
            db.Add(selling);
            db.Add(Figure(ws.Id, selling.Id, Today.AddDays(-1), memberMessages: 3));
            for (var i = 1; i <= 8; i++)
                Post(db, ws.Id, selling.Id, Today.AddDays(-i), i % 2 == 0 ? ContentType.ProductOfTheDay : ContentType.Solitaire);
        });

        var list = await AdviceAsync(ws.Owner.Api);
        var none = Assert.Single(list, a => a.Rule == AdviceRule.NoContent);
        Assert.Equal((empty.Id.ToString(), 7L), (none.SubjectId, Number(none, "DaysWithoutContent")));
        var commercial = Assert.Single(list, a => a.Rule == AdviceRule.CommercialEveryDay);
        Assert.Equal(selling.Id.ToString(), commercial.SubjectId);
        Assert.Equal(7, Number(commercial, "CommercialDays"));
    }

    [Fact]
    public async Task Content_StaffMessagesMostDays_AndAKnowledgeDay_AreNotAdvised()
    {
        var ws = await factory.NewWorkspaceAsync();
        await SeedAsync(ws.Id, db =>
        {
            // Two days without content out of seven: under the three that make advice.
            var c = NewCommunity(ws.Id, "正常群");
            db.Add(c);
            for (var i = 1; i <= 7; i++)
                db.Add(Figure(ws.Id, c.Id, Today.AddDays(-i), memberMessages: 3, staffMessages: i <= 5 ? 1 : 0));
            var mixed = NewCommunity(ws.Id, "有知识日");
            db.Add(mixed);
            db.Add(Figure(ws.Id, mixed.Id, Today.AddDays(-1), memberMessages: 3));
            for (var i = 1; i <= 7; i++)
                Post(db, ws.Id, mixed.Id, Today.AddDays(-i), i == 4 ? ContentType.Knowledge : ContentType.ProductOfTheDay);
        });

        var list = await AdviceAsync(ws.Owner.Api);
        Assert.DoesNotContain(list, a => a.Rule is AdviceRule.NoContent or AdviceRule.CommercialEveryDay);
    }

    // --- 5. questions left unanswered ------------------------------------------------------------------------------

    private static MemberQuestion Question(Guid ws, Guid community, Guid member, DateTime askedAt, DateTime? answeredAt = null) => new()
    {
        WorkspaceId = ws, CommunityId = community, MemberId = member, UserId = "u-" + member.ToString("N")[..8], Text = "什么时候发货？", EventSeq = Seq(),
        AskedAt = askedAt, AnsweredAt = answeredAt, AnswerSeconds = answeredAt is { } a ? (int)(a - askedAt).TotalSeconds : null,
    };

    [Fact]
    public async Task Unanswered_QuestionsWaitingOverHalfAnHour_AreAdvised_AnsweredOrFreshOnesNot()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community waiting = null!;
        await SeedAsync(ws.Id, db =>
        {
            waiting = Lively(db, ws.Id, "等回答");
            var m = AddMembers(db, ws.Id, waiting.Id, 1)[0];
            db.Add(Question(ws.Id, waiting.Id, m.Id, Now.AddHours(-2)));
            db.Add(Question(ws.Id, waiting.Id, m.Id, Now.AddHours(-5)));
            var fine = Lively(db, ws.Id, "都答了");
            var n = AddMembers(db, ws.Id, fine.Id, 1)[0];
            db.Add(Question(ws.Id, fine.Id, n.Id, Now.AddHours(-2), Now.AddHours(-2).AddMinutes(1)));
            db.Add(Question(ws.Id, fine.Id, n.Id, Now.AddMinutes(-5)));
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Unanswered));
        Assert.Equal((waiting.Id.ToString(), 2L, 5L), (advice.SubjectId, Number(advice, "Waiting"), Number(advice, "OldestHours")));
    }

    // --- 6. VIP candidates -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Vip_HelpfulTenuredMember_IsAdvised_UntilInvited()
    {
        var ws = await factory.NewWorkspaceAsync();
        Member helper = null!;
        Community general = null!, vip = null!;
        await SeedAsync(ws.Id, db =>
        {
            general = Lively(db, ws.Id, "综合群");
            vip = NewCommunity(ws.Id, "VIP群", tier: CommunityTier.VipPaying);
            db.Add(vip);
            var members = AddMembers(db, ws.Id, general.Id, 3, daysAgo: 40);
            helper = members[0];
            // Answered three questions of others in the last 30 days (the default rules); member 1 answered two.
            for (var i = 0; i < 3; i++)
            {
                var q = Question(ws.Id, general.Id, members[2].Id, Now.AddDays(-2 - i), Now.AddDays(-2 - i).AddMinutes(1));
                q.AnsweredByMemberId = helper.Id;
                q.AnsweredByKind = AnswererKind.Koc;
                db.Add(q);
            }
            for (var i = 0; i < 2; i++)
            {
                var q = Question(ws.Id, general.Id, members[2].Id, Now.AddDays(-3 - i), Now.AddDays(-3 - i).AddMinutes(1));
                q.AnsweredByMemberId = members[1].Id;
                q.AnsweredByKind = AnswererKind.Koc;
                db.Add(q);
            }
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.VipCandidates));
        Assert.Equal(1, Number(advice, "Candidates"));

        await SeedAsync(ws.Id, db => db.Add(new VipInvitation { WorkspaceId = ws.Id, MemberId = helper.Id, CommunityId = vip.Id, InvitedAt = Now }));
        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.VipCandidates));
    }

    // --- 7. nicknames ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Nicknames_ThreeBreakingTheRuleSetsFormat_AreAdvised_TwoNot()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community bad = null!;
        await SeedAsync(ws.Id, db =>
        {
            db.Add(new RuleSet { WorkspaceId = ws.Id, Name = "默认群规", IsDefault = true, Spec = new RuleSetSpec { NicknameFormat = "城市-行业-昵称" }.ToJson() });
            bad = Lively(db, ws.Id, "昵称乱");
            AddMembers(db, ws.Id, bad.Id, 3, nickname: "小明");
            AddMembers(db, ws.Id, bad.Id, 2, nickname: "西安-美业-小红");
            var almost = Lively(db, ws.Id, "昵称好");
            AddMembers(db, ws.Id, almost.Id, 2, nickname: "阿强");
            AddMembers(db, ws.Id, almost.Id, 5, nickname: "上海－餐饮－阿美");
            AddMembers(db, ws.Id, almost.Id, 4); // no nickname known: not counted
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Nicknames));
        Assert.Equal((bad.Id.ToString(), 3L), (advice.SubjectId, Number(advice, "Breaking")));
    }

    /// <summary>A nickname saved while its community is being rechecked waits for the recheck's commit and is flagged
    /// against the format the recheck records, not the one recorded when the save began (a flag against the old format
    /// would stay wrong until the nickname changed again).</summary>
    [Fact]
    public async Task Nicknames_SavedDuringARecheck_FlaggedAgainstTheNewFormat()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community c = null!;
        RuleSet set = null!;
        await SeedAsync(ws.Id, db =>
        {
            set = db.Add(new RuleSet { WorkspaceId = ws.Id, Name = "默认群规", IsDefault = true, Spec = new RuleSetSpec { NicknameFormat = "城市-行业-昵称" }.ToJson() }).Entity;
            c = Lively(db, ws.Id, "复查中");
            AddMembers(db, ws.Id, c.Id, 2, nickname: "小明");
        });
        Assert.Equal(1, await DbAsync(ws.Id, db => NicknameFlags.RefreshAsync(db, Ct)));
        var underscores = (RuleSetSpec.FromJson(set.Spec) with { NicknameFormat = "城市_昵称" }).ToJson();
        await DbAsync(ws.Id, db => db.Set<RuleSet>().Where(r => r.Id == set.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Spec, underscores), Ct));

        // The recheck, in a transaction left open: it has claimed the community and rewritten its flags.
        await using var recheckScope = factory.Services.CreateAsyncScope();
        var recheck = recheckScope.ServiceProvider.GetRequiredService<AppDbContext>();
        recheck.Current.ActAsSystem(ws.Id);
        await using var tx = await recheck.Database.BeginTransactionAsync(Ct);
        Assert.Equal(1, await NicknameFlags.RefreshAsync(recheck, Ct));

        // Meanwhile a member joins with a nickname that follows the new format (and breaks the old one).
        var save = Task.Run(() => SeedAsync(ws.Id, db => AddMembers(db, ws.Id, c.Id, 1, nickname: "北京_小红")), Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.False(save.IsCompleted, "the save must wait for the recheck's commit");
        await tx.CommitAsync(Ct);
        await save;

        var flags = await DbAsync(ws.Id, db => db.Memberships.Where(m => m.CommunityId == c.Id).Select(m => new { m.Nickname, m.NicknameBreaksFormat }).ToListAsync(Ct));
        Assert.Equal(false, flags.Single(f => f.Nickname == "北京_小红").NicknameBreaksFormat);
        Assert.All(flags.Where(f => f.Nickname == "小明"), f => Assert.Equal(true, f.NicknameBreaksFormat));
    }

    /// <summary>The stored flags (NicknameFlags): filled by the refresh (the backfill), set by a save that changes a
    /// nickname, rechecked by the job's next pass (not in the request) when the rule set's format is saved or another rule
    /// set is chosen; the advice read from them, or from the names while they are stale, is the same.</summary>
    [Fact]
    public async Task Nicknames_StoredFlags_FollowNicknameAndFormatChanges()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community bad = null!;
        RuleSet set = null!;
        await SeedAsync(ws.Id, db =>
        {
            set = db.Add(new RuleSet { WorkspaceId = ws.Id, Name = "默认群规", IsDefault = true, Spec = new RuleSetSpec { NicknameFormat = "城市-行业-昵称" }.ToJson() }).Entity;
            bad = Lively(db, ws.Id, "昵称乱");
            AddMembers(db, ws.Id, bad.Id, 3, nickname: "小明");
            AddMembers(db, ws.Id, bad.Id, 2, nickname: "西安-美业-小红");
        });
        // In the nicknames' ordinal order (北京… 小明 西安… 阿花), whatever the database's collation.
        async Task<List<bool?>> FlagsAsync() => [.. (await DbAsync(ws.Id, db => db.Memberships.Where(m => m.CommunityId == bad.Id)
            .Select(m => new { m.Nickname, m.NicknameBreaksFormat }).ToListAsync(Ct))).OrderBy(m => m.Nickname, StringComparer.Ordinal).Select(m => m.NicknameBreaksFormat)];
        async Task<long?> BreakingAsync() => (await RuleAsync(ws.Owner.Api, AdviceRule.Nicknames)).Select(a => (long?)Number(a, "Breaking")).SingleOrDefault();

        // Before the refresh nothing is recorded: the advisor checks the names itself.
        Assert.Equal([null, null, null, null, null], await FlagsAsync());
        Assert.Equal(3, await BreakingAsync());
        Assert.True(await DbAsync(ws.Id, db => NicknameFlags.RefreshAsync(db, Ct)) >= 1);
        Assert.Equal([true, true, true, false, false], await FlagsAsync());
        Assert.Equal("城市-行业-昵称", await DbAsync(ws.Id, db => db.Communities.Where(c => c.Id == bad.Id).Select(c => c.NicknameFormatChecked).SingleAsync(Ct)));
        Assert.Equal(0, await DbAsync(ws.Id, db => NicknameFlags.RefreshAsync(db, Ct)));
        Assert.Equal(3, await BreakingAsync());

        // A nickname changed to follow the format: its flag clears, two breakers are below the advice's minimum.
        await DbAsync(ws.Id, async db =>
        {
            var m = await db.Memberships.FirstAsync(x => x.CommunityId == bad.Id && x.Nickname == "小明", Ct);
            m.Nickname = "北京-教育-小明";
            return await db.SaveChangesAsync(Ct);
        });
        Assert.Equal([false, true, true, false, false], await FlagsAsync());
        Assert.Null(await BreakingAsync());

        // A new member with a breaking nickname: flagged as saved.
        await SeedAsync(ws.Id, db => AddMembers(db, ws.Id, bad.Id, 1, nickname: "阿花"));
        Assert.Equal([false, true, true, false, false, true], await FlagsAsync());
        Assert.Equal(3, await BreakingAsync());

        // The rule set's format changes to one separated by '_': every nickname with dashes breaks it now. The editor
        // leaves the recheck to the background job: the flags and the recorded format are as they were, and the advisor,
        // seeing the community stale, checks its nicknames itself.
        async Task<string?> RecordedAsync() => await DbAsync(ws.Id, db => db.Communities.Where(c => c.Id == bad.Id).Select(c => c.NicknameFormatChecked).SingleAsync(Ct));
        var spec = RuleSetSpec.FromJson(set.Spec) with { NicknameFormat = "城市_昵称" };
        (await ws.Owner.Api.PutJsonAsync($"/api/rulesets/{set.Id}", new RuleSetInput("默认群规", Spec: spec))).EnsureSuccessStatusCode();
        Assert.Equal([false, true, true, false, false, true], await FlagsAsync());
        Assert.Equal("城市-行业-昵称", await RecordedAsync());
        Assert.Equal(6, await BreakingAsync());

        // One pass of the job (the one the edit wakes): the flags follow the new format, which is recorded.
        var refresh = factory.Services.GetRequiredService<NicknameFlagRefresh>();
        Assert.Equal(1, await refresh.RunOnceAsync([ws.Id], Ct));
        Assert.Equal([true, true, true, true, true, true], await FlagsAsync());
        Assert.Equal("城市_昵称", await RecordedAsync());
        Assert.Equal(6, await BreakingAsync());

        // Back to dashes by choosing another rule set for the community: stale again until the next pass, same advice.
        var dashes = await DbAsync(ws.Id, async db =>
        {
            var other = db.Add(new RuleSet { WorkspaceId = ws.Id, Name = "横线群规", Spec = new RuleSetSpec { NicknameFormat = "城市-行业-昵称" }.ToJson() }).Entity;
            await db.SaveChangesWithoutAuditAsync(Ct);
            return other.Id;
        });
        (await ws.Owner.Api.PutJsonAsync($"/api/communities/{bad.Id}/ruleset", new CommunityRuleSetInput(dashes))).EnsureSuccessStatusCode();
        Assert.Equal([true, true, true, true, true, true], await FlagsAsync());
        Assert.Equal(3, await BreakingAsync());
        Assert.Equal(1, await refresh.RunOnceAsync([ws.Id], Ct));
        Assert.Equal([false, true, true, false, false, true], await FlagsAsync());
        Assert.Equal("城市-行业-昵称", await RecordedAsync());
        Assert.Equal(3, await BreakingAsync());
        Assert.Equal(0, await refresh.RunOnceAsync([ws.Id], Ct));
    }

    // --- 8. response rate dropped ----------------------------------------------------------------------------------

    private static MemberQuestion StaffAnswer(Guid ws, Guid community, Guid member, DateTime askedAt, int seconds, string staff)
    {
        var q = Question(ws, community, member, askedAt, askedAt.AddSeconds(seconds));
        q.AnsweredByKind = AnswererKind.Staff;
        q.AnsweredByUserId = staff;
        q.AnsweredByName = staff == "staff:a" ? "小李" : "小王";
        return q;
    }

    [Fact]
    public async Task ResponseRate_DroppedByTwentyPoints_IsAdvised_SteadyNot()
    {
        var ws = await factory.NewWorkspaceAsync();
        await SeedAsync(ws.Id, db =>
        {
            var c = Lively(db, ws.Id, "应答群");
            var m = AddMembers(db, ws.Id, c.Id, 1)[0];
            for (var i = 0; i < 5; i++)
            {
                // 小李: all five within 5 minutes last week, two of five this week. 小王: all within both weeks.
                db.Add(StaffAnswer(ws.Id, c.Id, m.Id, Now.AddDays(-9).AddHours(i), 60, "staff:a"));
                db.Add(StaffAnswer(ws.Id, c.Id, m.Id, Now.AddDays(-1).AddHours(-i), i < 2 ? 60 : 900, "staff:a"));
                db.Add(StaffAnswer(ws.Id, c.Id, m.Id, Now.AddDays(-9).AddHours(i), 30, "staff:b"));
                db.Add(StaffAnswer(ws.Id, c.Id, m.Id, Now.AddDays(-1).AddHours(-i), 45, "staff:b"));
            }
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.ResponseRateDropped));
        Assert.Equal(("staff:a", "小李", 40L, 100L), (advice.SubjectId, advice.SubjectName, Number(advice, "RatePercent"), Number(advice, "PreviousRatePercent")));
    }

    // --- 9. campaign behind at half time ---------------------------------------------------------------------------

    private static Campaign RunningCampaign(Guid ws, string name, Guid community, double daysIn, double daysLeft) => new()
    {
        WorkspaceId = ws, Name = name, Kind = CampaignKind.CheckIn, Status = CampaignStatus.Published, StartsAt = Now.AddDays(-daysIn), EndsAt = Now.AddDays(daysLeft),
        GoalMetric = GoalMetric.Participants, GoalTarget = 10, Slug = Campaign.NewSlug(), CommunityIds = $"[\"{community}\"]",
    };

    [Fact]
    public async Task Campaign_PastHalfTimeUnderHalfItsGoal_IsAdvised_BeforeHalfTimeNot()
    {
        var ws = await factory.NewWorkspaceAsync();
        Campaign late = null!;
        await SeedAsync(ws.Id, db =>
        {
            var c = Lively(db, ws.Id, "活动群");
            late = RunningCampaign(ws.Id, "过半落后", c.Id, daysIn: 6, daysLeft: 4);
            db.Add(late);
            db.Add(RunningCampaign(ws.Id, "刚开始", c.Id, daysIn: 4, daysLeft: 6));
        });

        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.CampaignBehind));
        Assert.Equal((late.Id.ToString(), 0L, 10L), (advice.SubjectId, Number(advice, "Achieved"), Number(advice, "Target")));
        Assert.InRange(Number(advice, "ElapsedPercent"), 59, 60);
    }

    // --- 10. channel cost per retained member ----------------------------------------------------------------------

    private async Task<TestWorkspace> ChannelsAsync(decimal dearCostYuan)
    {
        var ws = await factory.NewWorkspaceAsync();
        await SeedAsync(ws.Id, db =>
        {
            var c = Lively(db, ws.Id, "渠道群");
            foreach (var (name, cost) in new[] { ("公众号", 100m), ("直播间", 120m), ("包裹卡", dearCostYuan) })
            {
                db.Add(new AcquisitionChannel { WorkspaceId = ws.Id, Name = name, Cost = cost, CostUnit = CostUnit.Total, CreatedAt = Now.AddDays(-100) });
                // Ten joined six weeks ago through each channel and are still in.
                AddMembers(db, ws.Id, c.Id, 10, daysAgo: 42, channel: name);
            }
        });
        return ws;
    }

    [Fact]
    public async Task Channel_CostPerRetainedFarAboveTheOthers_IsAdvised()
    {
        var ws = await ChannelsAsync(1_000m);
        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.ChannelCostly));
        Assert.Equal("包裹卡", advice.SubjectName);
        Assert.Equal((100L, 11L, 10L), (Number(advice, "CostPerRetainedYuan"), Number(advice, "OthersMedianYuan"), Number(advice, "Retained")));
    }

    [Fact]
    public async Task Channel_CostPerRetainedWithinTwiceTheOthers_IsNotAdvised()
    {
        var ws = await ChannelsAsync(200m);
        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.ChannelCostly));
    }

    // --- 11. monthly budget ----------------------------------------------------------------------------------------

    private async Task<TestWorkspace> BudgetAsync(CostKind kind, long amountFen)
    {
        var ws = await factory.NewWorkspaceAsync();
        await SeedAsync(ws.Id, db =>
        {
            db.Add(new BudgetCap { WorkspaceId = ws.Id, FromMonth = BudgetBook.MonthOf(Today), CapFen = 500_000 });
            db.Add(new CostEntry { WorkspaceId = ws.Id, Day = Today, Kind = kind, Category = CostCategory.ActivityFunds, Item = "红包", AmountFen = amountFen });
        });
        return ws;
    }

    [Fact]
    public async Task Budget_SpendingPastTheCap_IsAdvised()
    {
        var ws = await BudgetAsync(CostKind.Floating, 500_100);
        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.BudgetOverrun));
        Assert.Equal((5_001L, 5_000L, AdviceSeverity.Critical), (Number(advice, "SpentYuan"), Number(advice, "CapYuan"), advice.Severity));
    }

    [Fact]
    public async Task Budget_FixedCostsUnderTheCap_AreNotProjected_NotAdvised()
    {
        // Fixed costs are booked once a month: half the cap on the first day is not a pace to project.
        var ws = await BudgetAsync(CostKind.Fixed, 250_000);
        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.BudgetOverrun));
    }

    // --- dismissal, roles, the freeze ------------------------------------------------------------------------------

    private async Task<(TestWorkspace Ws, Community Quiet)> SilentWorkspaceAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community quiet = null!;
        await SeedAsync(ws.Id, db =>
        {
            quiet = NewCommunity(ws.Id, "沉默群");
            db.Add(quiet);
            AddMembers(db, ws.Id, quiet.Id, 2);
            db.Add(Figure(ws.Id, quiet.Id, Today.AddDays(-40), memberMessages: 3));
        });
        return (ws, quiet);
    }

    [Fact]
    public async Task Dismiss_HidesTheAdvice_UntilItsFactsChange()
    {
        var (ws, quiet) = await SilentWorkspaceAsync();
        var api = ws.Owner.Api;
        var advice = Assert.Single(await RuleAsync(api, AdviceRule.Silent));

        var stale = await api.PostJsonAsync("/api/advisor/dismiss", new { rule = "silent", subjectId = advice.SubjectId, fingerprint = "last:1999-01-01" });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostJsonAsync("/api/advisor/dismiss", new { rule = "silent", subjectId = advice.SubjectId, advice.Fingerprint })).StatusCode);

        Assert.Empty(await RuleAsync(api, AdviceRule.Silent));
        var shown = Assert.Single(await AdviceAsync(api, includeDismissed: true), a => a.Rule == AdviceRule.Silent);
        Assert.True(shown.Dismissed);
        Assert.Equal(1, await DbAsync(ws.Id, db => db.AuditEntries.CountAsync(e => e.EntityType == nameof(AdviceDismissal), Ct)));

        // A member spoke 33 days ago (an import filled the day in): still silent, but a new fact, so the advice is back.
        await SeedAsync(ws.Id, db => db.Add(Figure(ws.Id, quiet.Id, Today.AddDays(-33), memberMessages: 1)));
        var back = Assert.Single(await RuleAsync(api, AdviceRule.Silent));
        Assert.False(back.Dismissed);
        Assert.Equal(33, Number(back, "SilentDays"));
    }

    [Fact]
    public async Task Dismiss_BadInput_NamesTheField_AndReadersMayNotDismissOrFreeze()
    {
        var (ws, quiet) = await SilentWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/advisor/dismiss", new { rule = "nonsense", subjectId = "x", fingerprint = "y" })).ReadValidationErrorsAsync();
        Assert.Contains("rule", errors.Keys);
        errors = await (await ws.Owner.Api.PostJsonAsync("/api/advisor/dismiss", new { rule = "silent" })).ReadValidationErrorsAsync();
        Assert.Equal(["fingerprint", "subjectId"], errors.Keys.Order(StringComparer.Ordinal));
        errors = await (await ws.Owner.Api.PostJsonAsync("/api/advisor/freeze", new { })).ReadValidationErrorsAsync();
        Assert.Contains("communityId", errors.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.PostJsonAsync("/api/advisor/dismiss", new { rule = "oversized", subjectId = quiet.Id, fingerprint = "y" })).StatusCode);

        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", quiet.Id);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", quiet.Id);
        foreach (var reader in new[] { op, koc })
        {
            var advice = Assert.Single(await RuleAsync(reader.Api, AdviceRule.Silent));
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.Api.PostJsonAsync("/api/advisor/dismiss", new { rule = "silent", subjectId = advice.SubjectId, advice.Fingerprint })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.Api.PostJsonAsync("/api/advisor/freeze", new { communityId = quiet.Id })).StatusCode);
        }
        Assert.Equal(CommunityState.Active, await DbAsync(ws.Id, db => db.Communities.Where(c => c.Id == quiet.Id).Select(c => c.State).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Undismiss_ShowsTheAdviceAgainNow_Audited_ForThoseWhoMayAct()
    {
        var (ws, quiet) = await SilentWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        await SeedAsync(ws.Id, db => db.Add(new CommunityStaff { CommunityId = quiet.Id, StaffUserId = sub.Id, Role = CommunityRole.SubOwner }));
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", quiet.Id);
        var advice = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync("/api/advisor/dismiss", new { rule = "silent", subjectId = advice.SubjectId, advice.Fingerprint })).StatusCode);
        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));

        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/advisor/undismiss", new { rule = "silent", subjectId = advice.SubjectId })).StatusCode);
        var errors = await (await sub.Api.PostJsonAsync("/api/advisor/undismiss", new { rule = "silent" })).ReadValidationErrorsAsync();
        Assert.Equal(["subjectId"], errors.Keys);
        errors = await (await sub.Api.PostJsonAsync("/api/advisor/undismiss", new { subjectId = advice.SubjectId })).ReadValidationErrorsAsync();
        Assert.Equal(["rule"], errors.Keys);
        Assert.Equal(HttpStatusCode.NotFound, (await sub.Api.PostJsonAsync("/api/advisor/undismiss", new { rule = "oversized", subjectId = advice.SubjectId })).StatusCode);
        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));

        var response = await sub.Api.PostJsonAsync("/api/advisor/undismiss", new { rule = "silent", subjectId = advice.SubjectId });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await response.ReadAsync<Advice>()).Dismissed);
        // Back for everyone at once, with the same facts; showing it again twice changes nothing.
        var back = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));
        Assert.Equal((advice.Fingerprint, false), (back.Fingerprint, back.Dismissed));
        Assert.Equal(HttpStatusCode.OK, (await sub.Api.PostJsonAsync("/api/advisor/undismiss", new { rule = "silent", subjectId = advice.SubjectId })).StatusCode);
        var audit = await DbAsync(ws.Id, db => db.AuditEntries.Where(e => e.EntityType == nameof(AdviceDismissal)).OrderBy(e => e.Id).Select(e => new { e.Action, e.ActorId }).ToListAsync(Ct));
        Assert.Equal([("created", (Guid?)ws.Owner.Id), ("deleted", (Guid?)sub.Id)], audit.Select(e => (e.Action, e.ActorId)));
        Assert.Equal(0, await DbAsync(ws.Id, db => db.Set<AdviceDismissal>().CountAsync(Ct)));

        // A sub-owner cannot reach advice about a community they do not see.
        Community other = null!;
        await SeedAsync(ws.Id, db =>
        {
            other = NewCommunity(ws.Id, "另一个沉默群");
            db.Add(other);
        });
        var hidden = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Silent), a => a.SubjectId == other.Id.ToString());
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync("/api/advisor/dismiss", new { rule = "silent", subjectId = hidden.SubjectId, hidden.Fingerprint })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sub.Api.PostJsonAsync("/api/advisor/undismiss", new { rule = "silent", subjectId = hidden.SubjectId })).StatusCode);
        Assert.True(Assert.Single(await AdviceAsync(ws.Owner.Api, includeDismissed: true), a => a.SubjectId == hidden.SubjectId).Dismissed);
    }

    [Fact]
    public async Task Scope_OwnerSeesTheWorkspace_OthersOnlyTheirCommunities_AndNoOtherWorkspace()
    {
        var (ws, quiet) = await SilentWorkspaceAsync();
        Community other = null!;
        await SeedAsync(ws.Id, db =>
        {
            other = NewCommunity(ws.Id, "另一个沉默群");
            db.Add(other);
        });
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        await SeedAsync(ws.Id, db => db.Add(new CommunityStaff { CommunityId = quiet.Id, StaffUserId = sub.Id, Role = CommunityRole.SubOwner }));
        var stranger = await factory.NewWorkspaceAsync();

        Assert.Equal(2, (await RuleAsync(ws.Owner.Api, AdviceRule.Silent)).Count);
        Assert.Equal([quiet.Id.ToString()], (await RuleAsync(sub.Api, AdviceRule.Silent)).Select(a => a.SubjectId));
        Assert.Empty(await AdviceAsync(stranger.Owner.Api));
        Assert.Equal(HttpStatusCode.NotFound, (await sub.Api.PostJsonAsync("/api/advisor/freeze", new { communityId = other.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Owner.Api.PostJsonAsync("/api/advisor/freeze", new { communityId = quiet.Id })).StatusCode);
    }

    [Fact]
    public async Task Freeze_FreezesThroughTheEditor_Audited_AndTheAdviceGoes()
    {
        var (ws, quiet) = await SilentWorkspaceAsync();
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        await SeedAsync(ws.Id, db => db.Add(new CommunityStaff { CommunityId = quiet.Id, StaffUserId = sub.Id, Role = CommunityRole.SubOwner }));

        var response = await sub.Api.PostJsonAsync("/api/advisor/freeze", new { communityId = quiet.Id });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var (state, audit) = await DbAsync(ws.Id, async db => (
            await db.Communities.Where(c => c.Id == quiet.Id).Select(c => c.State).SingleAsync(Ct),
            await db.AuditEntries.Where(e => e.EntityType == nameof(Community) && e.EntityId == quiet.Id.ToString()).ToListAsync(Ct)));
        Assert.Equal(CommunityState.Frozen, state);
        var entry = Assert.Single(audit, e => e.After != null && e.After.Contains("State", StringComparison.Ordinal));
        Assert.Equal(sub.Id, entry.ActorId);
        Assert.Empty(await RuleAsync(ws.Owner.Api, AdviceRule.Silent));
    }

    // --- stop routing --------------------------------------------------------------------------------------------

    /// <summary>
    /// A group of 351 routed by two live codes: "门店活码" sends newcomers to it first and to "新群" after it, "海报活码" only to it.
    /// </summary>
    private async Task<(TestWorkspace Ws, Community Big, Community Small, LiveCode Both, LiveCode Only)> RoutedWorkspaceAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        Community big = null!, small = null!;
        LiveCode both = null!, only = null!;
        await SeedAsync(ws.Id, db =>
        {
            big = Lively(db, ws.Id, "大群");
            small = Lively(db, ws.Id, "新群");
            AddMembers(db, ws.Id, big.Id, 351);
            var channel = new AcquisitionChannel { WorkspaceId = ws.Id, Name = "门店" };
            db.Add(channel);
            LiveCode Code(string name, params Community[] to)
            {
                var code = new LiveCode { WorkspaceId = ws.Id, ChannelId = channel.Id, Name = name, Code = LiveCode.NewCode() };
                code.Routes.AddRange(to.Select((c, i) => new LiveCodeRoute { WorkspaceId = ws.Id, LiveCodeId = code.Id, CommunityId = c.Id, Position = i, Filled = 10 * (i + 1) }));
                db.Add(code);
                return code;
            }
            both = Code("门店活码", big, small);
            only = Code("海报活码", big);
        });
        return (ws, big, small, both, only);
    }

    private Task<List<(Guid Code, Guid Community, int Position, int Filled)>> RoutesAsync(Guid ws) => DbAsync(ws, async db =>
        (await db.Set<LiveCodeRoute>().OrderBy(r => r.LiveCodeId).ThenBy(r => r.Position).Select(r => new { r.LiveCodeId, r.CommunityId, r.Position, r.Filled }).ToListAsync(Ct))
            .Select(r => (r.LiveCodeId, r.CommunityId, r.Position, r.Filled)).ToList());

    [Fact]
    public async Task StopRouting_TakesTheCommunityOffCodesWithAnotherRoute_ThroughTheEditor_AndNamesTheCodeLeft()
    {
        var (ws, big, small, both, only) = await RoutedWorkspaceAsync();
        var before = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Oversized));
        Assert.Equal(("Advisor.Oversized.ReasonRouted", 2L), (before.Why.Key, Number(before, "LiveCodeRoutes")));
        Assert.Equal([AdviceAction.StopRouting, AdviceAction.OpenLiveCodes, AdviceAction.OpenCommunity], before.Actions);

        var response = await ws.Owner.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = big.Id });
        var result = await response.ReadAsync<StopRoutingResult>();
        Assert.Equal((big.Id, "大群"), (result.CommunityId, result.CommunityName));
        Assert.Equal([new ChangedLiveCode(both.Id, "门店活码")], result.Changed);
        var left = Assert.Single(result.Left);
        Assert.Equal((only.Id, "海报活码", RouteLeftReason.OnlyRoute), (left.Id, left.Name, left.Reason));

        // The kept route moved up to the first position with its count; the code routing only to the group is untouched.
        var routes = await RoutesAsync(ws.Id);
        Assert.Equal([(both.Id, small.Id, 0, 20)], routes.Where(r => r.Code == both.Id));
        Assert.Equal([(only.Id, big.Id, 0, 10)], routes.Where(r => r.Code == only.Id));
        var audit = await DbAsync(ws.Id, db => db.AuditEntries.Where(e => e.EntityType == nameof(LiveCode)).Select(e => new { e.EntityId, e.ActorId }).ToListAsync(Ct));
        Assert.Equal([(both.Id.ToString(), (Guid?)ws.Owner.Id)], audit.Select(e => (e.EntityId, e.ActorId)));
        var code = await ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{both.Id}");
        Assert.Equal([small.Id], code.Routes.Select(r => r.CommunityId));

        // One code still routes newcomers there: the advice says so, and a second click changes nothing.
        var after = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Oversized));
        Assert.Equal(("Advisor.Oversized.ReasonRouted", 1L), (after.Why.Key, Number(after, "LiveCodeRoutes")));
        var again = await (await ws.Owner.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = big.Id })).ReadAsync<StopRoutingResult>();
        Assert.Empty(again.Changed);
        Assert.Equal([only.Id], again.Left.Select(l => l.Id));

        // With that code paused nothing routes there any more: the plain "split it" advice, without the action.
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/live-codes/{only.Id}/state", new { state = "paused" })).StatusCode);
        var plain = Assert.Single(await RuleAsync(ws.Owner.Api, AdviceRule.Oversized));
        Assert.Equal(("Advisor.Oversized.Reason", 0L), (plain.Why.Key, Number(plain, "LiveCodeRoutes")));
        Assert.Equal([AdviceAction.OpenCommunity], plain.Actions);
    }

    [Fact]
    public async Task StopRouting_OperatorsAndKocsAreRefused_ASubOwnerChangesOnlyTheCodesTheyMayEdit_BadIdsAreClear()
    {
        var (ws, big, small, both, only) = await RoutedWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", big.Id, small.Id);
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", big.Id, small.Id);
        foreach (var reader in new[] { op, koc })
        {
            var refused = await reader.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = big.Id });
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/advisor/stop-routing", new { })).ReadValidationErrorsAsync();
        Assert.Equal(["communityId"], errors.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, (await ws.Owner.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = "大群" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = Guid.NewGuid() })).StatusCode);
        var stranger = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Owner.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = big.Id })).StatusCode);

        // A sub-owner of the big group only: the code that also routes to a group they do not see is not theirs to edit (and not named).
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主", big.Id);
        var result = await (await sub.Api.PostJsonAsync("/api/advisor/stop-routing", new { communityId = big.Id })).ReadAsync<StopRoutingResult>();
        Assert.Empty(result.Changed);
        Assert.Equal([(only.Id, "海报活码", RouteLeftReason.OnlyRoute), (both.Id, (string?)null, RouteLeftReason.NotEditable)],
            result.Left.Select(l => (l.Id, l.Name, l.Reason)).OrderBy(l => l.Reason));
        Assert.Equal(3, (await RoutesAsync(ws.Id)).Count);
        Assert.Equal(0, await DbAsync(ws.Id, db => db.AuditEntries.CountAsync(e => e.EntityType == nameof(LiveCode), Ct)));
    }

    [Fact]
    public void Bucket_GroupsCountsSoThatNoiseKeepsTheFingerprint()
    {
        Assert.Equal(["0", "1", "2", "3-4", "3-4", "5-9", "10-19", "20-49", "50-99", "100-199", "100-199"],
            new long[] { 0, 1, 2, 3, 4, 7, 12, 30, 99, 100, 150 }.Select(PlaybookAdvisor.Bucket));
    }
}

public sealed class AdvisorTests_Sqlite(SqliteFactory factory) : AdvisorTests(factory), IClassFixture<SqliteFactory>;

public sealed class AdvisorTests_Postgres(PostgresFactory factory) : AdvisorTests(factory), IClassFixture<PostgresFactory>;
