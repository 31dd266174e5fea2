using System.Data.Common;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Demo;
using Shequn.Features.Members;
using Shequn.Features.Profiles;
using Shequn.Tests.Features.Acquisition;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Members;

/// <summary>
/// PIPL erasure covers every table: the demo's member with the widest footprint, given more (a renamed profile with a
/// phone, a profile form, a landing-page lead, a friend add, exports), is erased; then every column of every table the
/// EF model maps is searched — their id in any id column, their id, platform accounts, phone and name in any text
/// column — and nothing is found. The table list comes from the model, so a table added later is searched too.
/// </summary>
[LongRunning]
public abstract partial class ErasureCoverageTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where an erasure may leave the platform account: the blacklist keeps an advertiser out (the brand's legitimate interest).</summary>
    private static readonly HashSet<string> MayKeepAccount = ["BlacklistEntries.UserId"];

    [Fact]
    public async Task Erase_TheDemosBusiestMember_LeavesNoTraceOfThemInAnyTable()
    {
        await DemoWorkspace.EnsureAndPrintAsync(factory.Services, TextWriter.Null, Ct);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var demo = await db.Workspaces.IgnoreQueryFilters().SingleAsync(w => w.Name == DemoWorkspace.WorkspaceName, Ct);
        db.Current.ActAsSystem(demo.Id);
        var ownerId = (await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Email == DemoWorkspace.OwnerEmail, Ct)).Id;
        var secret = ApiToken.NewSecret();
        db.ApiTokens.Add(ApiToken.Issue(demo.Id, ownerId, "erasure", secret));
        await db.SaveChangesAsync(Ct);
        var owner = factory.ClientWithToken(secret);

        var tables = Tables(db.Model);
        var memberId = await BusiestMemberAsync(db, demo.Id, tables);

        // More of them: a new name and phone typed by staff, their profile form, a landing page, a friend add, two exports.
        var marker = "Qx" + Guid.NewGuid().ToString("N")[..8];
        var name = "消除" + marker;
        const string phone = "19912340007";
        var before = await owner.GetJsonAsync<MemberDto>($"/api/members/{memberId}");
        Assert.Equal(HttpStatusCode.OK, (await owner.PutJsonAsync($"/api/members/{memberId}", new
        {
            displayName = name, city = before.City, industry = before.Industry, needs = before.Needs, channel = before.Channel,
            organisations = before.Organisations, layer = before.Layer, phone,
        })).StatusCode);
        var link = await owner.PostAsync($"/api/members/{memberId}/profile-link", null, Ct);
        Assert.Equal(HttpStatusCode.Created, link.StatusCode);
        var path = ProfilePath().Match((await link.ReadAsync<ProfileLinkDto>()).Url).Groups[1].Value;
        var form = await factory.CreateClient().PostAsync(path, new FormUrlEncodedContent([new("f.city", "成都"), new("consent", "yes")]), Ct);
        Assert.Contains("profile-form-thanks", await form.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var code = await db.Set<Shequn.Features.Acquisition.LiveCode>().IgnoreQueryFilters().Where(c => c.WorkspaceId == demo.Id && c.CollectPhone).Select(c => c.Code).FirstAsync(Ct);
        var landing = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code}/phone", "192.0.2.77", new() { ["phone"] = phone, ["consent"] = "true" });
        Assert.Equal(Microsoft.AspNetCore.Http.StatusCodes.Status200OK, landing.Response.StatusCode);
        Assert.True((await owner.PostJsonAsync("/api/friend-adds/leads", new { name, phone = (string?)null, source = "manual", memberId })).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/members/{memberId}/personal-data", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/members/{memberId}/personal-data?format=csv", Ct)).StatusCode);

        var accounts = await db.Set<Shequn.Features.Events.MemberIdentity>().IgnoreQueryFilters().Where(i => i.MemberId == memberId).Select(i => i.UserId).ToListAsync(Ct);
        var marks = new Marks(memberId, [.. accounts], phone, marker);
        var found = await FindAsync(db, tables, marks);
        // The search sees them: the tables the demo and this test put them in.
        foreach (var table in new[] { "Members", "Memberships", "MemberIdentities", "ConsentRecords", "LiveCodeLeads", "FriendLeads", "AuditEntries", "CommunityEvents" })
            Assert.True(found.Any(f => f.StartsWith(table + ".", StringComparison.Ordinal)), $"The member was not found in {table} before the erasure: {string.Join(", ", found)}");
        Assert.True(found.Select(f => f.Split('.')[0]).Distinct().Count() >= 12, "The chosen member's footprint is too small: " + string.Join(", ", found));

        // The demo's history is processed first: an event of theirs read by the processor before the erasure and written
        // after it would make them anew (a known gap, noted on issue 16; the erasure does not wait for the processor).
        await factory.Services.GetRequiredService<Shequn.Features.Events.EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var erased = await owner.PostJsonAsync($"/api/members/{memberId}/erase", new { });
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);

        var left = (await FindAsync(db, tables, marks)).Where(f => !MayKeepAccount.Contains(f.Split(' ')[0])).ToList();
        Assert.True(left.Count == 0, "Left after the erasure: " + string.Join("; ", left));
        // The audit log names the erasure by the hash of the id only.
        Assert.Equal(1, await db.AuditEntries.IgnoreQueryFilters().CountAsync(a => a.WorkspaceId == demo.Id && a.Action == "erased" && a.EntityId == PersonalData.StandIn(memberId), Ct));
    }

    [GeneratedRegex("https?://[^/]+(/p/[A-Za-z0-9_-]+)")]
    private static partial Regex ProfilePath();

    private sealed record Marks(Guid Id, IReadOnlyList<string> Accounts, string Phone, string Name)
    {
        /// <summary>Texts to look for in text columns (lower case; ids short enough to occur by chance are looked for whole).</summary>
        public IEnumerable<(string Pattern, string What)> Texts() =>
            new[] { (Id.ToString("D"), "id"), (Id.ToString("N"), "id"), (Phone, "phone"), (Name.ToLowerInvariant(), "name") }
                .Concat(Accounts.Where(a => a.Length >= 6).Select(a => (a.ToLowerInvariant(), "account")))
                .Select(t => ("%" + t.Item1.ToLowerInvariant() + "%", t.Item2))
                .Concat(Accounts.Where(a => a.Length < 6).Select(a => (a.ToLowerInvariant(), "account")));
    }

    private sealed record Table(string Name, IReadOnlyList<string> TextColumns, IReadOnlyList<string> IdColumns);

    /// <summary>Every table the model maps, with its text and id (Guid) columns.</summary>
    private static List<Table> Tables(IModel model)
    {
        var tables = new Dictionary<string, (HashSet<string> Text, HashSet<string> Ids)>(StringComparer.Ordinal);
        foreach (var entity in model.GetEntityTypes())
        {
            if (entity.GetTableName() is not { } name)
                continue;
            var store = StoreObjectIdentifier.Table(name, entity.GetSchema());
            if (!tables.TryGetValue(name, out var columns))
                tables[name] = columns = ([], []);
            foreach (var p in entity.GetProperties())
            {
                if (p.GetColumnName(store) is not { } column)
                    continue;
                var type = Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType;
                if (type == typeof(string))
                    columns.Text.Add(column);
                else if (type == typeof(Guid))
                    columns.Ids.Add(column);
            }
        }
        return [.. tables.Select(t => new Table(t.Key, [.. t.Value.Text.Order(StringComparer.Ordinal)], [.. t.Value.Ids.Order(StringComparer.Ordinal)]))];
    }

    /// <summary>The demo member (not under a legal hold) referred to by the most tables' member columns.</summary>
    private static async Task<Guid> BusiestMemberAsync(AppDbContext db, Guid ws, List<Table> tables)
    {
        var postgres = db.Database.IsNpgsql();
        var candidates = (await db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws && !m.LegalHold).Select(m => m.Id).ToListAsync(Ct)).ToHashSet();
        var reach = new Dictionary<Guid, int>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(Ct);
        foreach (var table in tables)
        {
            foreach (var column in table.IdColumns.Where(c => c.EndsWith("MemberId", StringComparison.Ordinal) || (table.Name == "Members" && c == "Id")))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"""SELECT DISTINCT {(postgres ? $"\"{column}\"::text" : $"\"{column}\"")} FROM "{table.Name}" WHERE "{column}" IS NOT NULL""";
                await using var reader = await command.ExecuteReaderAsync(Ct);
                while (await reader.ReadAsync(Ct))
                {
                    var id = Guid.Parse(reader.GetValue(0).ToString()!);
                    if (candidates.Contains(id))
                        reach[id] = reach.GetValueOrDefault(id) + 1;
                }
            }
        }
        return reach.OrderByDescending(r => r.Value).ThenBy(r => r.Key).First().Key;
    }

    /// <summary>"Table.Column what (rows)" for every column that holds one of the marks.</summary>
    private static async Task<List<string>> FindAsync(AppDbContext db, List<Table> tables, Marks marks)
    {
        var postgres = db.Database.IsNpgsql();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(Ct);
        var found = new List<string>();
        var texts = marks.Texts().ToList();
        foreach (var table in tables)
        {
            foreach (var column in table.IdColumns)
            {
                var value = postgres ? marks.Id.ToString("D") : marks.Id.ToString("D").ToUpperInvariant();
                var rows = await CountAsync(connection, $"""SELECT count(*) FROM "{table.Name}" WHERE {(postgres ? $"\"{column}\"::text" : $"upper(\"{column}\")")} = @p""", value);
                if (rows > 0)
                    found.Add($"{table.Name}.{column} id ({rows})");
            }
            foreach (var column in table.TextColumns)
            {
                var text = postgres ? $"lower(\"{column}\"::text)" : $"lower(\"{column}\")";
                foreach (var (pattern, what) in texts)
                {
                    var rows = await CountAsync(connection, $"""SELECT count(*) FROM "{table.Name}" WHERE {text} {(pattern.StartsWith('%') ? "LIKE" : "=")} @p""", pattern);
                    if (rows > 0)
                        found.Add($"{table.Name}.{column} {what} ({rows})");
                }
            }
        }
        return found;
    }

    private static async Task<long> CountAsync(DbConnection connection, string sql, string value)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var p = command.CreateParameter();
        p.ParameterName = "@p";
        p.Value = value;
        command.Parameters.Add(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}

public sealed class ErasureCoverageTests_Sqlite(DemoSqliteFactory factory) : ErasureCoverageTests(factory), IClassFixture<DemoSqliteFactory>;

public sealed class ErasureCoverageTests_Postgres(DemoPostgresFactory factory) : ErasureCoverageTests(factory), IClassFixture<DemoPostgresFactory>;
