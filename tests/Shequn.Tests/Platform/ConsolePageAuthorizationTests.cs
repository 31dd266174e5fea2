using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Sandbox;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Acquisition;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Features.Members;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// Authorisation everywhere, for the console (docs/security.md): every console page whose address names an object (a
/// route id or a query-string id), opened with a console cookie by each role of a workspace and by the owner of another,
/// with an object of a community the caller is assigned to, of a community of the same workspace they are not assigned
/// to, and of the other workspace. The pages are prerendered, so the HTML a plain GET answers is what the page shows: the
/// object when the caller may see it, else the page's not-found (or forbidden) state, and never a name, phone or text of
/// an object the caller may not see, anywhere on the page.
/// </summary>
public abstract class ConsolePageAuthorizationTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Where an object lives: workspace A's community all its staff are assigned to, A's community only its owner sees, workspace B.</summary>
    private enum Place
    {
        Assigned,
        OwnerOnly,
        OtherWorkspace,
    }

    /// <summary>One place's objects, and the texts that must not reach a caller who may not see them.</summary>
    private sealed record Objects(
        Guid Community, string CommunityName, Guid Member, string MemberName, string Phone, string Message, Guid LiveCode,
        string LiveCodeName, Guid Campaign, string CampaignName, Guid? Tag, string? TagName, Guid? Channel, string? ChannelName)
    {
        public IEnumerable<string> Marks =>
            new[] { CommunityName, MemberName, Phone, Shequn.Features.Profiles.ProfileValues.Mask(Phone)!, Message, LiveCodeName, CampaignName, TagName, ChannelName }
                .OfType<string>();
    }

    private sealed record Caller(string Name, StaffRole Role, bool OtherWorkspace, HttpClient Browser)
    {
        public bool Sees(Place place) => OtherWorkspace
            ? place == Place.OtherWorkspace
            : place == Place.Assigned || (place == Place.OwnerOnly && Role == StaffRole.Owner);
    }

    /// <summary>
    /// A page naming an object: its address ({id} replaced), the object's id at a place (null: no such object there), what
    /// the page shows of a visible object, the test id of its not-found state (null: the page has none and falls back to
    /// its list), and the test id it shows instead to a role that may not use it at all.
    /// </summary>
    private sealed record PageCase(
        string Path, Func<Objects, Guid?> Id, Func<Objects, string[]> Shows, string? NotFound, Func<StaffRole, string?>? Refusal = null);

    private static readonly PageCase[] Pages =
    [
        new("/communities/{id}", o => o.Community, o => [o.CommunityName], "not-found"),
        new("/communities/{id}/activity", o => o.Community, o => [o.CommunityName], "not-found"),
        new("/communities/{id}/import", o => o.Community, o => [o.CommunityName], "not-found", r => r == StaffRole.Koc ? "import-forbidden" : null),
        new("/communities/{id}/chat", o => o.Community, o => [o.CommunityName, o.MemberName, o.Message], "not-found"),
        new("/communities/{id}/ritual", o => o.Community, o => [o.CommunityName], "ritual-not-found"),
        new("/members/{id}", o => o.Member, o => [o.MemberName, o.Message], "not-found"),
        new("/live-codes/{id}", o => o.LiveCode, o => [o.LiveCodeName], "not-found", r => r == StaffRole.Koc ? "live-codes-not-allowed" : null),
        // Tags belong to the workspace, not to a community: the review lists only the members the caller sees.
        new("/tags/{id}/review", o => o.Tag, o => [o.TagName!, o.MemberName], "not-found"),
        new("/members?communityId={id}", o => o.Community, _ => [], null),
        new("/calendar?community={id}", o => o.Community, _ => [], null),
        new("/analytics/figures?scope=community&id={id}", o => o.Community, _ => [], null),
        new("/campaigns?id={id}", o => o.Campaign, o => [o.CampaignName], null),
        new("/moderation/log?memberId={id}", o => o.Member, _ => [], null),
        new("/live-codes?channel={id}", o => o.Channel, _ => [], null),
    ];

    [Fact]
    public async Task EveryPageNamingAnObject_ByEveryRole_OnOwnForeignAndOtherWorkspaceObjects_ShowsOnlyWhatTheRoleMaySee()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var run = Guid.NewGuid().ToString("N")[..6];

        var assignedCommunity = await CommunityAsync(a, $"本群{run}");
        var ownerOnlyCommunity = await CommunityAsync(a, $"别群{run}");
        var otherCommunity = await CommunityAsync(b, $"外人的群{run}");
        var staff = new List<(string Name, StaffRole Role, string Email)> { ("owner", StaffRole.Owner, a.Owner.Email) };
        foreach (var role in new[] { StaffRole.SubOwner, StaffRole.Admin, StaffRole.Operator, StaffRole.Koc })
            staff.Add((role.ToString(), role, (await a.AddStaffAsync(role, null, assignedCommunity.Id)).Email));

        var tagA = await MemberTestData.TagAsync(a.Owner, $"本标签{run}");
        var tagB = await MemberTestData.TagAsync(b.Owner, $"外人标签{run}");
        var channelA = await LiveCodeKit.ChannelAsync(a, $"本渠道{run}");
        var channelB = await LiveCodeKit.ChannelAsync(b, $"外人渠道{run}");
        var objects = new Dictionary<Place, Objects>
        {
            [Place.Assigned] = await ObjectsAsync(a, assignedCommunity, $"本群的人{run}", "13800001111", $"本群的话{run}", $"本群活码{run}", $"本群活动{run}", "SKU-A",
                (tagA.Id, tagA.Name), (channelA, $"本渠道{run}")),
            [Place.OwnerOnly] = await ObjectsAsync(a, ownerOnlyCommunity, $"别群的人{run}", "13900002222", $"别群的话{run}", $"别群活码{run}", $"别群活动{run}", "SKU-B",
                (tagA.Id, null), (channelA, null)),
            [Place.OtherWorkspace] = await ObjectsAsync(b, otherCommunity, $"外人{run}", "13700003333", $"外人的话{run}", $"外人活码{run}", $"外人活动{run}", "SKU-C",
                (tagB.Id, tagB.Name), (channelB, $"外人渠道{run}")),
        };
        // Workspace A's tag and channel belong to no community: their pages are opened once, as the assigned place's.
        objects[Place.OwnerOnly] = objects[Place.OwnerOnly] with { Tag = null, TagName = null, Channel = null, ChannelName = null };
        // Its auto-tags: the review of A's tag lists both members to the owner, only the assigned community's to the others.
        await AutoTagAsync(a, tagA.Id, objects[Place.Assigned].Member, objects[Place.OwnerOnly].Member);
        await AutoTagAsync(b, tagB.Id, objects[Place.OtherWorkspace].Member);

        // Every caller signs in once, with a cookie, as a browser does.
        var callers = new List<Caller>();
        foreach (var (name, role, email) in staff)
            callers.Add(new Caller(name, role, false, await SignedInAsync(email)));
        callers.Add(new Caller("other workspace's owner", StaffRole.Owner, true, await SignedInAsync(b.Owner.Email)));

        var problems = new ConcurrentBag<string>();
        var opened = 0;
        await Task.WhenAll(callers.Select(async caller =>
        {
            var foreign = objects.Where(o => !caller.Sees(o.Key)).SelectMany(o => o.Value.Marks).ToList();
            foreach (var page in Pages)
            {
                foreach (var (place, o) in objects)
                {
                    if (page.Id(o) is not { } id)
                        continue;
                    // Tags and channels are the workspace's: every caller of the workspace sees them.
                    var sees = page.Path.StartsWith("/tags/", StringComparison.Ordinal) ? caller.OtherWorkspace == (place == Place.OtherWorkspace) : caller.Sees(place);
                    var url = page.Path.Replace("{id}", id.ToString(), StringComparison.Ordinal);
                    var what = $"{url} ({place}) as {caller.Name}";
                    using var response = await caller.Browser.GetAsync(url, Ct);
                    Interlocked.Increment(ref opened);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        problems.Add($"{what}: {(int)response.StatusCode} {response.Headers.Location}");
                        continue;
                    }
                    var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct));
                    if (foreign.FirstOrDefault(m => html.Contains(m, StringComparison.Ordinal)) is { } leak)
                        problems.Add($"{what} shows '{leak}', which this caller may not see");
                    if (page.Refusal?.Invoke(caller.Role) is { } refusal)
                    {
                        if (!HasTestId(html, refusal))
                            problems.Add($"{what}: not refused ({refusal})");
                        continue;
                    }
                    if (sees)
                    {
                        if (page.NotFound is { } notFound && HasTestId(html, notFound))
                            problems.Add($"{what}: not found, but the caller may see it");
                        foreach (var shown in page.Shows(o).Where(s => !html.Contains(s, StringComparison.Ordinal)))
                            problems.Add($"{what}: does not show '{shown}'");
                    }
                    else if (page.NotFound is { } notFound && !HasTestId(html, notFound))
                        problems.Add($"{what}: not in its not-found state ({notFound})");
                }
            }
        }));

        Assert.True(opened > 200, $"Only {opened} pages were opened.");
        Assert.True(problems.IsEmpty, $"{problems.Count} problems:\n" + string.Join("\n", problems.Order(StringComparer.Ordinal)));
    }

    private static bool HasTestId(string html, string testId) =>
        html.Contains($"data-testid=\"{testId}\"", StringComparison.Ordinal);

    private async Task<HttpClient> SignedInAsync(string email)
    {
        var browser = factory.Browser();
        var signedIn = await ConsoleBrowser.SignInAsync(browser, email, TestStaff.Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.False(signedIn.Headers.Location?.ToString().StartsWith("/login", StringComparison.Ordinal) ?? true, $"{email} was not signed in.");
        return browser;
    }

    private static async Task<CommunityDto> CommunityAsync(TestWorkspace ws, string name) =>
        await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, "sandbox"))).ReadAsync<CommunityDto>();

    /// <summary>
    /// A member who joined the community in its chat and said something there (so the chat, the member's page and the tag
    /// review have a name and a text to show), with a phone; a live code routing to the community; a campaign for it.
    /// </summary>
    private async Task<Objects> ObjectsAsync(TestWorkspace ws, CommunityDto community, string memberName, string phone, string message, string liveCodeName,
        string campaignName, string sku, (Guid Id, string? Name) tag, (Guid Id, string? Name) channel)
    {
        Guid member;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws.Id);
            var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
            var user = await chat.JoinAsync(community.Id, memberName, "活码", Ct);
            await chat.PostAsync(community.Id, user, memberName, message, fromStaff: false, Ct);
            await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            member = await db.Set<MemberIdentity>().Where(i => i.UserId == user).Select(i => i.MemberId).SingleAsync(Ct);
            await db.Members.Where(m => m.Id == member).ExecuteUpdateAsync(s => s.SetProperty(m => m.Phone, phone), Ct);
        }
        var code = await (await ws.Owner.Api.PostJsonAsync("/api/live-codes", new
        {
            name = liveCodeName, channelId = channel.Id, policy = "fillToTarget", target = 150, limit = 200, landing = false,
            routes = new[] { new { communityId = community.Id } },
        })).ReadAsync<LiveCodeDto>();
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", CampaignTests.FlashSale(community.Id, campaignName, sku))).ReadAsync<CampaignDto>();
        return new Objects(community.Id, community.Name, member, memberName, phone, message,
            code.Id, liveCodeName, campaign.Id, campaignName, tag.Id, tag.Name, channel.Id, channel.Name);
    }

    /// <summary>Auto-tags awaiting review (as the tag rules leave them), straight in the database.</summary>
    private async Task AutoTagAsync(TestWorkspace ws, Guid tag, params Guid[] members)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        foreach (var member in members)
            db.MemberTags.Add(new MemberTag { MemberId = member, TagId = tag, Source = TagSource.Auto, State = MemberTagState.Suggested });
        await db.SaveChangesAsync(Ct);
    }
}

public sealed class ConsolePageAuthorizationTests_Sqlite(SqliteFactory factory) : ConsolePageAuthorizationTests(factory), IClassFixture<SqliteFactory>;

public sealed class ConsolePageAuthorizationTests_Postgres(PostgresFactory factory) : ConsolePageAuthorizationTests(factory), IClassFixture<PostgresFactory>;
