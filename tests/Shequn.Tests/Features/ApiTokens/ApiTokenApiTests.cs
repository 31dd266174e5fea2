using System.Net;
using Shequn.Features.ApiTokens;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.ApiTokens;

public abstract class ApiTokenApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ApiTokenDto> CreateAsync(TestStaff staff, string name) =>
        await (await staff.Api.PostJsonAsync("/api/tokens", new { name })).ReadAsync<ApiTokenDto>();

    [Fact]
    public async Task Create_Token_SecretIsReturnedOnceAndAuthenticates()
    {
        var ws = await factory.NewWorkspaceAsync();

        var created = await CreateAsync(ws.Owner, "企微同步脚本");

        Assert.StartsWith(ApiToken.Scheme, created.Secret, StringComparison.Ordinal);
        Assert.StartsWith(created.Prefix, created.Secret, StringComparison.Ordinal);
        var listed = (await ws.Owner.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens")).Items.Single(t => t.Id == created.Id);
        Assert.Null(listed.Secret);
        Assert.Equal(("企微同步脚本", ws.Owner.Id), (listed.Name, listed.OwnerId));
        using var client = factory.ClientWithToken(created.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/communities", Ct)).StatusCode);
        var used = (await ws.Owner.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens")).Items.Single(t => t.Id == created.Id);
        Assert.NotNull(used.LastUsedAt);
    }

    [Fact]
    public async Task Create_Token_OnlyItsHashIsStored()
    {
        var ws = await factory.NewWorkspaceAsync();

        var created = await CreateAsync(ws.Owner, "hash-check");

        var tokens = await factory.CellsOfAsync("ApiTokens");
        var audit = await factory.CellsOfAsync("AuditEntries");
        Assert.Contains(ApiToken.HashOf(created.Secret!), tokens);
        Assert.Contains(audit, v => v.Contains("hash-check", StringComparison.Ordinal));
        Assert.DoesNotContain(tokens, v => v.Contains(created.Secret!, StringComparison.Ordinal));
        Assert.DoesNotContain(audit, v => v.Contains(created.Secret!, StringComparison.Ordinal));
        Assert.DoesNotContain(audit, v => v.Contains(ApiToken.HashOf(created.Secret!), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Revoke_Token_NextRequestGets401()
    {
        var ws = await factory.NewWorkspaceAsync();
        var created = await CreateAsync(ws.Owner, "to revoke");
        using var client = factory.ClientWithToken(created.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/communities", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/tokens/{created.Id}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/communities", Ct)).StatusCode);
        var listed = (await ws.Owner.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens")).Items.Single(t => t.Id == created.Id);
        Assert.NotNull(listed.RevokedAt);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.GetAsync("/api/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task Koc_CreateListOrRevokeTokens_Returns403()
    {
        var ws = await factory.NewWorkspaceAsync();
        var koc = await ws.AddStaffAsync(StaffRole.Koc);
        var owners = await CreateAsync(ws.Owner, "owner's");

        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/tokens", new { name = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/tokens", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.DeleteAsync($"/api/tokens/{owners.Id}", Ct)).StatusCode);
        Assert.Null((await ws.Owner.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens")).Items.Single(t => t.Id == owners.Id).RevokedAt);
    }

    [Fact]
    public async Task List_OwnerSeesAllWorkspaceTokens_OthersOnlyTheirOwn()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        var adminToken = await CreateAsync(admin, "admin script");
        var opToken = await CreateAsync(op, "op script");

        var ownerView = (await ws.Owner.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens")).Items.Select(t => t.Id).ToList();
        var opView = (await op.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens")).Items;

        Assert.Contains(adminToken.Id, ownerView);
        Assert.Contains(opToken.Id, ownerView);
        Assert.All(opView, t => Assert.Equal(op.Id, t.OwnerId));
        Assert.Contains(opView, t => t.Id == opToken.Id);
    }

    [Fact]
    public async Task Revoke_AnotherStaffMembersTokenAsNonOwner_Returns404AndKeepsIt()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        var op = await ws.AddStaffAsync(StaffRole.Operator);
        var opToken = await CreateAsync(op, "op script");

        Assert.Equal(HttpStatusCode.NotFound, (await admin.Api.DeleteAsync($"/api/tokens/{opToken.Id}", Ct)).StatusCode);

        using var client = factory.ClientWithToken(opToken.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task Workspaces_TokensOfAnotherWorkspace_AreInvisibleAndCannotBeRevoked()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var token = await CreateAsync(a.Owner, "A only");

        var seenByB = await b.Owner.Api.GetJsonAsync<Page<ApiTokenDto>>("/api/tokens");

        Assert.DoesNotContain(seenByB.Items, t => t.Id == token.Id);
        Assert.All(seenByB.Items, t => Assert.Equal(b.Owner.Id, t.OwnerId));
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/tokens/{token.Id}", Ct)).StatusCode);
        using var client = factory.ClientWithToken(token.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/communities", Ct)).StatusCode);
    }

    [Fact]
    public async Task Create_BlankOrOverlongName_Returns400NamingName()
    {
        var ws = await factory.NewWorkspaceAsync();
        var blank = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = " " })).ReadValidationErrorsAsync();
        var tooLong = await (await ws.Owner.Api.PostJsonAsync("/api/tokens", new { name = new string('x', ApiToken.NameMaxLength + 1) })).ReadValidationErrorsAsync();
        Assert.True(blank.ContainsKey("name"));
        Assert.True(tooLong.ContainsKey("name"));
    }
}

public sealed class ApiTokenApiTests_Sqlite(SqliteFactory factory) : ApiTokenApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class ApiTokenApiTests_Postgres(PostgresFactory factory) : ApiTokenApiTests(factory), IClassFixture<PostgresFactory>;
