using System.Text.Json;
using System.Text.RegularExpressions;
using Shequn.Features.Members;
using Shequn.Tests.Features.Members;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Workspaces;

/// <summary>Every time the API returns is ISO 8601 with its offset (times read back from the database included).</summary>
public abstract partial class ApiTimeTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")]
    private static partial Regex LooksLikeATime();

    [GeneratedRegex(@"(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex EndsWithOffset();

    private static IEnumerable<(string Path, string Value)> Times(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                    foreach (var t in Times(p.Value, $"{path}.{p.Name}"))
                        yield return t;
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                    foreach (var t in Times(item, $"{path}[{i++}]"))
                        yield return t;
                break;
            case JsonValueKind.String when LooksLikeATime().IsMatch(e.GetString()!):
                yield return (path, e.GetString()!);
                break;
        }
    }

    [Fact]
    public async Task Get_TimesReadFromTheDatabase_CarryTheirOffset()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await MemberTestData.CommunityAsync(ws.Owner, "时间群");
        var member = await MemberTestData.MemberAsync(ws.Owner, "张三", community.Id);
        await MemberTestData.AddMembershipAsync(factory, ws, member.Id, (await MemberTestData.CommunityAsync(ws.Owner, "旧群")).Id, leftAt: DateTime.UtcNow.AddDays(-1));

        // A time sent with another offset is stored as UTC and comes back as UTC (here and in the audit log).
        var sent = await (await ws.Owner.Api.PostJsonAsync("/api/members", new
        {
            displayName = "李四",
            membership = new { communityId = community.Id, joinedAt = "2026-03-01T10:00:00+08:00" },
        })).ReadAsync<MemberDto>();
        Assert.Equal(new DateTime(2026, 3, 1, 2, 0, 0, DateTimeKind.Utc), Assert.Single(sent.Memberships).JoinedAt.ToUniversalTime());

        var found = new List<(string Path, string Value)>();
        foreach (var url in new[] { "/api/workspace", $"/api/communities/{community.Id}", "/api/communities", $"/api/members/{member.Id}", $"/api/members/{sent.Id}",
            "/api/members", "/api/tokens", "/api/audit", "/api/staff", "/api/tags", "/api/dashboard", "/api/figures" })
        {
            using var doc = JsonDocument.Parse(await ws.Owner.Api.GetStringAsync(url, Ct));
            found.AddRange(Times(doc.RootElement, url));
        }

        Assert.Contains(found, t => t.Path.Contains("joinedAt", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(found, t => t.Path.Contains("leftAt", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(found, t => t.Path.StartsWith("/api/tokens", StringComparison.Ordinal));
        Assert.All(found, t => Assert.True(EndsWithOffset().IsMatch(t.Value), $"{t.Path} = {t.Value}"));
    }
}

public sealed class ApiTimeTests_Sqlite(SqliteFactory factory) : ApiTimeTests(factory), IClassFixture<SqliteFactory>;

public sealed class ApiTimeTests_Postgres(PostgresFactory factory) : ApiTimeTests(factory), IClassFixture<PostgresFactory>;
