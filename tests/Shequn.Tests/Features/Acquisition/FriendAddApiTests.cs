using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Acquisition;

/// <summary>Friend-add pacing over HTTP: accounts, the queue, the plan (also under concurrent calls) and outcomes.</summary>
public abstract class FriendAddApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    /// <summary>Tomorrow in the workspace (Asia/Shanghai): every slot is still ahead, whatever the time of the test.</summary>
    private static DateOnly Tomorrow => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, Shanghai)).AddDays(1);

    private static string DayText(DateOnly d) => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<FriendAccountDto> AccountAsync(HttpClient api, string name, int limit, int start = 9, int end = 21)
    {
        var response = await api.PostJsonAsync("/api/friend-adds/accounts", new { name, dailyLimit = limit, windowStartHour = start, windowEndHour = end });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<FriendAccountDto>();
    }

    private static async Task QueueAsync(HttpClient api, int count, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            var response = await api.PostJsonAsync("/api/friend-adds/leads", new { name = $"顾客{i}", phone = $"1380013{i:0000}", source = "order", sourceRef = $"SO-{i}" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    private static async Task<FriendPlanResult> PlanAsync(HttpClient api, DateOnly day)
    {
        var response = await api.PostAsync($"/api/friend-adds/plan?day={DayText(day)}", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync<FriendPlanResult>();
    }

    private static Task<FriendDayDto> DayAsync(HttpClient api, DateOnly day) => api.GetJsonAsync<FriendDayDto>($"/api/friend-adds/today?day={DayText(day)}&all=true");

    [Fact]
    public async Task Plan_SpreadsAddsOverTheWindow_UpToTheLimit_WithVariedGreetings()
    {
        var ws = await factory.NewWorkspaceAsync();
        var account = await AccountAsync(ws.Owner.Api, "小美的企业微信", limit: 6);
        await QueueAsync(ws.Owner.Api, 9);

        var result = await PlanAsync(ws.Owner.Api, Tomorrow);

        Assert.Equal(6, result.Planned);
        Assert.Equal(3, result.Queued);
        var day = Assert.Single((await DayAsync(ws.Owner.Api, Tomorrow)).Accounts);
        Assert.Equal(account.Id, day.AccountId);
        var local = day.Items.Select(i => TimeZoneInfo.ConvertTimeFromUtc(i.PlannedAt, Shanghai)).ToList();
        Assert.All(local, t => Assert.InRange(t.TimeOfDay, TimeSpan.FromHours(9), TimeSpan.FromHours(21)));
        Assert.True(local[0].Hour < 11 && local[^1].Hour >= 18, string.Join(", ", local));
        Assert.All(local.Zip(local.Skip(1)), p => Assert.True((p.Second - p.First).TotalMinutes >= 10));
        // Oldest first: the six earliest queued.
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"顾客{i}"), day.Items.Select(i => i.Name));
        Assert.All(day.Items, i => Assert.Contains(i.Name, i.Greeting!, StringComparison.Ordinal));
        Assert.All(day.Items.Zip(day.Items.Skip(1)), p => Assert.NotEqual(Stem(p.First), Stem(p.Second)));
    }

    // The greeting without the person's name: neighbours must differ in the words, not only in whom they greet.
    private static string Stem(FriendPlanItemDto item) => item.Greeting!.Replace(item.Name, "", StringComparison.Ordinal);

    [Fact]
    public async Task Plan_PressedTwice_PlansNothingMore_AndALowerLimitIsRespected()
    {
        var ws = await factory.NewWorkspaceAsync();
        await AccountAsync(ws.Owner.Api, "账号A", limit: 3);
        await QueueAsync(ws.Owner.Api, 5);

        Assert.Equal(3, (await PlanAsync(ws.Owner.Api, Tomorrow)).Planned);
        Assert.Equal(0, (await PlanAsync(ws.Owner.Api, Tomorrow)).Planned);

        var day = Assert.Single((await DayAsync(ws.Owner.Api, Tomorrow)).Accounts);
        Assert.Equal(3, day.Items.Count);
    }

    [Fact]
    public async Task Plan_ConcurrentCalls_NeverPutMoreThanTheLimitOnAnAccountsDay()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await AccountAsync(ws.Owner.Api, "账号A", limit: 4);
        var b = await AccountAsync(ws.Owner.Api, "账号B", limit: 3);
        await QueueAsync(ws.Owner.Api, 12);
        var day = Tomorrow;

        // Two "nodes" (separate clients and scopes) and double presses, all at once, plus the planner called directly.
        var calls = Enumerable.Range(0, 6).Select(_ => factory.ClientWithToken(ws.Owner.Token).PostAsync($"/api/friend-adds/plan?day={DayText(day)}", null, Ct)).ToList();
        var direct = Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var scope = factory.Services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<AppDbContext>().Current.ActAsSystem(ws.Id);
            return (await scope.ServiceProvider.GetRequiredService<FriendPlanner>().PlanAsync(day, Ct)).Planned;
        }).ToList();
        var responses = await Task.WhenAll(calls);
        var directPlanned = await Task.WhenAll(direct);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var planned = 0;
        foreach (var r in responses)
            planned += (await r.ReadAsync<FriendPlanResult>()).Planned;
        planned += directPlanned.Sum();
        Assert.Equal(7, planned);
        var plan = await DayAsync(ws.Owner.Api, day);
        Assert.Equal(4, plan.Accounts.Single(x => x.AccountId == a.Id).Items.Count);
        Assert.Equal(3, plan.Accounts.Single(x => x.AccountId == b.Id).Items.Count);
        Assert.Equal(7, plan.Accounts.SelectMany(x => x.Items).Select(i => i.LeadId).Distinct().Count());
        var queue = await ws.Owner.Api.GetJsonAsync<FriendQueueCounts>("/api/friend-adds/leads/counts");
        Assert.Equal(5, queue.Queued);
        Assert.Equal(7, queue.Planned);
    }

    [Fact]
    public async Task Plan_LeadsOfAnEndedDayWithoutOutcome_GoBackToTheQueueFirst()
    {
        var ws = await factory.NewWorkspaceAsync();
        var account = await AccountAsync(ws.Owner.Api, "账号A", limit: 2);
        await QueueAsync(ws.Owner.Api, 3);
        await PlanAsync(ws.Owner.Api, Tomorrow);
        var first = (await DayAsync(ws.Owner.Api, Tomorrow)).Accounts.Single().Items;
        // Time passes: make those two leads' day yesterday (no outcome recorded), as the clock would.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            var yesterday = Tomorrow.AddDays(-2);
            await db.Set<FriendLead>().Where(l => l.AccountId == account.Id).ExecuteUpdateAsync(s => s.SetProperty(l => l.PlanDay, yesterday), Ct);
        }

        var result = await PlanAsync(ws.Owner.Api, Tomorrow);

        Assert.Equal(2, result.Released);
        Assert.Equal(2, result.Planned);
        var again = (await DayAsync(ws.Owner.Api, Tomorrow)).Accounts.Single().Items;
        Assert.Equal(first.Select(i => i.LeadId).Order(), again.Select(i => i.LeadId).Order());
        Assert.All(again, i => Assert.Equal(1, i.CarriedOver));
    }

    [Fact]
    public async Task Outcome_SecondTime_Is409_AndQueuedLeadTakesOnlySkipped()
    {
        var ws = await factory.NewWorkspaceAsync();
        await AccountAsync(ws.Owner.Api, "账号A", limit: 1);
        await QueueAsync(ws.Owner.Api, 2);
        await PlanAsync(ws.Owner.Api, Tomorrow);
        var planned = (await DayAsync(ws.Owner.Api, Tomorrow)).Accounts.Single().Items.Single();
        var queued = (await ws.Owner.Api.GetJsonAsync<Page<FriendLeadDto>>("/api/friend-adds/leads?status=queued")).Items.Single();

        var bad = await ws.Owner.Api.PostJsonAsync($"/api/friend-adds/leads/{planned.LeadId}/outcome", new { outcome = "maybe" });
        var ok = await ws.Owner.Api.PostJsonAsync($"/api/friend-adds/leads/{planned.LeadId}/outcome", new { outcome = "added", note = "通过了" });
        var again = await ws.Owner.Api.PostJsonAsync($"/api/friend-adds/leads/{planned.LeadId}/outcome", new { outcome = "refused" });
        var notPlanned = await ws.Owner.Api.PostJsonAsync($"/api/friend-adds/leads/{queued.Id}/outcome", new { outcome = "added" });
        var skipped = await ws.Owner.Api.PostJsonAsync($"/api/friend-adds/leads/{queued.Id}/outcome", new { outcome = "skipped" });

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"outcome\"", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(FriendLeadStatus.Added, (await ok.ReadAsync<FriendLeadStatusDto>()).Status);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("added", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, notPlanned.StatusCode);
        Assert.Equal(HttpStatusCode.OK, skipped.StatusCode);
        // Done adds keep counting for the day: pressing plan again finds the account's day full.
        Assert.Equal(0, (await PlanAsync(ws.Owner.Api, Tomorrow)).Planned);
    }

    [Fact]
    public async Task AddLead_SamePhoneWrittenDifferently_Is409NamingIt()
    {
        var ws = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/friend-adds/leads", new { name = "王女士", phone = "138 0013 8000" })).StatusCode);

        var twice = await ws.Owner.Api.PostJsonAsync("/api/friend-adds/leads", new { name = "王姐", phone = "+86 138-0013-8000" });

        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        var body = await twice.Content.ReadAsStringAsync(Ct);
        Assert.Contains("13800138000", body, StringComparison.Ordinal);
        Assert.Contains("王女士", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_NamesTheFields()
    {
        var ws = await factory.NewWorkspaceAsync();

        var lead = await ws.Owner.Api.PostJsonAsync("/api/friend-adds/leads", new { name = " ", phone = "12345", source = "tv" });
        var limit = await ws.Owner.Api.PostJsonAsync("/api/friend-adds/accounts", new { name = "A", dailyLimit = 51 });
        var window = await ws.Owner.Api.PostJsonAsync("/api/friend-adds/accounts", new { name = "B", dailyLimit = 20, windowStartHour = 20, windowEndHour = 21 });
        var past = await ws.Owner.Api.PostAsync("/api/friend-adds/plan?day=2020-01-01", null, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, lead.StatusCode);
        var errors = (await ErrorsAsync(lead));
        Assert.Contains("name", errors.Keys);
        Assert.Contains("phone", errors.Keys);
        Assert.Contains("source", errors.Keys);
        Assert.Contains("dailyLimit", (await ErrorsAsync(limit)).Keys);
        Assert.Contains("dailyLimit", (await ErrorsAsync(window)).Keys);
        Assert.Contains("day", (await ErrorsAsync(past)).Keys);
    }

    [Fact]
    public async Task ImportCsv_BadRows_ReportedByLine_AndNothingWritten()
    {
        var ws = await factory.NewWorkspaceAsync();
        await QueueAsync(ws.Owner.Api, 1, first: 7);
        var csv = "name,phone,source,note\n李四,13900001111,order,下单\n王五,not-a-phone,manual,\n赵六,13800130007,phoneInvitation,\n钱七,13900001111,,\n";

        var response = await ws.Owner.Api.PostAsync("/api/friend-adds/leads/import", new StringContent(csv, Encoding.UTF8, "text/csv"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var messages = (await ErrorsAsync(response))["csv"];
        Assert.Contains(messages, m => m.StartsWith("line 3:", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 4:", StringComparison.Ordinal) && m.Contains("13800130007", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("line 5:", StringComparison.Ordinal) && m.Contains("line 2", StringComparison.Ordinal));
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<FriendQueueCounts>("/api/friend-adds/leads/counts")).Queued);

        var good = await ws.Owner.Api.PostAsync("/api/friend-adds/leads/import",
            new StringContent("name,phone,source\n李四,13900001111,order\n王五,+44 20 7946 0958,campaignLead\n", Encoding.UTF8, "text/csv"), Ct);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(2, (await good.ReadAsync<FriendImportResult>()).Imported);
        var counts = await ws.Owner.Api.GetJsonAsync<FriendQueueCounts>("/api/friend-adds/leads/counts");
        Assert.Equal(1, counts.QueuedBySource[FriendLeadSource.CampaignLead]);
    }

    [Fact]
    public async Task Roles_OperatorSeesOwnAccountOnly_CannotManage_KocRefused_PhonesMaskedForOthers()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营小美");
        var koc = await ws.AddStaffAsync(StaffRole.Koc, "KOC");
        var mine = await ws.Owner.Api.PostJsonAsync("/api/friend-adds/accounts", new { name = "小美的企业微信", staffUserId = op.Id, dailyLimit = 2 });
        Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        await AccountAsync(ws.Owner.Api, "老板的微信", limit: 2);
        await QueueAsync(ws.Owner.Api, 4);
        await PlanAsync(op.Api, Tomorrow);

        var accounts = await op.Api.GetJsonAsync<List<FriendAccountDto>>("/api/friend-adds/accounts");
        var create = await op.Api.PostJsonAsync("/api/friend-adds/accounts", new { name = "自己的" });
        var kocList = await koc.Api.GetAsync("/api/friend-adds/leads", Ct);
        var plan = await op.Api.GetJsonAsync<FriendDayDto>($"/api/friend-adds/today?day={DayText(Tomorrow)}&all=true");
        var queue = await op.Api.GetJsonAsync<Page<FriendLeadDto>>("/api/friend-adds/leads");

        Assert.Equal("小美的企业微信", Assert.Single(accounts).Name);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, kocList.StatusCode);
        // Her own plan shows phones plainly (she has to find the person); the queue list masks them for an operator.
        Assert.All(Assert.Single(plan.Accounts).Items, i => Assert.DoesNotContain("*", i.Phone!, StringComparison.Ordinal));
        Assert.All(queue.Items, l => Assert.Contains("****", l.Phone!, StringComparison.Ordinal));
    }

    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    private sealed record ValidationBody(Dictionary<string, string[]> Errors);

    private static async Task<Dictionary<string, string[]>> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = System.Text.Json.JsonSerializer.Deserialize<ValidationBody>(await response.Content.ReadAsStringAsync(Ct), WebJson);
        return body!.Errors;
    }
}

public sealed class FriendAddApiTests_Sqlite(SqliteFactory factory) : FriendAddApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class FriendAddApiTests_Postgres(PostgresFactory factory) : FriendAddApiTests(factory), IClassFixture<PostgresFactory>;
