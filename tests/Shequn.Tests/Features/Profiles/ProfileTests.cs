using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Profiles;
using Shequn.Features.Ritual;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Profiles;

/// <summary>The ritual on, no processor or dispatcher of their own (tests step the processor); form links point at the test server.</summary>
public sealed class ProfilesSqliteFactory : SqliteFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Ritual:Enabled", "true");
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
        builder.UseSetting("Profiles:PublicBaseUrl", "http://localhost");
    }
}

public sealed class ProfilesPostgresFactory : PostgresFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Ritual:Enabled", "true");
        builder.UseSetting("Events:ProcessorEnabled", "false");
        builder.UseSetting("Outbox:DispatcherEnabled", "false");
        builder.UseSetting("Profiles:PublicBaseUrl", "http://localhost");
    }
}

/// <summary>The profile template, staff filling profiles, the member's form link, masking and logged reveals.</summary>
public abstract partial class ProfileTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Anonymous() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private static readonly object Template = new
    {
        fields = new object[]
        {
            new { key = "city", required = true },
            new { key = "needs" },
            new { key = "phone", personal = true },
            new { key = "infoChannels" },
            new { name = "年龄", kind = "number" },
            new { name = "会员等级", kind = "choice", options = new[] { "普通", "黄金" } },
            new { name = "生日", kind = "date" },
            new { name = "微信号", kind = "text", personal = true },
        },
    };

    private static async Task<ProfileTemplateDto> PutTemplateAsync(TestWorkspace ws) =>
        await (await ws.Owner.Api.PutJsonAsync("/api/profile-template", Template)).ReadAsync<ProfileTemplateDto>();

    private static string KeyOf(ProfileTemplateDto t, string name) => t.Fields.Single(f => f.Name == name).Key;

    private static async Task<(Guid Community, Guid Member)> MemberAsync(TestWorkspace ws, string name = "Ann")
    {
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("资料群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var member = await (await ws.Owner.Api.PostJsonAsync("/api/members", new { displayName = name, layer = "regular", membership = new { communityId = community } }))
            .ReadAsync<MemberDto>();
        return (community, member.Id);
    }

    [Fact]
    public async Task Template_DefaultsToTheBuiltins_ValidatesNamingTheField_AndOnlyOwnersAndSubOwnersChangeIt()
    {
        var ws = await factory.NewWorkspaceAsync();
        var initial = await ws.Owner.Api.GetJsonAsync<ProfileTemplateDto>("/api/profile-template");
        Assert.True(initial.IsDefault);
        Assert.Equal(ProfileBuiltins.All, initial.Fields.Select(f => f.Key));
        Assert.Contains(initial.Fields, f => f.Key == "favouriteCommunities" && f.Builtin);

        var errors = await (await ws.Owner.Api.PutJsonAsync("/api/profile-template", new
        {
            fields = new object[]
            {
                new { key = "nope" },
                new { name = "", kind = "text" },
                new { name = "等级", kind = "choice", options = Array.Empty<string>() },
                new { name = "等级", kind = "choice", options = new[] { "a", "a", new string('x', 51) } },
                new { key = "city" },
                new { key = "city" },
            },
        })).ReadValidationErrorsAsync();
        Assert.Contains("fields[0].key", errors.Keys);
        Assert.Contains("fields[1].name", errors.Keys);
        Assert.Contains("fields[2].options", errors.Keys);
        Assert.Contains("fields[3].name", errors.Keys); // the same name twice
        Assert.Contains("fields[3].options", errors.Keys); // an option twice
        Assert.Contains("fields[3].options[2]", errors.Keys); // too long
        Assert.Contains("fields[5].key", errors.Keys);

        var op = await ws.AddStaffAsync(StaffRole.Operator);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PutJsonAsync("/api/profile-template", Template)).StatusCode);
        Assert.True((await op.Api.GetJsonAsync<ProfileTemplateDto>("/api/profile-template")).IsDefault);

        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner);
        var saved = await (await subOwner.Api.PutJsonAsync("/api/profile-template", Template)).ReadAsync<ProfileTemplateDto>();
        Assert.False(saved.IsDefault);
        Assert.Equal(["city", "needs", "phone", "infoChannels"], saved.Fields.Take(4).Select(f => f.Key));
        Assert.Equal(["年龄", "会员等级", "生日", "微信号"], saved.Fields.Skip(4).Select(f => f.Name));
        Assert.Equal(["普通", "黄金"], saved.Fields.Single(f => f.Name == "会员等级").Options);
        Assert.True(saved.Fields.Single(f => f.Key == "city").Required);
        Assert.Equal(Enumerable.Range(0, 8), saved.Fields.Select(f => f.Order));

        // Keys are kept across saves; a removed custom field goes.
        var age = KeyOf(saved, "年龄");
        var again = await (await ws.Owner.Api.PutJsonAsync("/api/profile-template", new { fields = new object[] { new { key = age, name = "年龄(岁)", kind = "number" }, new { key = "city" } } }))
            .ReadAsync<ProfileTemplateDto>();
        Assert.Equal([age, "city"], again.Fields.Select(f => f.Key));
        Assert.Equal("年龄(岁)", again.Fields[0].Name);
    }

    [Fact]
    public async Task StaffFillTheProfile_ThroughTheApi_WithValuesCheckedByKind_AndThePhoneMasked()
    {
        var ws = await factory.NewWorkspaceAsync();
        var t = await PutTemplateAsync(ws);
        var (_, ann) = await MemberAsync(ws);
        string age = KeyOf(t, "年龄"), level = KeyOf(t, "会员等级"), birthday = KeyOf(t, "生日"), wechat = KeyOf(t, "微信号");

        var bad = await (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann", layer = "regular", phone = "call me",
            values = new Dictionary<string, string?> { [age] = "old", [level] = "钻石", [birthday] = "3/4/2001", [wechat] = new string('w', 201), ["unknown"] = "x" },
        })).ReadValidationErrorsAsync();
        Assert.Contains("phone", bad.Keys);
        Assert.Contains($"values.{age}", bad.Keys);
        Assert.Contains($"values.{level}", bad.Keys);
        Assert.Contains($"values.{birthday}", bad.Keys);
        Assert.Contains($"values.{wechat}", bad.Keys);
        Assert.Contains("values.unknown", bad.Keys);

        var dto = await (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann", city = "西安", layer = "regular", phone = "13812345678",
            values = new Dictionary<string, string?> { [age] = " 32.0 ", [level] = "黄金", [birthday] = "2001-03-04", [wechat] = "ann_wx", ["infoChannels"] = "小红书" },
        })).ReadAsync<MemberDto>();
        Assert.Equal("138****5678", dto.Phone);
        var values = dto.Values!.ToDictionary(v => v.Key);
        Assert.Equal("32.0", values[age].Value);
        Assert.Equal("黄金", values[level].Value);
        Assert.Equal("2001-03-04", values[birthday].Value);
        Assert.Equal("小红书", values["infoChannels"].Value);
        Assert.True(values[wechat].Masked);
        Assert.StartsWith("a", values[wechat].Value!, StringComparison.Ordinal);
        Assert.DoesNotContain("ann_wx", values[wechat].Value, StringComparison.Ordinal);

        // GET → PUT round trip with the masked values leaves them as they are; a value left out stays too.
        var back = await (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann", city = "西安", layer = "regular", phone = dto.Phone,
            values = new Dictionary<string, string?> { [wechat] = values[wechat].Value, [level] = "" },
        })).ReadAsync<MemberDto>();
        Assert.Equal("138****5678", back.Phone);
        Assert.Null(back.Values!.Single(v => v.Key == level).Value);
        Assert.Equal((string?)"13812345678", await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == ann).Select(m => m.Phone).SingleAsync(Ct)));
        Assert.Equal((string?)"ann_wx", await DbAsync(db => db.Set<MemberFieldValue>().IgnoreQueryFilters().Where(v => v.MemberId == ann && v.Key == wechat).Select(v => v.Value).SingleAsync(Ct)));
        Assert.Equal((string?)"32.0", back.Values!.Single(v => v.Key == age).Value);
    }

    [Fact]
    public async Task StaffEdits_RequiredFieldsCannotBeClearedOrSentBlank_NamingTheField_AndNothingIsHalfWritten()
    {
        var ws = await factory.NewWorkspaceAsync();
        var t = await (await ws.Owner.Api.PutJsonAsync("/api/profile-template", new
        {
            fields = new object[]
            {
                new { key = "city", required = true },
                new { key = "needs", required = true },
                new { key = "phone", required = true, personal = true },
                new { name = "会员号", kind = "number", required = true },
                new { name = "备注", kind = "text" },
            },
        })).ReadAsync<ProfileTemplateDto>();
        string number = KeyOf(t, "会员号"), note = KeyOf(t, "备注");
        // A member met in a chat has none of the required fields yet: other edits still work.
        var (_, ann) = await MemberAsync(ws);
        var renamed = await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new { displayName = "Ann Li", layer = "regular" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var filled = await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann Li", city = "西安", needs = new[] { "business" }, layer = "regular", phone = "13812345678",
            values = new Dictionary<string, string?> { [number] = "42", [note] = "老客户" },
        });
        Assert.Equal(HttpStatusCode.OK, filled.StatusCode);

        // Clearing them, each named; a valid change in the same request is not written either.
        var cleared = await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann Li", city = " ", needs = Array.Empty<string>(), layer = "regular", phone = "",
            values = new Dictionary<string, string?> { [number] = "", [note] = "改了" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, cleared.StatusCode);
        var errors = await cleared.ReadValidationErrorsAsync();
        Assert.Equal(["city", "needs", "phone", $"values.{number}"], errors.Keys.Order(StringComparer.Ordinal));
        var member = await DbAsync(db => db.Members.IgnoreQueryFilters().AsNoTracking().SingleAsync(m => m.Id == ann, Ct));
        Assert.Equal(("西安", "13812345678", MemberNeeds.Business), (member.City, member.Phone, member.Needs));
        var stored = await DbAsync(db => db.Set<MemberFieldValue>().IgnoreQueryFilters().AsNoTracking().Where(v => v.MemberId == ann).ToDictionaryAsync(v => v.Key, v => v.Value, Ct));
        Assert.Equal(("42", "老客户"), (stored[number], stored[note]));

        // Field validation as on the form: a required number given as words is refused by kind.
        var word = await (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann Li", city = "西安", needs = new[] { "business" }, layer = "regular", values = new Dictionary<string, string?> { [number] = "很多" },
        })).ReadValidationErrorsAsync();
        Assert.Equal([$"values.{number}"], word.Keys);

        // A new member may not be given a blank required value either.
        var created = await ws.Owner.Api.PostJsonAsync("/api/members", new { displayName = "Bo", layer = "regular", values = new Dictionary<string, string?> { [number] = " " } });
        Assert.Contains($"values.{number}", (await created.ReadValidationErrorsAsync()).Keys);

        // The console shows the same refusal in the reader's language.
        var validation = new Shequn.Platform.Api.Validation();
        validation.Add("city", "ProfileRequired", "x");
        var localizer = factory.Services.GetRequiredService<Microsoft.Extensions.Localization.IStringLocalizer<Shequn.Platform.Localization.Strings>>();
        var previous = System.Globalization.CultureInfo.CurrentUICulture;
        try
        {
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("zh-CN");
            Assert.Equal("资料模板要求必填，不能留空。", Assert.Single(validation.Localized(localizer)["city"]));
            System.Globalization.CultureInfo.CurrentUICulture = new System.Globalization.CultureInfo("en");
            Assert.Equal("Required by the profile template: it cannot be left blank.", Assert.Single(validation.Localized(localizer)["city"]));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public async Task MemberSearch_FindsMembersByPhone_WrittenWithOrWithoutSeparatorsAndCountryCode()
    {
        var ws = await factory.NewWorkspaceAsync();
        var (community, ann) = await MemberAsync(ws, "Ann");
        var bob = (await (await ws.Owner.Api.PostJsonAsync("/api/members", new { displayName = "Bob", layer = "regular", phone = "139-0000-1111", membership = new { communityId = community } }))
            .ReadAsync<MemberDto>()).Id;
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new { displayName = "Ann", layer = "regular", phone = "+86 138 1234 5678" })).StatusCode);

        async Task<List<Guid>> SearchAsync(string q) =>
            [.. (await ws.Owner.Api.GetJsonAsync<Shequn.Platform.Api.Page<MemberListItem>>("/api/members?q=" + Uri.EscapeDataString(q))).Items.Select(i => i.Id)];

        Assert.Equal([ann], await SearchAsync("13812345678"));
        Assert.Equal([ann], await SearchAsync("5678"));
        Assert.Equal([ann], await SearchAsync("+86 138-1234-5678"));
        Assert.Equal([bob], await SearchAsync("13900001111"));
        Assert.Equal([bob], await SearchAsync("(139) 0000 1111"));
        Assert.Empty(await SearchAsync("13800000000"));
        Assert.Empty(await SearchAsync("138")); // under four digits: a name search, no phone match
        // The list still masks what it found.
        var listed = Assert.Single((await ws.Owner.Api.GetJsonAsync<Shequn.Platform.Api.Page<MemberListItem>>("/api/members?q=5678")).Items);
        Assert.DoesNotContain("1234", listed.Phone ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task MemberSearch_ByPhone_IsOnlyForRolesThatMaySeePhones_OthersAreRefusedEverywhereTheFilterRuns()
    {
        var ws = await factory.NewWorkspaceAsync();
        var (community, ann) = await MemberAsync(ws, "Ann");
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new { displayName = "Ann", layer = "regular", phone = "13812345678" })).StatusCode);
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner, "副", community);
        var admin = await ws.AddStaffAsync(StaffRole.Admin, "管", community);
        var op = await ws.AddStaffAsync(StaffRole.Operator, "运", community);
        var tag = (await (await ws.Owner.Api.PostJsonAsync("/api/tags", new { name = "尾号" })).ReadAsync<Shequn.Features.Tags.TagDto>()).Id;

        // The roles that may see phones find the member by a longer ending than the mask shows.
        foreach (var allowed in new[] { ws.Owner, subOwner })
            Assert.Equal([ann], (await allowed.Api.GetJsonAsync<Shequn.Platform.Api.Page<MemberListItem>>("/api/members?q=45678")).Items.Select(i => i.Id));

        // The others cannot probe: the list and the export refuse with a problem that says so; bulk tagging names the filter's q.
        foreach (var refused in new[] { admin, op })
        {
            foreach (var path in new[] { "/api/members?q=45678", "/api/members?q=5678", "/api/members/export?q=138%201234%205678" })
            {
                var response = await refused.Api.GetAsync(path, Ct);
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                Assert.Equal("Phone search not allowed", problem.RootElement.GetProperty("title").GetString());
                Assert.Contains("phone number", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
            var bulk = await refused.Api.PostJsonAsync($"/api/tags/{tag}/members", new { filter = new { q = "45678" } });
            Assert.Equal(HttpStatusCode.BadRequest, bulk.StatusCode);
            Assert.Contains("filter.q", (await bulk.ReadValidationErrorsAsync()).Keys);
            // A name search still works, and so do digits too few to read as a phone.
            Assert.Equal([ann], (await refused.Api.GetJsonAsync<Shequn.Platform.Api.Page<MemberListItem>>("/api/members?q=ann")).Items.Select(i => i.Id));
            Assert.Empty((await refused.Api.GetJsonAsync<Shequn.Platform.Api.Page<MemberListItem>>("/api/members?q=678")).Items);
        }
        Assert.Empty(await DbAsync(db => db.MemberTags.IgnoreQueryFilters().Where(t => t.TagId == tag).ToListAsync(Ct)));
    }

    [Fact]
    public async Task FormLink_InAWorkspaceSpeakingEnglishToMembers_IsInEnglish_WithASwitchToChinese()
    {
        var ws = await factory.NewWorkspaceAsync();
        await PutTemplateAsync(ws);
        var (_, ann) = await MemberAsync(ws);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "en" })).StatusCode);
        var path = await NewLinkAsync(ws.Owner, ann);
        var web = Anonymous();

        var en = await (await web.GetAsync(path, Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"en\"", en, StringComparison.Ordinal);
        Assert.Contains("Your profile", en, StringComparison.Ordinal);
        Assert.Contains("href=\"?culture=zh-CN\"", en, StringComparison.Ordinal);
        // A submit without the consent comes back in English too, with the error worded in English.
        var refused = await web.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["f.city"] = "成都" }), Ct);
        var again = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"en\"", again, StringComparison.Ordinal);
        Assert.DoesNotContain("填写个人资料", again, StringComparison.Ordinal);
        Assert.Contains("Please tick the consent line to submit.", again, StringComparison.Ordinal);

        // The member's own choice still wins.
        var zh = await (await web.GetAsync(path + "?culture=zh-CN", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"zh-CN\"", zh, StringComparison.Ordinal);
        Assert.Contains("填写个人资料", zh, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FormLink_IsInChineseByDefault_WithASwitchToEnglish_KeptOnSubmit()
    {
        var ws = await factory.NewWorkspaceAsync();
        await PutTemplateAsync(ws);
        var (_, ann) = await MemberAsync(ws);
        var path = await NewLinkAsync(ws.Owner, ann);
        var web = Anonymous();
        // A browser asking for English does not decide; the visitor's explicit choice does.
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.AcceptLanguage.ParseAdd("en-US");
        var zh = await (await web.SendAsync(request, Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"zh-CN\"", zh, StringComparison.Ordinal);
        Assert.Contains("填写个人资料", zh, StringComparison.Ordinal);
        Assert.Contains("href=\"?culture=en\"", zh, StringComparison.Ordinal);

        var en = await (await web.GetAsync(path + "?culture=en", Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html lang=\"en\"", en, StringComparison.Ordinal);
        Assert.Contains("Your profile", en, StringComparison.Ordinal);
        Assert.Contains("href=\"?culture=zh-CN\"", en, StringComparison.Ordinal);
        Assert.Contains("action=\"?culture=en\"", en, StringComparison.Ordinal);
        // A refused submit in English answers in English.
        var refused = await web.PostAsync(path + "?culture=en", Form(("f.city", "成都")), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Your profile", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [GeneratedRegex("http://localhost(/p/[A-Za-z0-9_-]+)")]
    private static partial Regex LinkPattern();

    private static async Task<string> NewLinkAsync(TestStaff staff, Guid member)
    {
        var response = await staff.Api.PostAsync($"/api/members/{member}/profile-link", null, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var link = await response.ReadAsync<ProfileLinkDto>();
        Assert.InRange(link.ExpiresAt, DateTime.UtcNow.AddDays(6.9), DateTime.UtcNow.AddDays(7.1));
        return LinkPattern().Match(link.Url).Groups[1].Value;
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) => new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    [Fact]
    public async Task FormLink_SubmitWithConsent_StoresTheValues_OnceOnly_AndExpiredOrUsedLinksGetAFriendlyPage()
    {
        var ws = await factory.NewWorkspaceAsync();
        var t = await PutTemplateAsync(ws);
        var (_, ann) = await MemberAsync(ws);
        string age = KeyOf(t, "年龄"), level = KeyOf(t, "会员等级");
        var path = await NewLinkAsync(ws.Owner, ann);
        var hash = ProfileLinks.Hash(path["/p/".Length..]);
        Assert.Equal(1, await DbAsync(db => db.Set<ProfileLink>().IgnoreQueryFilters().CountAsync(l => l.TokenHash == hash && l.MemberId == ann, Ct)));

        var web = Anonymous();
        var page = await web.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("profile-field-city", html, StringComparison.Ordinal);
        Assert.Contains("会员等级", html, StringComparison.Ordinal);
        Assert.Contains("profile-consent", html, StringComparison.Ordinal);

        // Without consent: refused, nothing stored, the link still works.
        var refused = await web.PostAsync(path, Form(("f.city", "成都"), ($"f.{age}", "40")), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("profile-consent-error", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        // A required field left empty and a wrong choice: refused too.
        var invalid = await web.PostAsync(path, Form(($"f.{level}", "钻石"), ("consent", "yes")), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Null(await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == ann).Select(m => m.City).SingleAsync(Ct)));

        var done = await web.PostAsync(path, Form(("f.city", "成都"), ("f.phone", "13900001111"), ($"f.{age}", "40"), ($"f.{level}", "普通"),
            ("needs", "business"), ("needs", "life"), ("consent", "yes")), Ct);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("profile-form-thanks", await done.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var member = await DbAsync(db => db.Members.IgnoreQueryFilters().AsNoTracking().SingleAsync(m => m.Id == ann, Ct));
        Assert.Equal(("成都", "13900001111", MemberNeeds.Business | MemberNeeds.Life), (member.City, member.Phone, member.Needs));
        var stored = await DbAsync(db => db.Set<MemberFieldValue>().IgnoreQueryFilters().AsNoTracking().Where(v => v.MemberId == ann).ToDictionaryAsync(v => v.Key, v => v.Value, Ct));
        Assert.Equal(("40", "普通"), (stored[age], stored[level]));
        var link = await DbAsync(db => db.Set<ProfileLink>().IgnoreQueryFilters().AsNoTracking().SingleAsync(l => l.TokenHash == hash, Ct));
        Assert.NotNull(link.UsedAt);
        Assert.NotNull(link.ConsentAt);

        // Used: a friendly page (200), for a GET and a second submit alike; nothing changes.
        var used = await web.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        Assert.Contains("profile-form-closed", await used.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var second = await web.PostAsync(path, Form(("f.city", "北京"), ("consent", "yes")), Ct);
        Assert.Contains("profile-form-closed", await second.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal((string?)"成都", await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == ann).Select(m => m.City).SingleAsync(Ct)));

        // Expired, and unknown: friendly pages too.
        var expired = await NewLinkAsync(ws.Owner, ann);
        var expiredHash = ProfileLinks.Hash(expired["/p/".Length..]);
        await DbAsync(db => db.Set<ProfileLink>().IgnoreQueryFilters().Where(l => l.TokenHash == expiredHash).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)), Ct));
        var expiredPage = await web.GetAsync(expired, Ct);
        Assert.Equal(HttpStatusCode.OK, expiredPage.StatusCode);
        Assert.Contains("profile-form-closed", await expiredPage.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var refusedExpired = await web.PostAsync(expired, Form(("f.city", "北京"), ("consent", "yes")), Ct);
        Assert.Contains("profile-form-closed", await refusedExpired.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var unknown = await web.GetAsync("/p/not-a-token", Ct);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Contains("profile-form-closed", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // A KOC may not make links.
        var koc = await ws.AddStaffAsync(StaffRole.Koc, null, (await DbAsync(db => db.Memberships.IgnoreQueryFilters().Where(m => m.MemberId == ann).Select(m => m.CommunityId).SingleAsync(Ct))));
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostAsync($"/api/members/{ann}/profile-link", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task PhonesAreMaskedInTheListForEveryone_OnlyOwnersAndSubOwnersReveal_EachRevealIsLogged_ExportHasThem_EraseRemovesThem()
    {
        var ws = await factory.NewWorkspaceAsync();
        var t = await PutTemplateAsync(ws);
        var wechat = KeyOf(t, "微信号");
        var (community, ann) = await MemberAsync(ws);
        await (await ws.Owner.Api.PutJsonAsync($"/api/members/{ann}", new
        {
            displayName = "Ann", layer = "regular", phone = "13812345678", values = new Dictionary<string, string?> { [wechat] = "ann_wx" },
        })).ReadAsync<MemberDto>();
        var op = await ws.AddStaffAsync(StaffRole.Operator, "Op", community);
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner, "Sub", community);

        var list = await op.Api.GetJsonAsync<Page<MemberListItem>>("/api/members");
        Assert.Equal("138****5678", list.Items.Single(m => m.Id == ann).Phone);
        var ownerList = await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>("/api/members");
        Assert.Equal("138****5678", ownerList.Items.Single(m => m.Id == ann).Phone);
        var detail = await op.Api.GetJsonAsync<MemberDto>($"/api/members/{ann}");
        Assert.Equal("138****5678", detail.Phone);
        Assert.DoesNotContain("ann_wx", await (await op.Api.GetAsync($"/api/members/{ann}", Ct)).Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync($"/api/members/{ann}/reveal", new { field = "phone" })).StatusCode);
        Assert.Equal(0, await DbAsync(db => db.Set<PersonalDataReveal>().IgnoreQueryFilters().CountAsync(r => r.MemberId == ann, Ct)));

        var phone = await (await subOwner.Api.PostJsonAsync($"/api/members/{ann}/reveal", new { field = "phone" })).ReadAsync<RevealResult>();
        Assert.Equal("13812345678", phone.Value);
        var wx = await (await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/reveal", new { field = wechat })).ReadAsync<RevealResult>();
        Assert.Equal("ann_wx", wx.Value);
        var notPersonal = await (await ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/reveal", new { field = "city" })).ReadValidationErrorsAsync();
        Assert.Contains("field", notPersonal.Keys);

        var log = await ws.Owner.Api.GetJsonAsync<List<RevealLogEntry>>($"/api/members/{ann}/reveals");
        Assert.Equal(2, log.Count);
        Assert.Contains(log, e => e.StaffId == subOwner.Id && e.StaffName == "Sub" && e.Field == "phone");
        Assert.Contains(log, e => e.StaffId == ws.Owner.Id && e.Field == wechat);
        Assert.Equal(HttpStatusCode.Forbidden, (await subOwner.Api.GetAsync($"/api/members/{ann}/reveals", Ct)).StatusCode);

        var export = await ws.Owner.Api.GetJsonAsync<PersonalDataExport>($"/api/members/{ann}/personal-data");
        Assert.Equal("13812345678", export.Phone);
        Assert.Equal("ann_wx", export.Values!.Single(v => v.Key == wechat).Value);

        await NewLinkAsync(ws.Owner, ann);
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PostAsync($"/api/members/{ann}/erase", null, Ct)).StatusCode);
        Assert.Equal(0, await DbAsync(db => db.Set<MemberFieldValue>().IgnoreQueryFilters().CountAsync(v => v.MemberId == ann, Ct)));
        Assert.Equal(0, await DbAsync(db => db.Set<ProfileLink>().IgnoreQueryFilters().CountAsync(l => l.MemberId == ann, Ct)));
    }

    private EventProcessor Processor => factory.Services.GetRequiredService<EventProcessor>();

    private static async Task DrainAsync(EventProcessor processor)
    {
        while (await processor.ProcessBatchAsync(EventProcessor.BatchSize, oneByOne: false, Ct) > 0)
        {
        }
    }

    [Fact]
    public async Task Welcome_WithProfileLink_CarriesAWorkingLinkPerNewcomer_ThroughTheSandbox()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("欢迎群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        await (await ws.Owner.Api.PutJsonAsync($"/api/communities/{community}/ritual", new
        {
            welcomeText = "欢迎 {nickname}！请填写资料：{profile_link}", selfIntroEnabled = false, introduceTaskEnabled = false,
        })).ReadAsync<RitualSettingsDto>();
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
        await DrainAsync(Processor);

        await chat.JoinAsync(community, "Alice", null, Ct);
        await DrainAsync(Processor);
        var welcome = await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .SingleAsync(a => a.WorkspaceId == ws.Id && a.IdempotencyKey.StartsWith(RitualReaction.WelcomeKeyPrefix), Ct));
        var text = ActionPayload.FromJson(welcome.Payload).Text!;
        var path = LinkPattern().Match(text).Groups[1].Value;
        Assert.StartsWith("/p/", path, StringComparison.Ordinal);
        Assert.DoesNotContain("{profile_link}", text, StringComparison.Ordinal);

        // A second newcomer within the burst: the welcome names both, with a link each; Alice's first link never went out and is gone.
        await chat.JoinAsync(community, "Bob", null, Ct);
        await DrainAsync(Processor);
        welcome = await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == welcome.Id, Ct));
        text = ActionPayload.FromJson(welcome.Payload).Text!;
        var paths = LinkPattern().Matches(text).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, paths.Count);
        Assert.Contains("Alice: http://localhost/p/", text, StringComparison.Ordinal);
        Assert.Contains("Bob: http://localhost/p/", text, StringComparison.Ordinal);
        Assert.Equal(2, await DbAsync(db => db.Set<ProfileLink>().IgnoreQueryFilters().CountAsync(l => l.WorkspaceId == ws.Id && l.WelcomeActionId == welcome.Id, Ct)));

        var web = Anonymous();
        foreach (var p in paths)
        {
            var html = await (await web.GetAsync(p, Ct)).Content.ReadAsStringAsync(Ct);
            Assert.Contains("profile-form", html, StringComparison.Ordinal);
            Assert.DoesNotContain("profile-form-closed", html, StringComparison.Ordinal);
        }
        var bob = await DbAsync(db => db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == ws.Id && i.Platform == ChatPlatform.Sandbox)
            .Join(db.Members.IgnoreQueryFilters().Where(m => m.DisplayName == "Bob"), i => i.MemberId, m => m.Id, (i, m) => m.Id).SingleAsync(Ct));
        var done = await web.PostAsync(paths[1], Form(("f.city", "杭州"), ("consent", "yes")), Ct);
        Assert.Contains("profile-form-thanks", await done.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal((string?)"杭州", await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == bob).Select(m => m.City).SingleAsync(Ct)));
    }
}

public sealed class ProfileTests_Sqlite(ProfilesSqliteFactory factory) : ProfileTests(factory), IClassFixture<ProfilesSqliteFactory>;

public sealed class ProfileTests_Postgres(ProfilesPostgresFactory factory) : ProfileTests(factory), IClassFixture<ProfilesPostgresFactory>;
