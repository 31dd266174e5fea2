using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;
using nietras.SeparatedValues;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;

namespace Shequn.Tests.Features.Members;

/// <summary>The member list as people use it every day: sorting, telling people apart, activity, export.</summary>
public abstract class MemberListApiTests(ShequnFactory factory)
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 0, 0, TimeSpan.FromHours(8));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<Page<MemberListItem>> ListAsync(TestStaff staff, string query = "") =>
        await staff.Api.GetJsonAsync<Page<MemberListItem>>("/api/members" + query);

    private static async Task<List<string>> NamesAsync(TestStaff staff, string query) =>
        [.. (await ListAsync(staff, query)).Items.Select(m => m.DisplayName)];

    private static Dictionary<string, object?> Event(Guid community, string id, string kind, string user, string name, DateTimeOffset at, string? text = null) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = kind, ["occurredAt"] = at, ["communityId"] = community,
        ["user"] = new { id = user, name },
        ["message"] = kind == "messagePosted" ? new { id = "m-" + id, kind = "text", text = text ?? "你好" } : null,
    };

    private async Task PostEventsAsync(TestStaff staff, params Dictionary<string, object?>[] events)
    {
        await (await staff.Api.PostJsonAsync("/api/events", events)).ReadAsync<IngestResponse>();
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
    }

    private static async Task<CommunityDto> SandboxAsync(TestStaff staff, string name) =>
        await (await staff.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>();

    /// <summary>Ann joined first and spoke once, lately; Bob joined next and spoke three times, earlier; Cid joined last and never spoke.</summary>
    private async Task<(TestWorkspace Ws, Guid Community)> ThreeSpeakersAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await SandboxAsync(ws.Owner, "活跃群")).Id;
        await PostEventsAsync(ws.Owner,
            Event(community, "j1", "memberJoined", "u1", "Ann", Noon.AddDays(-3)),
            Event(community, "j2", "memberJoined", "u2", "Bob", Noon.AddDays(-2)),
            Event(community, "j3", "memberJoined", "u3", "Cid", Noon.AddDays(-1)),
            Event(community, "a1", "messagePosted", "u1", "Ann", Noon.AddHours(-1)),
            Event(community, "b1", "messagePosted", "u2", "Bob", Noon.AddHours(-5)),
            Event(community, "b2", "messagePosted", "u2", "Bob", Noon.AddHours(-4)),
            Event(community, "b3", "messagePosted", "u2", "Bob", Noon.AddHours(-3)));
        return (ws, community);
    }

    [Fact]
    public async Task List_SortByEachColumn_OrdersRowsAndPutsNeverSpokeLast()
    {
        var (ws, _) = await ThreeSpeakersAsync();

        Assert.Equal(["Ann", "Bob", "Cid"], await NamesAsync(ws.Owner, ""));
        Assert.Equal(["Ann", "Bob", "Cid"], await NamesAsync(ws.Owner, "?sort=name"));
        Assert.Equal(["Cid", "Bob", "Ann"], await NamesAsync(ws.Owner, "?sort=-name"));
        Assert.Equal(["Ann", "Bob", "Cid"], await NamesAsync(ws.Owner, "?sort=joinedAt"));
        Assert.Equal(["Cid", "Bob", "Ann"], await NamesAsync(ws.Owner, "?sort=-joinedAt"));
        Assert.Equal(["Bob", "Ann", "Cid"], await NamesAsync(ws.Owner, "?sort=lastSpokeAt"));
        Assert.Equal(["Ann", "Bob", "Cid"], await NamesAsync(ws.Owner, "?sort=-lastSpokeAt"));
        Assert.Equal(["Cid", "Ann", "Bob"], await NamesAsync(ws.Owner, "?sort=messages"));
        Assert.Equal(["Bob", "Ann", "Cid"], await NamesAsync(ws.Owner, "?sort=-MESSAGES"));
        Assert.Equal(["Ann"], await NamesAsync(ws.Owner, "?sort=-messages&page=2&pageSize=1"));
    }

    [Fact]
    public async Task List_Activity_ShowsLastSpokeAndMessageCount()
    {
        var (ws, community) = await ThreeSpeakersAsync();

        var rows = (await ListAsync(ws.Owner)).Items.ToDictionary(m => m.DisplayName);

        Assert.Equal(Noon.AddHours(-1).UtcDateTime, rows["Ann"].LastSpokeAt);
        Assert.Equal(1, rows["Ann"].Messages);
        Assert.Equal(Noon.AddHours(-3).UtcDateTime, rows["Bob"].LastSpokeAt);
        Assert.Equal(3, rows["Bob"].Messages);
        Assert.Null(rows["Cid"].LastSpokeAt);
        Assert.Equal(0, rows["Cid"].Messages);
        Assert.Equal(Noon.AddDays(-3).UtcDateTime, rows["Ann"].JoinedAt);
        Assert.Equal(community, Assert.Single(rows["Ann"].Groups).CommunityId);
    }

    [Theory]
    [InlineData("age")]
    [InlineData("1")]
    [InlineData("--name")]
    [InlineData("-")]
    public async Task List_UnknownSort_Returns400NamingSort(string sort)
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.GetAsync($"/api/members?sort={Uri.EscapeDataString(sort)}", Ct)).ReadValidationErrorsAsync();

        Assert.Equal(["sort"], errors.Keys);
    }

    [Fact]
    public async Task List_SameNamedMembers_GroupsTellThemApart()
    {
        var ws = await factory.NewWorkspaceAsync();
        var xian = await CommunityAsync(ws.Owner, "西安群");
        var beijing = await CommunityAsync(ws.Owner, "北京群");
        var left = await CommunityAsync(ws.Owner, "已退的群");
        var first = await MemberAsync(ws.Owner, "王芳", xian.Id, nickname: "西安-教师-王芳");
        var second = await MemberAsync(ws.Owner, "王芳", beijing.Id, nickname: "北京-医生-芳芳");
        await AddMembershipAsync(factory, ws, second.Id, left.Id, leftAt: DateTime.UtcNow.AddDays(-1));

        var rows = (await ListAsync(ws.Owner, "?q=王芳")).Items.ToDictionary(m => m.Id);

        Assert.Equal(new MemberGroup(xian.Id, "西安群", "西安-教师-王芳"), Assert.Single(rows[first.Id].Groups));
        Assert.Equal(new MemberGroup(beijing.Id, "北京群", "北京-医生-芳芳"), Assert.Single(rows[second.Id].Groups));
    }

    [Fact]
    public async Task List_Operator_GroupsAndActivityOnlyFromAssignedCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = (await SandboxAsync(ws.Owner, "我的群")).Id;
        var other = (await SandboxAsync(ws.Owner, "别人的群")).Id;
        await PostEventsAsync(ws.Owner,
            Event(mine, "m1", "messagePosted", "u1", "Ann", Noon.AddHours(-5)),
            Event(other, "o1", "messagePosted", "u1", "Ann", Noon.AddHours(-1)),
            Event(other, "o2", "messagePosted", "u1", "Ann", Noon));
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine);

        var row = Assert.Single((await ListAsync(op)).Items);

        Assert.Equal(1, row.Messages);
        Assert.Equal(Noon.AddHours(-5).UtcDateTime, row.LastSpokeAt);
        Assert.Equal(mine, Assert.Single(row.Groups).CommunityId);
        Assert.Equal(3, Assert.Single((await ListAsync(ws.Owner)).Items).Messages);
    }

    [Fact]
    public async Task OpenApi_MemberList_DocumentsLowerCamelCaseQueryParameters()
    {
        using var doc = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json", Ct));
        var list = doc.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(op => op.Value))
            .Single(op => op.TryGetProperty("operationId", out var id) && id.GetString() == "ListMembers");

        var names = list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();

        Assert.Equal(["q", "tagId", "communityId", "layer", "city", "industry", "sort", "page", "pageSize", "stage"], names);
    }

    [Fact]
    public async Task List_LowerCamelCaseParameters_Bind()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var tag = await TagAsync(ws.Owner, "宝妈");
        var tagged = await MemberAsync(ws.Owner, "甲", community.Id, city: "西安");
        await MemberAsync(ws.Owner, "乙", community.Id, city: "西安");
        await AssignAsync(ws.Owner, tag.Id, tagged.Id);

        var page = await ListAsync(ws.Owner, $"?q=甲&tagId={tag.Id}&communityId={community.Id}&city=西安&pageSize=1&page=1");

        Assert.Equal([tagged.Id], page.Items.Select(m => m.Id));
        Assert.Equal(1, page.PageSize);
    }

    [Fact]
    public async Task Export_Csv_HoldsEveryMatchingMemberInOrderWithBomAndDefusedFormulas()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "西安健康群");
        var tag = await TagAsync(ws.Owner, "复购客户");
        var doctor = await MemberAsync(ws.Owner, "张医生", community.Id, city: "西安", industry: "医疗", nickname: "西安-医疗-张", tagIds: [tag.Id]);
        var formula = await MemberAsync(ws.Owner, "=HYPERLINK(\"http://x\",\"点我\")", community.Id, city: "西安");
        var minus = await MemberAsync(ws.Owner, "-2+3", community.Id, city: "西安", industry: "@教育, \"名师\"");
        await MemberAsync(ws.Owner, "北京的人", community.Id, city: "北京");

        var response = await ws.Owner.Api.GetAsync("/api/members/export?format=csv&city=西安&sort=-joinedAt", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true }).From(new StreamReader(new MemoryStream(bytes), Encoding.UTF8));
        Assert.Equal(MemberExport.Columns, reader.Header.ColNames);
        var rows = new List<Dictionary<string, string>>();
        foreach (var row in reader)
        {
            var cells = new Dictionary<string, string>();
            foreach (var column in MemberExport.Columns)
                cells[column] = row[column].ToString();
            rows.Add(cells);
        }
        Assert.Equal([minus.Id.ToString(), formula.Id.ToString(), doctor.Id.ToString()], rows.Select(r => r["id"]));
        Assert.Equal("'-2+3", rows[0]["displayName"]);
        Assert.Equal("'@教育, \"名师\"", rows[0]["industry"]);
        Assert.Equal("'=HYPERLINK(\"http://x\",\"点我\")", rows[1]["displayName"]);
        Assert.Equal("张医生", rows[2]["displayName"]);
        Assert.Equal("西安健康群: 西安-医疗-张", rows[2]["groups"]);
        Assert.Equal("医疗", rows[2]["industry"]);
        Assert.Equal("regular", rows[2]["layer"]);
        Assert.Equal("复购客户", rows[2]["tags"]);
        Assert.Equal("0", rows[2]["messages"]);
        Assert.Equal("", rows[2]["lastSpokeAt"]);
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("xlsx")]
    public async Task Export_NoMatches_StillNamesTheColumns(string format)
    {
        var ws = await factory.NewWorkspaceAsync();

        var bytes = await ws.Owner.Api.GetByteArrayAsync($"/api/members/export?format={format}&q=nobody", Ct);

        if (format == "csv")
        {
            using var reader = Sep.New(',').Reader().From(new StreamReader(new MemoryStream(bytes), Encoding.UTF8));
            Assert.Equal(MemberExport.Columns, reader.Header.ColNames);
            Assert.False(reader.MoveNext());
        }
        else
        {
            using var stream = new MemoryStream(bytes);
            var rows = stream.Query(useHeaderRow: false, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();
            Assert.Equal(MemberExport.Columns, Assert.Single(rows).Values.Cast<string>());
        }
    }

    [Fact]
    public async Task Export_Xlsx_ParsesBackToTheListsRows()
    {
        var (ws, _) = await ThreeSpeakersAsync();
        var list = (await ListAsync(ws.Owner, "?sort=-messages")).Items;

        var response = await ws.Owner.Api.GetAsync("/api/members/export?format=xlsx&sort=-messages", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
        using var stream = new MemoryStream(bytes);
        var rows = stream.Query(useHeaderRow: true, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(MemberExport.Columns, rows[0].Keys);
        Assert.Equal(list.Select(m => m.Id.ToString()), rows.Select(r => (string)r["id"]!));
        Assert.Equal(["Bob", "Ann", "Cid"], rows.Select(r => (string)r["displayName"]!));
        Assert.Equal([3.0, 1.0, 0.0], rows.Select(r => Convert.ToDouble(r["messages"], System.Globalization.CultureInfo.InvariantCulture)));
        // In the workspace's zone (Asia/Shanghai), with its offset.
        Assert.Equal("2026-03-02T09:00:00+08:00", rows[0]["lastSpokeAt"]);
        Assert.Equal("活跃群: Bob", rows[0]["groups"]);
    }

    [Fact]
    public async Task Export_Operator_HoldsOnlyMembersOfAssignedCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await CommunityAsync(ws.Owner, "我的群");
        var other = await CommunityAsync(ws.Owner, "别人的群");
        var inMine = await MemberAsync(ws.Owner, "我群成员", mine.Id);
        await MemberAsync(ws.Owner, "他群成员", other.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", mine.Id);

        var text = Encoding.UTF8.GetString(await op.Api.GetByteArrayAsync("/api/members/export", Ct));

        Assert.Contains(inMine.Id.ToString(), text, StringComparison.Ordinal);
        Assert.DoesNotContain("他群成员", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleExport_SignedOut_RedirectsToSignInWithoutData()
    {
        var ws = await factory.NewWorkspaceAsync();
        await MemberAsync(ws.Owner, "秘密成员");
        using var anonymous = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await anonymous.GetAsync("/members/export?format=csv", Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location?.PathAndQuery ?? response.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("秘密成员", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format=pdf", "format")]
    [InlineData("format=1", "format")]
    [InlineData("sort=age", "sort")]
    [InlineData("layer=platinum", "layer")]
    public async Task Export_BadParameter_Returns400NamingIt(string query, string field)
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.GetAsync($"/api/members/export?{query}", Ct)).ReadValidationErrorsAsync();

        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public async Task Messages_NewestFirst_OnlyFromCommunitiesTheActorSees()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = (await SandboxAsync(ws.Owner, "我的群")).Id;
        var other = (await SandboxAsync(ws.Owner, "别人的群")).Id;
        await PostEventsAsync(ws.Owner,
            Event(mine, "m1", "messagePosted", "u1", "Ann", Noon.AddHours(-2), "早上好"),
            Event(other, "o1", "messagePosted", "u1", "Ann", Noon.AddHours(-1), "别处的话"),
            Event(mine, "m2", "messagePosted", "u1", "Ann", Noon, "中午好"),
            Event(mine, "x1", "messagePosted", "u2", "Bob", Noon, "别人说的"),
            new Dictionary<string, object?>
            {
                ["platform"] = "sandbox", ["id"] = "d1", ["kind"] = "messageDeleted", ["occurredAt"] = Noon.AddMinutes(5), ["communityId"] = mine,
                ["message"] = new { id = "m-m1" },
            });
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", mine);
        var ann = Assert.Single((await ListAsync(ws.Owner, "?q=Ann")).Items);

        var all = await ws.Owner.Api.GetJsonAsync<List<MemberMessage>>($"/api/members/{ann.Id}/messages");
        var scoped = await koc.Api.GetJsonAsync<List<MemberMessage>>($"/api/members/{ann.Id}/messages");
        var two = await ws.Owner.Api.GetJsonAsync<List<MemberMessage>>($"/api/members/{ann.Id}/messages?limit=2");

        Assert.Equal(["中午好", "别处的话", "早上好"], all.Select(m => m.Text));
        Assert.Equal(["中午好", "早上好"], scoped.Select(m => m.Text));
        Assert.All(scoped, m => Assert.Equal("我的群", m.CommunityName));
        Assert.Equal(["中午好", "别处的话"], two.Select(m => m.Text));
        Assert.Equal([false, false, true], all.Select(m => m.Deleted));
        var detail = await koc.Api.GetJsonAsync<MemberDto>($"/api/members/{ann.Id}");
        Assert.Equal(2, detail.Messages);
        Assert.Equal(Noon.UtcDateTime, detail.LastSpokeAt);
        var badLimit = await (await ws.Owner.Api.GetAsync($"/api/members/{ann.Id}/messages?limit=0", Ct)).ReadValidationErrorsAsync();
        Assert.Equal(["limit"], badLimit.Keys);
    }

    [Fact]
    public async Task Koc_ReadsMembersButEveryChangeIsRefused()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await CommunityAsync(ws.Owner, "群");
        var member = await MemberAsync(ws.Owner, "原名", community.Id);
        var tag = await TagAsync(ws.Owner, "标签");
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC", community.Id);

        var update = await koc.Api.PutJsonAsync($"/api/members/{member.Id}", new { displayName = "被改", layer = "regular" });
        var create = await koc.Api.PostJsonAsync("/api/members", new { displayName = "新人", layer = "regular", membership = new { communityId = community.Id } });
        var tagOne = await koc.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { memberIds = new[] { member.Id } });
        var tagAll = await koc.Api.PostJsonAsync($"/api/tags/{tag.Id}/members", new { filter = new { communityId = community.Id } });

        Assert.Equal(HttpStatusCode.Forbidden, update.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tagOne.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tagAll.StatusCode);
        var read = Assert.Single((await ListAsync(koc)).Items);
        Assert.Equal("原名", read.DisplayName);
        Assert.Empty(read.Tags);
    }
}

public sealed class MemberListApiTests_Sqlite(SqliteFactory factory) : MemberListApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class MemberListApiTests_Postgres(PostgresFactory factory) : MemberListApiTests(factory), IClassFixture<PostgresFactory>;
