using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Shequn.Features.Acquisition;
using Shequn.Features.Members;
using Shequn.Features.Profiles;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Acquisition;

/// <summary>
/// A landing page's answers feed the profile template: the code links its choice and need questions to template fields,
/// the answers are written for the member matched by phone (at once, or when staff later save a member with that
/// phone), through the template's checks, and a value the member already has is never replaced.
/// </summary>
public abstract class LandingAnswersTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(TestWorkspace Ws, LiveCodeDto Code, string NeedKey);

    /// <summary>A template with the city, the phone, a text field for the need and a choice field; a code asking a city and a need, linked to both.</summary>
    private async Task<Setup> SetupAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var template = await (await ws.Owner.Api.PutJsonAsync("/api/profile-template", new
        {
            fields = new object[]
            {
                new { key = "city" }, new { key = "needs" }, new { key = "phone", personal = true },
                new { name = "想了解", kind = "text" },
                new { name = "区域", kind = "choice", options = new[] { "华东", "华北" } },
            },
        })).ReadAsync<ProfileTemplateDto>();
        var needKey = template.Fields.Single(f => f.Name == "想了解").Key;
        var regionKey = template.Fields.Single(f => f.Name == "区域").Key;
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var shanghai = await LiveCodeKit.CommunityAsync(ws, "上海群");
        var beijing = await LiveCodeKit.CommunityAsync(ws, "北京群");
        object[] routes = [new { communityId = shanghai, choice = "上海" }, new { communityId = beijing, choice = "北京" }];

        // Links that cannot hold the answers are refused, naming the field.
        var bad = await ws.Owner.Api.PostJsonAsync("/api/live-codes", new
        {
            name = "x", channelId = channel, policy = "byChoice", routes, choiceField = regionKey, needField = needKey,
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var body = await bad.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"choiceField\"", body, StringComparison.Ordinal); // 上海 is not an option of 区域
        Assert.Contains("\"needField\"", body, StringComparison.Ordinal); // no need question to answer
        var needs = await ws.Owner.Api.PostJsonAsync("/api/live-codes", new { name = "x", channelId = channel, routes, choiceField = "needs" });
        Assert.Equal(HttpStatusCode.BadRequest, needs.StatusCode);
        Assert.Contains("\"choiceField\"", await needs.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var made = await ws.Owner.Api.PostJsonAsync("/api/live-codes", new
        {
            name = "城市活码", channelId = channel, policy = "byChoice", routes, collectPhone = true,
            choiceQuestion = "您在哪个城市？", choiceField = "city", needQuestion = "您最想了解什么？", needField = needKey,
        });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var code = await made.ReadAsync<LiveCodeDto>();
        var read = await ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}");
        Assert.Equal(("city", needKey), (read.ChoiceField, read.NeedField));
        return new Setup(ws, code, needKey);
    }

    private async Task JoinAsync(Setup s, string address, string choice, string need, string phone)
    {
        var join = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{s.Code.Code}/join", address,
            new() { ["choice"] = choice, ["need"] = need, ["phone"] = phone, ["consent"] = "true" });
        // A phone was left: the page shows the withdrawal link and leads on to the group (no redirect).
        Assert.Equal(StatusCodes.Status200OK, join.Response.StatusCode);
        Assert.Contains("data-testid=\"livecode-kept\"", await LiveCodeKit.BodyAsync(join), StringComparison.Ordinal);
    }

    private Task<(string? City, string? Need, string? Region)> ProfileAsync(Setup s, Guid member) => LiveCodeKit.DbAsync(factory, async db =>
    {
        var city = await db.Members.IgnoreQueryFilters().Where(m => m.Id == member).Select(m => m.City).SingleAsync(Ct);
        var values = await db.Set<MemberFieldValue>().IgnoreQueryFilters().Where(v => v.MemberId == member).ToDictionaryAsync(v => v.Key, v => v.Value, Ct);
        return (city, values.GetValueOrDefault(s.NeedKey), values.Values.FirstOrDefault(v => v is "华东" or "华北"));
    });

    private static async Task<Guid> MemberAsync(TestWorkspace ws, string name, string? phone, string? city = null, Dictionary<string, string?>? values = null)
    {
        var made = await ws.Owner.Api.PostJsonAsync("/api/members", new { displayName = name, layer = "regular", phone, city, values });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        return (await made.ReadAsync<MemberDto>()).Id;
    }

    [Fact]
    public async Task AnswersFillTheLinkedFields_OfAMemberKnownByPhone_AndNeverReplaceAValueTheMemberHas()
    {
        var s = await SetupAsync();
        var known = await MemberAsync(s.Ws, "小王", "13800138001");
        var filled = await MemberAsync(s.Ws, "小李", "13800138002", city: "杭州", values: new() { [s.NeedKey] = "理财" });

        await JoinAsync(s, "192.0.2.21", "北京", "健康食谱", "138 0013 8001");
        await JoinAsync(s, "192.0.2.22", "上海", "带娃", "13800138002");

        Assert.Equal(("北京", "健康食谱", null), await ProfileAsync(s, known));
        Assert.Equal(("杭州", "理财", null), await ProfileAsync(s, filled));
        var leads = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.LiveCodeId == s.Code.Id)
            .OrderBy(l => l.Phone).Select(l => l.MemberId).ToListAsync(Ct));
        Assert.Equal(new Guid?[] { known, filled }, leads);
    }

    [Fact]
    public async Task ALeadLeftBeforeAnyMemberHasItsPhone_FillsTheProfile_WhenStaffSaveAMemberWithThatPhone_Once()
    {
        var s = await SetupAsync();
        await JoinAsync(s, "192.0.2.31", "上海", "带娃", "13900139000");
        await JoinAsync(s, "192.0.2.32", "北京", "减脂", "13900139111");
        Assert.Equal(2, await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeLead>().IgnoreQueryFilters().CountAsync(l => l.LiveCodeId == s.Code.Id && l.MemberId == null, Ct)));

        // A member created with the phone (written as staff type it) takes the answers.
        var created = await MemberAsync(s.Ws, "新人", "139-0013-9000");
        Assert.Equal(("上海", "带娃", null), await ProfileAsync(s, created));

        // A member given the phone later keeps the city staff set and takes only the need.
        var later = await MemberAsync(s.Ws, "老客", null, city: "广州");
        Assert.Equal(("广州", null, null), await ProfileAsync(s, later));
        var put = await s.Ws.Owner.Api.PutJsonAsync($"/api/members/{later}", new { displayName = "老客", layer = "regular", city = "广州", phone = "13900139111" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(("广州", "减脂", null), await ProfileAsync(s, later));

        // Each lead feeds one member once: another member with the same phone takes nothing.
        var twin = await MemberAsync(s.Ws, "同号", "13900139000");
        Assert.Equal((null, null, null), await ProfileAsync(s, twin));
        var tied = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.LiveCodeId == s.Code.Id)
            .OrderBy(l => l.Phone).Select(l => l.MemberId).ToListAsync(Ct));
        Assert.Equal(new Guid?[] { created, later }, tied);
    }

    [Fact]
    public async Task AMemberMerge_BringsTheMergedMembersLeads_WhoseAnswersFillWhatTheKeptMemberLacks_AndAnUnmergeTakesThemBack()
    {
        var s = await SetupAsync();
        var merged = await MemberAsync(s.Ws, "微信号", "13700137000");
        await JoinAsync(s, "192.0.2.41", "上海", "带娃", "13700137000");
        Assert.Equal(("上海", "带娃", null), await ProfileAsync(s, merged));
        // The kept member has its own need and no city; the merge keeps its need and, from the lead, fills the city.
        var kept = await MemberAsync(s.Ws, "企微号", null, values: new() { [s.NeedKey] = "理财" });

        var response = await s.Ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = kept, memberId = merged });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(("上海", "理财", null), await ProfileAsync(s, kept));
        static Guid? TiedTo(List<LiveCodeLead> rows) => Assert.Single(rows).MemberId;
        var leads = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.LiveCodeId == s.Code.Id).ToListAsync(Ct));
        Assert.Equal(kept, TiedTo(leads));

        var merge = await response.ReadAsync<MemberMergeDto>();
        Assert.Equal(HttpStatusCode.OK, (await s.Ws.Owner.Api.PostAsync($"/api/members/merges/{merge.Id}/unmerge", null, Ct)).StatusCode);
        leads = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.LiveCodeId == s.Code.Id).ToListAsync(Ct));
        Assert.Equal(merged, TiedTo(leads));
    }
}

public sealed class LandingAnswersTests_Sqlite(SqliteFactory factory) : LandingAnswersTests(factory), IClassFixture<SqliteFactory>;

public sealed class LandingAnswersTests_Postgres(PostgresFactory factory) : LandingAnswersTests(factory), IClassFixture<PostgresFactory>;
