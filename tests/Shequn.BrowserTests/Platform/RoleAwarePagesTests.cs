using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Platform;

/// <summary>The staff, tags and tokens pages offer a role only what it can do, and say why the rest is not there.</summary>
public sealed class RoleAwarePagesTests(ConsoleApp app)
{
    // An operator who shares a community with two KOCs, so her staff list has rows she may and may not change.
    private const string Operator = "wu.lei@demo.shequn.local";
    private const string Koc = "koc.ajie@demo.shequn.local";

    [Fact]
    public async Task Staff_AsOperator_OnlyKocRowsEditableAndTheOthersSayWhy()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Operator, app.StaffPassword);
        await page.OpenAsync("/staff");
        var rows = page.GetByTestId("staff-table").Locator("tbody tr");
        await rows.First.WaitForAsync();
        await page.GetByTestId("staff-invite").WaitForAsync();

        var kocRows = 0;
        var otherRows = 0;
        for (var i = 0; i < await rows.CountAsync(); i++)
        {
            var row = rows.Nth(i);
            var role = (await row.GetByTestId("staff-role").InnerTextAsync()).Trim();
            var edit = row.GetByTestId("staff-edit");
            var why = await row.GetByTestId("staff-edit-why").GetAttributeAsync("title");
            if (role == "KOC")
            {
                kocRows++;
                Assert.False(await edit.IsDisabledAsync(), $"Row {i + 1}: an operator manages KOCs.");
            }
            else
            {
                otherRows++;
                Assert.True(await edit.IsDisabledAsync(), $"Row {i + 1} ({role}): an operator cannot change this account.");
                Assert.True(why is not null && (why.Contains(role, StringComparison.Ordinal) || why.Contains("你自己的账号", StringComparison.Ordinal)),
                    $"Row {i + 1} ({role}) does not say why it cannot be edited: '{why}'.");
                Assert.True(await row.GetByTestId("staff-deactivate").IsDisabledAsync());
                Assert.False(string.IsNullOrEmpty(await row.GetByTestId("staff-deactivate-why").GetAttributeAsync("title")));
            }
        }
        Assert.True(kocRows > 0 && otherRows > 0, $"Expected both kinds of rows, saw {kocRows} KOC and {otherRows} other.");
    }

    [Fact]
    public async Task Staff_OwnerEditsHerself_RoleLockedWithTheReason()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync("/staff");
        var me = page.GetByTestId("staff-table").Locator("tbody tr").Filter(new() { HasTextString = app.OwnerEmail });
        Assert.Equal("这是你自己的账号：由比你角色更高的人修改或停用。", await me.GetByTestId("staff-deactivate-why").GetAttributeAsync("title"));
        Assert.True(await me.GetByTestId("staff-deactivate").IsDisabledAsync());

        await me.GetByTestId("staff-edit").ClickAsync();
        var dialog = page.Locator(".mud-dialog").Filter(new() { Has = page.GetByTestId("staff-edit-role") });
        await dialog.WaitForAsync();
        Assert.True(await page.GetByTestId("staff-edit-role").IsDisabledAsync());
        Assert.Contains("任何人都不能修改自己的角色。", await dialog.InnerTextAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Operator)]
    [InlineData(Koc)]
    public async Task Tags_RoleThatCannotManageTags_NoControlsAndTheReason(string email)
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(email, app.StaffPassword);
        await page.OpenAsync("/tags");
        await page.GetByTestId("tag-table").Locator("tbody tr").First.WaitForAsync();
        Assert.Equal("只有总群主、分群主和群管理员可以新建、重命名、合并或删除标签。", (await page.GetByTestId("tag-read-only").InnerTextAsync()).Trim());
        foreach (var control in new[] { "tag-new-name", "tag-create", "tag-rename", "tag-merge", "tag-delete" })
            Assert.Equal(0, await page.GetByTestId(control).CountAsync());
    }

    [Fact]
    public async Task StaffAndTokens_AsKoc_NotInTheMenuAndThePagesSayWhy()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Koc, app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        Assert.Equal(0, await page.Locator(".mud-navmenu a[href='/staff'], .mud-navmenu a[href='/tokens']").CountAsync());

        await page.OpenAsync("/staff");
        await page.GetByTestId("staff-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("staff-invite").CountAsync());

        await page.OpenAsync("/tokens");
        await page.GetByTestId("token-not-allowed").WaitForAsync();
        Assert.Equal(0, await page.GetByTestId("token-new").CountAsync());
    }

    [Fact]
    public async Task Tokens_AsOperator_CanCreateTheirOwn()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Operator, app.StaffPassword);
        await page.OpenAsync("/tokens");
        Assert.False(await page.GetByTestId("token-new").IsDisabledAsync());
        Assert.Equal(0, await page.GetByTestId("token-not-allowed").CountAsync());
    }

    [Theory]
    [InlineData("owner", "/budget /orders /analytics/cohorts /analytics/figures /analytics/health /analytics/rankings /analytics/staff /advisor")]
    [InlineData("li.jing@demo.shequn.local", "/budget /orders /analytics/cohorts /analytics/figures /analytics/health /analytics/rankings /analytics/staff /advisor")] // sub-owner
    [InlineData("zhao.min@demo.shequn.local", "/orders /analytics/cohorts /analytics/figures /analytics/health /analytics/rankings /analytics/staff /advisor")] // admin
    [InlineData(Operator, "/analytics/cohorts /analytics/figures /analytics/health /analytics/staff /advisor")]
    [InlineData(Koc, "/advisor")]
    public async Task MoneyAndRetentionLinks_PerRole_OnlyThePagesTheRoleMayRead(string email, string expected)
    {
        await using var context = await app.NewContextAsync();
        var page = email == "owner"
            ? await context.SignInAsync(app.OwnerEmail, app.OwnerPassword)
            : await context.SignInAsync(email, app.StaffPassword);
        await page.Locator(".mud-navmenu a[href='/communities']").WaitForAsync();
        var shown = new List<string>();
        foreach (var href in new[] { "/budget", "/orders", "/analytics/cohorts", "/analytics/figures", "/analytics/health", "/analytics/rankings", "/analytics/staff", "/advisor" })
        {
            if (await page.Locator($".mud-navmenu a[href='{href}']").CountAsync() > 0)
                shown.Add(href);
        }
        Assert.Equal(expected, string.Join(" ", shown));
    }
}
