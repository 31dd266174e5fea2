using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Connectors.WeCom;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Audit;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Members.MemberTestData;

namespace Shequn.Tests.Platform;

/// <summary>
/// The security log (Platform/Auth/SecurityLog): each event is an audit row with actor, workspace and time, and a
/// <c>Shequn.Security</c> line with personal data masked and control characters escaped; no secret in either.
/// </summary>
public abstract class SecurityLogTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ISecretsFactory
{
    private const string Phone = "13812345678";
    private const string Address = "203.0.113.7";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>This workspace's security lines, in order.</summary>
    private List<string> Lines(Guid ws) =>
        [.. factory.Logs.Snapshot().Where(l => l.StartsWith(SecurityLog.Category + " ", StringComparison.Ordinal) && l.Contains(ws.ToString(), StringComparison.Ordinal))];

    private static string Line(List<string> lines, string kind, string subject) =>
        Assert.Single(lines, l => l.Contains($"Security event {kind}:", StringComparison.Ordinal) && l.Contains(subject, StringComparison.Ordinal));

    private async Task<List<AuditEntry>> RowsAsync(Guid ws, string action)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.AuditEntries.IgnoreQueryFilters().AsNoTracking().Where(e => e.WorkspaceId == ws && e.Action == action).OrderBy(e => e.Id).ToListAsync(Ct);
    }

    private static string? After(AuditEntry row, string field) =>
        JsonNode.Parse(row.After ?? "{}")?[field] is { } v ? v.ToJsonString().Trim('"') : null;

    private static void AtInRange(string line, DateTime before, DateTime after)
    {
        var at = DateTime.Parse(System.Text.RegularExpressions.Regex.Match(line, @", at (\S+),").Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        Assert.InRange(at, before, after);
    }

    [Fact]
    public async Task SignIn_SuccessWrongPasswordLockoutAndUnknownAccount_RowsAndLinesWithActorWorkspaceTimeAndAddress()
    {
        var ws = await factory.NewWorkspaceAsync();
        var staff = await ws.AddStaffAsync(StaffRole.Admin, "Sign");
        var browser = factory.Browser();
        var before = DateTime.UtcNow.AddSeconds(-1);

        await ConsoleBrowser.SignInAsync(browser, staff.Email, TestStaff.Password, forwardedFor: Address);
        await ConsoleBrowser.SignInAsync(factory.Browser(), staff.Email, "wrong-1", forwardedFor: Address);
        await ConsoleBrowser.SignInAsync(factory.Browser(), staff.Email, "wrong-2", forwardedFor: Address); // the second in a row locks
        var locked = await ConsoleBrowser.SignInAsync(factory.Browser(), staff.Email, TestStaff.Password, forwardedFor: Address);
        Assert.Contains("error=locked", locked.Headers.Location?.ToString(), StringComparison.Ordinal);
        var unknownEmail = $"nobody-{Guid.NewGuid():N}@test.local";
        await ConsoleBrowser.SignInAsync(factory.Browser(), unknownEmail, "whatever-password", forwardedFor: Address);
        var after = DateTime.UtcNow.AddSeconds(1);

        var signedIn = Assert.Single(await RowsAsync(ws.Id, SecurityEvents.SignedIn));
        var failed = await RowsAsync(ws.Id, SecurityEvents.SignInFailed);
        var lockout = Assert.Single(await RowsAsync(ws.Id, SecurityEvents.LockedOut));
        Assert.Equal(["password", "locked"], failed.Select(r => After(r, "Reason")));
        foreach (var row in (AuditEntry[])[signedIn, .. failed, lockout])
        {
            Assert.Equal((staff.Id, staff.Email, nameof(StaffUser), staff.Id.ToString()), (row.ActorId, row.ActorName, row.EntityType, row.EntityId));
            Assert.Equal(Address, After(row, "Address"));
            Assert.InRange(row.At, before, after);
            Assert.DoesNotContain("wrong-", row.After, StringComparison.Ordinal);
        }

        // Making the workspace and its staff (as the system) wrote lines too; these are the sign-in's.
        var lines = Lines(ws.Id).Where(l => new[] { SecurityEvents.SignedIn, SecurityEvents.SignInFailed, SecurityEvents.LockedOut }
            .Any(k => l.Contains($"Security event {k}:", StringComparison.Ordinal))).ToList();
        Assert.Equal(4, lines.Count);
        var masked = SecurityLog.Mask(staff.Email);
        Assert.StartsWith(staff.Email[..1] + "***@", masked, StringComparison.Ordinal);
        foreach (var line in lines)
        {
            Assert.Contains($"actor {masked} ({staff.Id})", line, StringComparison.Ordinal);
            Assert.Contains($"from {Address}", line, StringComparison.Ordinal);
            Assert.DoesNotContain(staff.Email, line, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-", line, StringComparison.Ordinal);
            Assert.DoesNotContain(TestStaff.Password, line, StringComparison.Ordinal);
            AtInRange(line, before, after);
        }
        Assert.Single(lines, l => l.Contains("Security event signed-in:", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("Security event locked-out:", StringComparison.Ordinal));

        // An unknown account has no workspace: the line alone, worded as any failed sign-in, the e-mail masked.
        var unknown = Assert.Single(factory.Logs.Snapshot(), l => l.StartsWith(SecurityLog.Category + " ", StringComparison.Ordinal)
            && l.Contains(SecurityLog.Mask(unknownEmail), StringComparison.Ordinal));
        Assert.Contains("Security event sign-in-failed:", unknown, StringComparison.Ordinal);
        Assert.DoesNotContain(unknownEmail, unknown, StringComparison.Ordinal);
        Assert.DoesNotContain("whatever-password", unknown, StringComparison.Ordinal);

        // The owner reads them on the audit page (its API), filtered by the new actions.
        var page = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?action={SecurityEvents.LockedOut}");
        Assert.Equal(staff.Id.ToString(), Assert.Single(page.Items).EntityId);
    }

    [Fact]
    public async Task RoleChangeDeactivationTokensExportRevealAndErasure_EachLoggedWithActorWorkspaceAndSubject()
    {
        var ws = await factory.NewWorkspaceAsync();
        var staff = await ws.AddStaffAsync(StaffRole.Admin, "Role");
        var before = DateTime.UtcNow.AddSeconds(-1);

        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/staff/{staff.Id}", new { role = "operator" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/staff/{staff.Id}", Ct)).StatusCode);
        // A crafted token name tries to start a line of its own.
        var token = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = "ci\nShequn.Security Security event signed-in: forged\rend" })).ReadAsync<ApiTokenDto>();
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/tokens/{token.Id}", Ct)).StatusCode);
        var member = await MemberAsync(ws.Owner, "Ann");
        await (await ws.Owner.Api.PutJsonAsync($"/api/members/{member.Id}", new { displayName = "Ann", layer = "regular", phone = Phone })).ReadAsync<MemberDto>();
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.GetAsync($"/api/members/export?format=csv&q={Phone}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/members/{member.Id}/reveal", new { field = "phone" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostJsonAsync($"/api/members/{member.Id}/erase", new { })).StatusCode);
        var after = DateTime.UtcNow.AddSeconds(1);

        var lines = Lines(ws.Id);
        var owner = $"actor {SecurityLog.Mask(ws.Owner.Email)} ({ws.Owner.Id})";
        var role = Line(lines, SecurityEvents.RoleChanged, $"StaffUser {staff.Id}");
        Assert.Contains("Role=Admin→Operator", role, StringComparison.Ordinal);
        var deactivated = Line(lines, SecurityEvents.Deactivated, $"StaffUser {staff.Id}");
        var created = Line(lines, SecurityEvents.TokenCreated, $"ApiToken {token.Id}");
        Assert.Contains(@"ci\nShequn.Security Security event signed-in: forged\rend", created, StringComparison.Ordinal);
        var revoked = Line(lines, SecurityEvents.TokenRevoked, $"ApiToken {token.Id}");
        var export = Line(lines, SecurityEvents.Exported, "MemberList");
        Assert.Contains("q=138****5678", export, StringComparison.Ordinal);
        var reveal = Line(lines, SecurityEvents.Revealed, $"Member {member.Id}");
        Assert.Contains("Field=phone", reveal, StringComparison.Ordinal);
        // The erasure names the member by the hash that stands for them (the audit log keeps nothing else).
        var erased = Line(lines, SecurityEvents.Erased, $"Member {Shequn.Features.Members.PersonalData.StandIn(member.Id)}");
        foreach (var line in new[] { role, deactivated, created, revoked, export, reveal, erased })
        {
            Assert.Contains(owner, line, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', line);
            Assert.DoesNotContain('\r', line);
            Assert.DoesNotContain(Phone, line, StringComparison.Ordinal);
            Assert.DoesNotContain(ws.Owner.Email, line, StringComparison.Ordinal);
            AtInRange(line, before, after);
        }
    }

    [Fact]
    public async Task ConnectorSecrets_SetAndChanged_RowAndLineNameTheFieldsNeverTheValues()
    {
        var ws = await factory.NewWorkspaceAsync();
        var corpId = "ww" + Guid.NewGuid().ToString("N")[..16];
        var secret = "secret" + Guid.NewGuid().ToString("N");
        const string aesKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
        var corp = factory.WeCom.AddCorp(corpId, secret, "tok" + Guid.NewGuid().ToString("N")[..12], aesKey);
        var connection = await (await ws.Owner.Api.PostJsonAsync("/api/wecom/connections",
            new { corpId, secret, token = corp.Token, encodingAesKey = aesKey })).ReadAsync<WeComConnectionDto>();
        var changed = "changed" + Guid.NewGuid().ToString("N");
        corp.Secret = changed;
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/wecom/connections/{connection.Id}", new { corpId, secret = changed })).StatusCode);

        var rows = await RowsAsync(ws.Id, SecurityEvents.SecretSet);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((ws.Owner.Id, nameof(WeComConnection), connection.Id.ToString()), (r.ActorId, r.EntityType, r.EntityId)));
        Assert.Equal(["""["Secret","CallbackToken","EncodingAesKey"]""", """["Secret"]"""], rows.Select(r => After(r, "Fields")));
        var lines = Lines(ws.Id).Where(l => l.Contains("Security event secret-set:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("Fields=Secret、CallbackToken、EncodingAesKey", lines[0], StringComparison.Ordinal);
        foreach (var text in rows.Select(r => r.After!).Concat(lines))
        {
            foreach (var value in new[] { secret, changed, corp.Token, aesKey })
                Assert.DoesNotContain(value, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Text_MasksPhonesAndEmailsAndEscapesControlCharacters()
    {
        Assert.Equal("138****5678", SecurityLog.Text("13812345678"));
        Assert.Equal("+86 138****5678", SecurityLog.Text("+86 13812345678"));
        Assert.Equal("a***@example.com", SecurityLog.Text("alice@example.com"));
        Assert.Equal(@"a\nb\r\tc\u0007d\u2028e\\n", SecurityLog.Text("a\nb\r\tc\u0007d\u2028e\\n"));
        var id = "01234567-1234-1234-1234-123456789012";
        Assert.Equal(id, SecurityLog.Text(id));
        Assert.Equal("12****67 rows", SecurityLog.Text("1234567 rows"));
    }
}

public sealed class SecurityLogTests_Sqlite(SecretsSqliteFactory factory)
    : SecurityLogTests<SecretsSqliteFactory>(factory), IClassFixture<SecretsSqliteFactory>;

public sealed class SecurityLogTests_Postgres(SecretsPostgresFactory factory)
    : SecurityLogTests<SecretsPostgresFactory>(factory), IClassFixture<SecretsPostgresFactory>;
