using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Staff;

public abstract class StaffApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewEmail() => $"staff-{Guid.NewGuid():N}@test.local";

    private static object NewStaff(string email, string role, string displayName = "小王", string? password = "strong-password-1", object[]? communities = null) =>
        new { email, displayName, role, password, communities };

    private static async Task<CommunityDto> NewCommunityAsync(TestWorkspace ws, string name, object[]? staff = null) =>
        await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, staff: staff))).ReadAsync<CommunityDto>();

    [Fact]
    public async Task Create_ValidStaff_IsListedWithRoleAndCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await NewCommunityAsync(ws, "鱼油类目群");
        var email = NewEmail();

        var created = await (await ws.Owner.Api.PostJsonAsync("/api/staff",
            NewStaff(email, "operator", "运营小王", communities: [new { communityId = c.Id }]))).ReadAsync<StaffDto>();

        Assert.Equal(StaffRole.Operator, created.Role);
        Assert.True(created.IsActive);
        Assert.Null(created.InitialPassword);
        var listed = (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Items.Single(s => s.Id == created.Id);
        Assert.Equal(email, listed.Email);
        Assert.Equal("运营小王", listed.DisplayName);
        var assignment = Assert.Single(listed.Communities);
        Assert.Equal(("鱼油类目群", CommunityRole.Operator), (assignment.CommunityName, assignment.Role));
    }

    [Fact]
    public async Task Create_WithoutPassword_ReturnsGeneratedPasswordOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "admin", password: null))).ReadAsync<StaffDto>();

        Assert.False(string.IsNullOrEmpty(created.InitialPassword));
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
            var user = await users.FindByIdAsync(created.Id.ToString());
            Assert.True(await users.CheckPasswordAsync(user!, created.InitialPassword!));
        }
        var again = await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{created.Id}");
        Assert.Null(again.InitialPassword);
    }

    [Fact]
    public async Task Create_Password_NeverStoredInClearText()
    {
        var ws = await factory.NewWorkspaceAsync();
        const string password = "clear-text-canary-42";
        var created = await (await ws.Owner.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "operator", password: password))).ReadAsync<StaffDto>();
        var generated = await (await ws.Owner.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "operator", password: null))).ReadAsync<StaffDto>();

        var users = await factory.CellsOfAsync("AspNetUsers");
        var audit = await factory.CellsOfAsync("AuditEntries");
        Assert.Contains(users, v => v.Equals(created.Email, StringComparison.Ordinal));
        Assert.Contains(audit, v => v.Contains(created.Email, StringComparison.Ordinal));
        foreach (var secret in new[] { password, generated.InitialPassword! })
        {
            Assert.DoesNotContain(users, v => v.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(audit, v => v.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Create_DuplicateEmail_Returns400NamingEmailAndWritesNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var email = NewEmail();
        await (await ws.Owner.Api.PostJsonAsync("/api/staff", NewStaff(email, "operator"))).ReadAsync<StaffDto>();

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/staff", NewStaff(email.ToUpperInvariant(), "admin", "另一个人")))
            .ReadValidationErrorsAsync();

        Assert.Contains("already in use", Assert.Single(errors["email"]), StringComparison.Ordinal);
        var list = await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff");
        Assert.DoesNotContain(list.Items, s => s.DisplayName == "另一个人");
    }

    [Fact]
    public async Task Create_EmailOfAnotherWorkspace_Returns400NamingEmail()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var taken = await b.AddStaffAsync(StaffRole.Operator);

        var errors = await (await a.Owner.Api.PostJsonAsync("/api/staff", NewStaff(taken.Email, "operator"))).ReadValidationErrorsAsync();

        Assert.True(errors.ContainsKey("email"));
    }

    [Theory]
    [InlineData("short1")]
    [InlineData("nodigitsatall")]
    public async Task Create_WeakPassword_Returns400NamingPassword(string password)
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "operator", password: password)))
            .ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("password"));
        Assert.Equal(1, (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Total);
    }

    [Fact]
    public async Task Create_MissingFields_Returns400NamingEachField()
    {
        var ws = await factory.NewWorkspaceAsync();
        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/staff", new { email = "not-an-email", displayName = "" }))
            .ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("email"));
        Assert.True(errors.ContainsKey("displayName"));
        Assert.True(errors.ContainsKey("role"));
    }

    [Fact]
    public async Task Koc_ListOrCreateStaff_Returns403()
    {
        var ws = await factory.NewWorkspaceAsync();
        var koc = await ws.AddStaffAsync(StaffRole.Koc);

        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/staff", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync($"/api/staff/{koc.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "koc"))).StatusCode);
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("subOwner")]
    [InlineData("admin")]
    public async Task Create_AdminGivingRoleNotBelowOwn_Returns403(string role)
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);

        var response = await admin.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), role));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(2, (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Total);
    }

    [Fact]
    public async Task Create_AdminGivingOperatorRole_Succeeds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        var response = await admin.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "operator"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Update_AdminChangingSubOwnerOrPromotingToSubOwner_Returns403()
    {
        var ws = await factory.NewWorkspaceAsync();
        var admin = await ws.AddStaffAsync(StaffRole.Admin);
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.PutJsonAsync($"/api/staff/{sub.Id}", new { displayName = "改名" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.DeleteAsync($"/api/staff/{sub.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.PutJsonAsync($"/api/staff/{op.Id}", new { role = "subOwner" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Api.PutJsonAsync($"/api/staff/{admin.Id}", new { role = "subOwner" })).StatusCode);
        var list = (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Items;
        Assert.Equal("分群主", list.Single(s => s.Id == sub.Id).DisplayName);
        Assert.Equal(StaffRole.Operator, list.Single(s => s.Id == op.Id).Role);
        Assert.Equal(StaffRole.Admin, list.Single(s => s.Id == admin.Id).Role);
    }

    [Fact]
    public async Task List_Operator_SeesOnlyOwnWorkspaceStaff()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var op = await a.AddStaffAsync(StaffRole.Operator, "A 的运营");
        var stranger = await b.AddStaffAsync(StaffRole.Admin, "B 的管理员");

        var list = await op.Api.GetJsonAsync<Page<StaffDto>>("/api/staff?pageSize=200");

        Assert.Equal(new[] { a.Owner.Id, op.Id }.Order(), list.Items.Select(s => s.Id).Order());
        Assert.Equal(HttpStatusCode.NotFound, (await op.Api.GetAsync($"/api/staff/{stranger.Id}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Workspaces_StaffOfAnotherWorkspace_CannotBeReadChangedOrDeactivated()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var target = await a.AddStaffAsync(StaffRole.Operator, "A 的运营");

        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.GetAsync($"/api/staff/{target.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PutJsonAsync($"/api/staff/{target.Id}", new { displayName = "hijacked", role = "koc" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.DeleteAsync($"/api/staff/{target.Id}", Ct)).StatusCode);
        var still = await a.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{target.Id}");
        Assert.Equal(("A 的运营", StaffRole.Operator, true), (still.DisplayName, still.Role, still.IsActive));
    }

    [Fact]
    public async Task Update_AssigningCommunityTheActorCannotSee_Returns400NamingCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var mine = await NewCommunityAsync(ws, "我的群");
        var hidden = await NewCommunityAsync(ws, "别人的群");
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主", mine.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        var errors = await (await sub.Api.PutJsonAsync($"/api/staff/{op.Id}",
            new { communities = new[] { new { communityId = mine.Id }, new { communityId = hidden.Id } } })).ReadValidationErrorsAsync();

        Assert.Contains(hidden.Id.ToString(), Assert.Single(errors["communities"]), StringComparison.Ordinal);
        Assert.Empty((await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{op.Id}")).Communities);
        var ok = await sub.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = new[] { new { communityId = mine.Id } } });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Update_NonOwnerReplacingAssignments_KeepsThoseInHiddenCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var shared = await NewCommunityAsync(ws, "共同的群");
        var hidden = await NewCommunityAsync(ws, "看不到的群");
        var sub = await ws.AddStaffAsync(StaffRole.SubOwner, "分群主", shared.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营", shared.Id, hidden.Id);

        var seenBySub = await (await sub.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = Array.Empty<object>() })).ReadAsync<StaffDto>();

        Assert.Empty(seenBySub.Communities);
        var seenByOwner = await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{op.Id}");
        Assert.Equal(hidden.Id, Assert.Single(seenByOwner.Communities).CommunityId);
    }

    [Fact]
    public async Task Update_RoleActiveAndAssignments_AreSaved()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await NewCommunityAsync(ws, "区域群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        var updated = await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new
        {
            displayName = "管理员小张",
            role = "admin",
            isActive = false,
            communities = new[] { new { communityId = c.Id, role = "admin" } },
        })).ReadAsync<StaffDto>();

        Assert.Equal(("管理员小张", StaffRole.Admin, false), (updated.DisplayName, updated.Role, updated.IsActive));
        Assert.Equal((c.Id, CommunityRole.Admin), (Assert.Single(updated.Communities).CommunityId, updated.Communities[0].Role));
    }

    [Fact]
    public async Task Deactivate_LastOwnerThemselves_Returns400AndStaysActive()
    {
        var ws = await factory.NewWorkspaceAsync();

        var deactivate = await (await ws.Owner.Api.DeleteAsync($"/api/staff/{ws.Owner.Id}", Ct)).ReadValidationErrorsAsync();
        var demote = await ws.Owner.Api.PutJsonAsync($"/api/staff/{ws.Owner.Id}", new { role = "admin" });

        Assert.True(deactivate.ContainsKey("isActive"));
        Assert.Equal(HttpStatusCode.Forbidden, demote.StatusCode);
        var me = await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{ws.Owner.Id}");
        Assert.Equal((StaffRole.Owner, true), (me.Role, me.IsActive));
    }

    [Fact]
    public async Task Deactivate_OwnerWithAnotherActiveOwner_Succeeds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var second = await ws.AddStaffAsync(StaffRole.Owner, "第二位群主");

        Assert.Equal(HttpStatusCode.NoContent, (await second.Api.DeleteAsync($"/api/staff/{ws.Owner.Id}", Ct)).StatusCode);
        var errors = await (await second.Api.DeleteAsync($"/api/staff/{second.Id}", Ct)).ReadValidationErrorsAsync();
        Assert.True(errors.ContainsKey("isActive"));
    }

    [Fact]
    public async Task Deactivate_Staff_TheirTokenGets401AtOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator);
        Assert.Equal(HttpStatusCode.OK, (await op.Api.GetAsync("/api/communities", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/staff/{op.Id}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await op.Api.GetAsync("/api/communities", Ct)).StatusCode);
        Assert.False((await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{op.Id}")).IsActive);
    }

    [Fact]
    public async Task Update_RoleChange_WritesAuditEntryWithBeforeAndAfter()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { role = "admin" })).ReadAsync<StaffDto>();

        var page = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityType=StaffUser&entityId={op.Id}");
        var entry = page.Items[0];
        Assert.Equal(("updated", ws.Owner.Id), (entry.Action, entry.ActorId));
        var role = Assert.Single(entry.Changes, c => c.Field == nameof(StaffUser.Role));
        Assert.Equal(("Operator", "Admin"), (AuditChange.Display(role.Before), AuditChange.Display(role.After)));
        Assert.DoesNotContain(entry.Changes, c => c.Field == nameof(StaffUser.PasswordHash) || c.Field == nameof(StaffUser.SecurityStamp));
    }

    [Fact]
    public async Task Update_Assignments_WritesAuditEntryNamingCommunities()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await NewCommunityAsync(ws, "维E类目群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = new[] { new { communityId = c.Id } } })).ReadAsync<StaffDto>();

        var page = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityType=StaffUser&entityId={op.Id}");
        var change = Assert.Single(page.Items[0].Changes);
        Assert.Equal(StaffEditor.AssignmentsField, change.Field);
        Assert.Equal("", AuditChange.Display(change.Before));
        Assert.Equal("维E类目群 (Operator)", AuditChange.Display(change.After));
    }

    [Fact]
    public async Task Update_OwnRoleOrAssignments_Returns403EvenForOwner()
    {
        var ws = await factory.NewWorkspaceAsync();
        var second = await ws.AddStaffAsync(StaffRole.Owner, "第二位群主");
        var c = await NewCommunityAsync(ws, "自己的群");

        var role = await second.Api.PutJsonAsync($"/api/staff/{second.Id}", new { role = "subOwner" });
        var assignments = await second.Api.PutJsonAsync($"/api/staff/{second.Id}", new { communities = new[] { new { communityId = c.Id, role = "subOwner" } } });
        var rename = await second.Api.PutJsonAsync($"/api/staff/{second.Id}", new { displayName = "改名可以" });

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.OK), (role.StatusCode, assignments.StatusCode, rename.StatusCode));
        Assert.Equal("application/problem+json", role.Content.Headers.ContentType?.MediaType);
        Assert.Contains("own role", await role.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var me = await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{second.Id}");
        Assert.Equal((StaffRole.Owner, 0, "改名可以"), (me.Role, me.Communities.Count, me.DisplayName));
    }

    [Fact]
    public async Task Update_AdminGivingCommunityRoleNotBelowOwn_Returns403_BelowIsSaved()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await NewCommunityAsync(ws, "管理员的群");
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员", c.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        var subOwner = await admin.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = new[] { new { communityId = c.Id, role = "subOwner" } } });
        var asAdmin = await admin.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = new[] { new { communityId = c.Id, role = "admin" } } });
        var created = await admin.Api.PostJsonAsync("/api/staff", NewStaff(NewEmail(), "koc", communities: [new { communityId = c.Id, role = "subOwner" }]));
        var allowed = await admin.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = new[] { new { communityId = c.Id, role = "operator" } } });

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (subOwner.StatusCode, asAdmin.StatusCode, created.StatusCode));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var saved = Assert.Single((await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{op.Id}")).Communities);
        Assert.Equal((c.Id, CommunityRole.Operator), (saved.CommunityId, saved.Role));
        Assert.Equal(3, (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Total);
    }

    [Fact]
    public async Task Update_AdminRemovingOperatorWhoIsSubOwnerThere_Returns403()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await NewCommunityAsync(ws, "运营当分群主的群");
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管理员", c.Id);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");
        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = new[] { new { communityId = c.Id, role = "subOwner" } } })).ReadAsync<StaffDto>();

        var response = await admin.Api.PutJsonAsync($"/api/staff/{op.Id}", new { communities = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(CommunityRole.SubOwner, Assert.Single((await ws.Owner.Api.GetJsonAsync<StaffDto>($"/api/staff/{op.Id}")).Communities).Role);
    }

    [Fact]
    public async Task Update_RoleAndAssignmentsTogether_OneAuditEntryWithBoth()
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await NewCommunityAsync(ws, "一起改的群");
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运营");

        await (await ws.Owner.Api.PutJsonAsync($"/api/staff/{op.Id}", new { role = "admin", communities = new[] { new { communityId = c.Id } } })).ReadAsync<StaffDto>();

        var entry = Assert.Single((await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={op.Id}&action=updated")).Items);
        Assert.Equal(["Communities", "Role"], entry.Changes.Select(ch => ch.Field).Order(StringComparer.Ordinal));
        Assert.Equal("一起改的群 (Admin)", AuditChange.Display(entry.Changes.Single(ch => ch.Field == "Communities").After));
    }

    [Fact]
    public async Task List_SubOwnerOfFiveCommunities_CarriesWarning()
    {
        var ws = await factory.NewWorkspaceAsync();
        var busy = await ws.AddStaffAsync(StaffRole.SubOwner, "忙碌的分群主");
        var calm = await ws.AddStaffAsync(StaffRole.SubOwner, "从容的分群主");
        for (var i = 1; i <= 5; i++)
        {
            var staff = new List<object> { new { staffUserId = busy.Id, role = "subOwner" } };
            if (i <= 4)
                staff.Add(new { staffUserId = calm.Id, role = "subOwner" });
            await NewCommunityAsync(ws, $"群{i}", [.. staff]);
        }

        var list = (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Items;

        var warned = list.Single(s => s.Id == busy.Id);
        Assert.Equal(5, warned.SubOwnerCommunityCount);
        Assert.Contains("忙碌的分群主", Assert.Single(warned.Warnings!), StringComparison.Ordinal);
        Assert.Empty(list.Single(s => s.Id == calm.Id).Warnings!);

        // The limit is the workspace's (the advisor's number): at 5 nobody is warned, at 3 both are.
        async Task<List<StaffDto>> WithLimitAsync(int limit)
        {
            var saved = await ws.Owner.Api.PutJsonAsync("/api/workspace", new { advisor = Shequn.Features.Advisor.AdvisorThresholds.Default with { MaxSubOwnerCommunities = limit } });
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
            return [.. (await ws.Owner.Api.GetJsonAsync<Page<StaffDto>>("/api/staff")).Items];
        }
        Assert.All(await WithLimitAsync(5), s => Assert.Empty(s.Warnings!));
        var strict = await WithLimitAsync(3);
        Assert.Contains("limit of 3", Assert.Single(strict.Single(s => s.Id == calm.Id).Warnings!), StringComparison.Ordinal);
        Assert.Single(strict.Single(s => s.Id == busy.Id).Warnings!);
    }
}

public sealed class StaffApiTests_Sqlite(SqliteFactory factory) : StaffApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class StaffApiTests_Postgres(PostgresFactory factory) : StaffApiTests(factory), IClassFixture<PostgresFactory>;
