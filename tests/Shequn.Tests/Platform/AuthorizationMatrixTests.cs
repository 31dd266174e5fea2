using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Demo;
using Shequn.Features.Staff;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Platform;

/// <summary>
/// Authorisation everywhere (docs/security.md): every endpoint the app maps either carries an authorisation policy or is
/// on the short reviewed list of anonymous routes; and every authorised endpoint, called by every role of the demo
/// workspace, by a token of another workspace and anonymously, on objects of the caller's community, of another
/// community and of another workspace, answers as the reviewed matrix (AuthorizationMatrix.txt) says, never 5xx, and
/// never with a row of a workspace the caller is not in.
/// </summary>
[LongRunning]
public abstract partial class AuthorizationMatrixTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// The routes anyone may call, reviewed: health, sign-in and first set-up, the platforms' webhooks (checked by their
    /// own signatures), the order webhook (signed), the members' H5 pages and their forms (by unguessable slug, code or
    /// token), the API description. Anything else anonymous fails the test.
    /// </summary>
    internal static readonly string[] AnonymousRoutes =
    [
        "ANY /health",
        "GET /login", "POST /login", "POST /account/login", "POST /account/logout", "GET /setup", "POST /setup", "GET /culture",
        // The static files' fallback (MapStaticAssets): files, no data.
        "GET /{**path:file}", "HEAD /{**path:file}",
        "GET /openapi/{documentName}.json", "GET /api/docs/{documentName?}",
        "GET /wecom/callback/{connectionId:guid}", "POST /wecom/callback/{connectionId:guid}",
        "POST /telegram/webhook/{botUserId:long}",
        "POST /hooks/orders/{workspace:guid}",
        // A member's own withdrawal of a consent: the token in the link (shown once, stored as a hash) is the key; the
        // post is rate-limited like the other public forms and names nothing but the consent it closes.
        "GET /w/{token}", "POST /w/{token}",
    ];

    /// <summary>Public H5 prefixes: a member's pages, reached by an unguessable slug, code or token.</summary>
    internal static readonly string[] AnonymousPrefixes = ["/c/{slug}", "/j/{code}", "/p/{token}", "/api/docs"];

    [Fact]
    public void EveryEndpoint_HasAnAuthorizationPolicy_OrIsAReviewedAnonymousRoute()
    {
        var endpoints = Endpoints(factory.Services).ToList();
        Assert.True(endpoints.Count > 200, $"Only {endpoints.Count} endpoints were found: the listing is broken.");
        var anonymous = endpoints.Where(e => e.Anonymous).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var unguarded = endpoints.Where(e => !e.Anonymous && !e.Authorized && !IsReviewedAnonymous(e.Key)).Select(e => e.Key).ToList();
        var unreviewed = anonymous.Where(k => !IsReviewedAnonymous(k)).Order(StringComparer.Ordinal).ToList();
        var open = endpoints.Where(e => e.Anonymous || !e.Authorized).Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var stale = AnonymousRoutes.Where(r => !open.Contains(r)).ToList();

        Assert.True(unguarded.Count == 0, "Endpoints with no authorisation policy and not anonymous by review:\n" + string.Join("\n", unguarded));
        Assert.True(unreviewed.Count == 0, "Anonymous endpoints not on the reviewed list (AuthorizationMatrixTests.AnonymousRoutes):\n" + string.Join("\n", unreviewed));
        Assert.True(stale.Count == 0, "Reviewed anonymous routes that no longer exist (remove them):\n" + string.Join("\n", stale));
        // The API itself is never anonymous, whatever a feature maps under it.
        Assert.DoesNotContain(anonymous, k => k.Split(' ')[1].StartsWith("/api/", StringComparison.Ordinal) && !k.Contains("/api/docs", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryConsoleFormPost_RequiresTheAntiforgeryToken()
    {
        // Posts outside the API (which takes bearer tokens only), the platforms' and shops' webhooks (signed) and the
        // members' H5 forms (public by slug or code) are the console's own forms: each must check the antiforgery token.
        var forms = Endpoints(factory.Services)
            .Where(e => e.Method is "POST" or "PUT" or "DELETE" or "PATCH")
            .Where(e => (!e.Pattern.StartsWith("/api/", StringComparison.Ordinal) && !IsReviewedAnonymous(e.Key)) || e.Key is "POST /account/login" or "POST /account/logout" or "POST /setup")
            .ToList();
        Assert.NotEmpty(forms);
        var unprotected = forms.Where(e => !e.Antiforgery).Select(e => e.Key).ToList();
        Assert.True(unprotected.Count == 0, "Console form posts that do not check the antiforgery token:\n" + string.Join("\n", unprotected));
    }

    [Fact]
    public async Task SignOut_WithoutTheAntiforgeryToken_IsRefused_WithIt_SignsOut()
    {
        var ws = await factory.NewWorkspaceAsync();
        using var client = factory.Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await ConsoleBrowser.SignInAsync(client, ws.Owner.Email, TestStaff.Password)).StatusCode);

        // A page elsewhere posting to the sign-out address: refused, and the session stays.
        using var forgedForm = new FormUrlEncodedContent([]);
        var forged = await client.PostAsync("/account/logout", forgedForm, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True(ConsoleBrowser.IsSignedIn(await client.GetAsync("/communities", Ct)));

        // The console's own sign-out form carries the token.
        var token = await ConsoleBrowser.AntiforgeryTokenAsync(client, "/communities");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        var signedOut = await client.PostAsync("/account/logout", form, Ct);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.False(ConsoleBrowser.IsSignedIn(await client.GetAsync("/communities", Ct)));
    }

    /// <summary>Where the reviewed matrix lives; SHEQUN_ACCEPT_MATRIX=1 rewrites it from a run (then review the diff).</summary>
    private static string MatrixFile([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "AuthorizationMatrix.txt");

    /// <summary>
    /// Which kind of object a route's id names, by the literal path before it (earlier ids shown as {}). A route whose
    /// id is not here fails the test, so a new endpoint joins the matrix when it is added.
    /// </summary>
    private static readonly Dictionary<string, string> Kinds = new(StringComparer.Ordinal)
    {
        ["/api/communities"] = "Community",
        ["/api/community-tags"] = "CommunityTag",
        ["/api/members"] = "Member",
        ["/api/tags"] = "Tag",
        ["/api/campaigns"] = "Campaign",
        ["/api/campaigns/{}/photos"] = "CampaignPhoto",
        ["/api/live-codes"] = "LiveCode",
        ["/api/live-codes/{}/routes"] = "LiveCodeRoute",
        ["/api/channels"] = "AcquisitionChannel",
        ["/api/posts"] = "Post",
        ["/api/scripts"] = "Script",
        ["/api/autoreplies"] = "AutoReplyRule",
        ["/api/rulesets"] = "RuleSet",
        ["/api/staff"] = "StaffUser",
        ["/api/tokens"] = "ApiToken",
        ["/api/tasks"] = "StaffTask",
        ["/api/topics"] = "Topic",
        ["/api/tag-rules"] = "TagRule",
        ["/api/feedback"] = "FeedbackTicket",
        ["/api/orders"] = "Order",
        ["/api/wecom/connections"] = "WeComConnection",
        ["/api/telegram/bots"] = "TelegramBot",
        ["/api/telegram/chats"] = "TelegramChat",
        ["/api/orders/category-communities"] = "CategoryCommunity",
        ["/api/points/levels"] = "PointLevel",
        ["/api/scripts/{}/communities"] = "Community",
        ["/api/tags/{}/members"] = "Member",
        ["/api/vip/candidates"] = "Member",
        ["/api/actions"] = "OutboundAction",
        ["/api/analytics/competitions"] = "CommunityCompetition",
        ["/api/campaigns/{}/links"] = "Member",
        ["/api/campaigns/{}/bargains"] = "CampaignBargain",
        ["/api/campaigns/{}/claims"] = "CampaignClaim",
        ["/api/campaigns/{}/redemptions"] = "CampaignRedemption",
        ["/api/campaigns/{}/refunds"] = "CampaignRefund",
        ["/api/campaigns/{}/seats"] = "CampaignGroupSeat",
        ["/api/campaigns/{}/swap/items"] = "SwapItem",
        ["/api/campaigns/{}/swap/offers"] = "SwapOffer",
        ["/api/feedback/tickets"] = "FeedbackTicket",
        ["/api/media"] = "PostImage",
        ["/api/moderation/cases"] = "ModerationCase",
        ["/api/moderation/lists"] = "ModerationWordList",
        ["/api/moderation/blacklist"] = "BlacklistEntry",
        ["/api/responses"] = "MemberQuestion",
        ["/api/sop"] = "SopTemplate",
        ["/api/topics/sessions"] = "TopicSession",
        ["/api/budget/alerts"] = "BudgetAlert",
        ["/api/budget/costs"] = "CostEntry",
        ["/api/calendar/brand-dates"] = "BrandDate",
        ["/api/friend-adds/accounts"] = "FriendAccount",
        ["/api/friend-adds/leads"] = "FriendLead",
        ["/api/friend-adds/leads/from-campaign"] = "Campaign",
        ["/api/members/merges"] = "MemberMerge",
        ["/campaigns"] = "Campaign",
        ["/members"] = "Member",
    };

    /// <summary>
    /// Kinds the demo seeds from its catalog, the same rows at any hour. Routes of other kinds (actions, moderation cases,
    /// questions, tickets: rows the demo's history makes relative to the hour it is seeded) are called and held to the
    /// invariants, but their answers are not compared with the file: which row is picked, and so who may see it, varies.
    /// </summary>
    private static readonly HashSet<string> SettledKinds = new(StringComparer.Ordinal)
    {
        "Community", "CommunityTag", "Member", "Tag", "Campaign", "LiveCode", "LiveCodeRoute", "AcquisitionChannel", "Script",
        "RuleSet", "StaffUser", "ApiToken", "Topic", "TagRule", "SopTemplate", "PointLevel", "CategoryCommunity",
    };

    private sealed record Caller(string Name, HttpClient? Client);

    private sealed record Sample(Guid Id, Guid? CommunityId, IReadOnlyDictionary<string, Guid> Links);

    [Fact]
    public async Task EveryEndpoint_ByEveryRole_OnOwnForeignAndOtherWorkspaceObjects_AnswersAsReviewed()
    {
        var stranger = await factory.NewWorkspaceAsync();
        await DemoWorkspace.EnsureAndPrintAsync(factory.Services, TextWriter.Null, Ct);
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var demo = await db.Workspaces.IgnoreQueryFilters().SingleAsync(w => w.Name == DemoWorkspace.WorkspaceName, Ct);
        db.Current.ActAsSystem(demo.Id);

        // The demo's staff, one of each role, each with a token of their own; a stranger of another workspace; nobody.
        var callers = new List<Caller> { new("anonymous", factory.ClientWithToken("")) };
        callers[0].Client!.DefaultRequestHeaders.Authorization = null;
        callers.Add(new("stranger", stranger.Owner.Api));
        var emails = new (string Role, string Email)[]
        {
            ("koc", "koc.xiaoyu@demo.shequn.local"), ("operator", "zhou.ting@demo.shequn.local"), ("admin", "zhao.min@demo.shequn.local"),
            ("subowner", "li.jing@demo.shequn.local"), ("owner", DemoWorkspace.OwnerEmail),
        };
        var callerIds = new HashSet<Guid>();
        var tokenIds = new HashSet<Guid>();
        foreach (var (role, email) in emails)
        {
            var staff = await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Email == email, Ct);
            var secret = ApiToken.NewSecret();
            var token = ApiToken.Issue(demo.Id, staff.Id, "matrix", secret);
            db.ApiTokens.Add(token);
            callerIds.Add(staff.Id);
            tokenIds.Add(token.Id);
            callers.Add(new(role, factory.ClientWithToken(secret)));
        }
        await db.SaveChangesAsync(Ct);
        var owner = callers.Single(c => c.Name == "owner").Client!;
        var operatorId = (await db.Users.IgnoreQueryFilters().SingleAsync(u => u.Email == "zhou.ting@demo.shequn.local", Ct)).Id;
        var operatorCommunities = (await db.CommunityStaff.IgnoreQueryFilters().Where(a => a.StaffUserId == operatorId).Select(a => a.CommunityId).ToListAsync(Ct)).ToHashSet();
        var memberCommunities = (await db.Memberships.IgnoreQueryFilters().Where(m => m.WorkspaceId == demo.Id).Select(m => new { m.MemberId, m.CommunityId }).ToListAsync(Ct))
            .ToLookup(m => m.MemberId, m => m.CommunityId);

        // What must never cross: the stranger's community name in a demo caller's answer, and the demo's community and
        // staff names in the stranger's.
        var strangerMark = "外人的群" + Guid.NewGuid().ToString("N")[..8];
        Assert.True((await stranger.Owner.Api.PostJsonAsync("/api/communities", new { name = strangerMark, platform = "sandbox", type = "content", subType = "topic", tier = "comprehensive", capacity = 200, state = "active" })).IsSuccessStatusCode);
        var demoMarks = (await db.Communities.IgnoreQueryFilters().Where(c => c.WorkspaceId == demo.Id).Select(c => c.Name).ToListAsync(Ct))
            .Concat(await db.Users.IgnoreQueryFilters().Where(u => u.WorkspaceId == demo.Id).Select(u => u.Email!).ToListAsync(Ct))
            .Distinct().ToList();
        Assert.True(demoMarks.Count > 10, "The demo has too few names to look for.");

        var communityNames = await db.Communities.IgnoreQueryFilters().Where(c => c.WorkspaceId == demo.Id).ToDictionaryAsync(c => c.Id, c => c.Name, Ct);
        // Objects of each kind: in one of the operator's communities ("own") and in none of them ("other").
        var samples = new Dictionary<string, List<Sample>>(StringComparer.Ordinal);
        async Task<List<Sample>> SamplesAsync(string kind)
        {
            if (samples.TryGetValue(kind, out var known))
                return known;
            var type = db.Model.GetEntityTypes().SingleOrDefault(t => t.ClrType.Name == kind)
                ?? throw new InvalidOperationException($"No entity named {kind}.");
            var rows = await (Task<List<object>>)typeof(AuthorizationMatrixTests).GetMethod(nameof(RowsAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(type.ClrType).Invoke(null, [db, demo.Id, communityNames])!;
            var guids = type.GetProperties().Where(p => (p.ClrType == typeof(Guid) || p.ClrType == typeof(Guid?)) && p.PropertyInfo is not null).ToList();
            var list = new List<Sample>();
            foreach (var row in rows)
            {
                var values = guids.Select(p => (p.Name, Value: p.PropertyInfo!.GetValue(row) as Guid?)).Where(v => v.Value is not null)
                    .ToDictionary(v => v.Name, v => v.Value!.Value, StringComparer.Ordinal);
                if (!values.TryGetValue("Id", out var id))
                    continue;
                if (callerIds.Contains(id) || tokenIds.Contains(id))
                    continue;
                Guid? community = kind == "Community" ? id : values.TryGetValue("CommunityId", out var c) ? c : null;
                if (kind == "Member")
                    community = memberCommunities[id].OrderBy(x => operatorCommunities.Contains(x) ? 0 : 1).Cast<Guid?>().FirstOrDefault();
                list.Add(new Sample(id, community, values));
            }
            return samples[kind] = list;
        }

        var lines = new List<string>();
        var problems = new List<string>();
        var unmapped = new SortedSet<string>(StringComparer.Ordinal);
        var endpoints = Endpoints(factory.Services)
            .Where(e => e.Authorized && !e.Anonymous && !e.Component && e.Method != "HEAD")
            .OrderBy(e => e.Method == "GET" ? 0 : 1).ThenBy(e => e.Pattern, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal)
            .ToList();
        Assert.True(endpoints.Count(e => e.Pattern.StartsWith("/api/", StringComparison.Ordinal)) > 150, "Too few API endpoints found.");
        foreach (var endpoint in endpoints)
        {
            var parameters = RouteParameter().Matches(endpoint.Pattern).ToList();
            if (parameters.Any(p => !p.Groups[2].Value.Equals("guid", StringComparison.Ordinal)))
            {
                lines.Add($"{endpoint.Key} | skipped: a parameter that is not an id");
                continue;
            }
            var columns = new List<(string Column, string Url)>();
            var hourly = false;
            if (parameters.Count == 0)
                columns.Add(("-", endpoint.Pattern));
            else
            {
                foreach (var scope_ in new[] { "own", "other" })
                {
                    var url = endpoint.Pattern;
                    string? previous = null;
                    Guid? previousId = null;
                    var possible = true;
                    foreach (var p in parameters)
                    {
                        var before = RouteParameter().Replace(endpoint.Pattern[..p.Index], "{}").TrimEnd('/');
                        if (!Kinds.TryGetValue(before, out var kind))
                        {
                            unmapped.Add(before);
                            possible = false;
                            break;
                        }
                        hourly |= !SettledKinds.Contains(kind);
                        var candidates = await SamplesAsync(kind);
                        if (candidates.Count == 0)
                        {
                            if (!hourly)
                                lines.Add($"{endpoint.Key} [{scope_}] not called: the demo has no {kind}");
                            possible = false;
                            break;
                        }
                        if (previous is not null && candidates.Any(c => c.Links.ContainsKey(previous + "Id")))
                            candidates = [.. candidates.Where(c => c.Links.TryGetValue(previous + "Id", out var parent) && parent == previousId)];
                        var withCommunity = candidates.Where(c => c.CommunityId is not null).ToList();
                        var chosen = withCommunity.Count == 0
                            ? scope_ == "own" ? candidates.FirstOrDefault() : null
                            : withCommunity.FirstOrDefault(c => operatorCommunities.Contains(c.CommunityId!.Value) == (scope_ == "own"));
                        if (chosen is null)
                        {
                            possible = false;
                            break;
                        }
                        // A read of one object: the first the owner can read (a campaign route of another campaign type
                        // answers 404 to everyone), so the row says who else may.
                        if (endpoint.Method == "GET" && parameters.Count == 1)
                        {
                            var pool = (withCommunity.Count == 0 ? candidates : withCommunity.Where(c => operatorCommunities.Contains(c.CommunityId!.Value) == (scope_ == "own"))).Take(25);
                            foreach (var candidate in pool)
                            {
                                using var probe = await owner.GetAsync(url.Replace(p.Value, candidate.Id.ToString(), StringComparison.Ordinal), Ct);
                                if (probe.StatusCode != HttpStatusCode.NotFound)
                                {
                                    chosen = candidate;
                                    break;
                                }
                            }
                        }
                        url = url.Replace(p.Value, chosen.Id.ToString(), StringComparison.Ordinal);
                        previous = kind;
                        previousId = chosen.Id;
                    }
                    if (possible)
                        columns.Add((scope_, url));
                }
            }
            foreach (var (column, url) in columns)
            {
                var answers = new List<string>();
                foreach (var caller in callers)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), url);
                    if (endpoint.Method != "GET" && endpoint.Method != "DELETE")
                        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    using var response = await caller.Client!.SendAsync(request, Ct);
                    var body = await response.Content.ReadAsStringAsync(Ct);
                    var status = (int)response.StatusCode;
                    answers.Add($"{caller.Name}={status}");
                    if (status >= 500)
                        problems.Add($"{endpoint.Method} {url} as {caller.Name}: {status} {Clip(body)}");
                    // 415: routing refused the body's type before anyone was identified, and nothing ran.
                    if (caller.Name == "anonymous" && status is not (401 or 415) && endpoint.Pattern.StartsWith("/api/", StringComparison.Ordinal))
                        problems.Add($"{endpoint.Method} {url} anonymously: {status}, not 401");
                    if (caller.Name == "stranger")
                    {
                        if (column != "-" && status is >= 200 and < 300)
                            problems.Add($"{endpoint.Method} {url} (the demo's object) by another workspace's token: {status} {Clip(body)}");
                        if (demoMarks.FirstOrDefault(m => body.Contains(m, StringComparison.Ordinal)) is { } leak)
                            problems.Add($"{endpoint.Method} {url} by another workspace's token shows the demo's '{leak}'");
                    }
                    else if (body.Contains(strangerMark, StringComparison.Ordinal))
                        problems.Add($"{endpoint.Method} {url} as the demo's {caller.Name} shows another workspace's community");
                }
                if (!hourly)
                    lines.Add($"{endpoint.Key} [{column}] {string.Join(' ', answers)}");
            }
            if (hourly)
                lines.Add($"{endpoint.Key} held to the invariants only: the demo's rows of this kind vary with the hour it is seeded");
        }

        Assert.True(unmapped.Count == 0, "Ids after these paths have no kind (add them to AuthorizationMatrixTests.Kinds):\n" + string.Join("\n", unmapped));
        problems = [.. problems.Distinct(StringComparer.Ordinal)];
        Assert.True(problems.Count == 0, $"{problems.Count} problems:\n" + string.Join("\n", problems.Take(80)));
        var actual = string.Join('\n', lines) + "\n";
        if (Environment.GetEnvironmentVariable("SHEQUN_ACCEPT_MATRIX") == "1")
            await File.WriteAllTextAsync(MatrixFile(), MatrixHeader + actual, Ct);
        var expected = File.Exists(MatrixFile()) ? (await File.ReadAllTextAsync(MatrixFile(), Ct)).Replace(MatrixHeader, "", StringComparison.Ordinal) : "";
        var expectedLines = expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var actualLines = lines.ToHashSet(StringComparer.Ordinal);
        var changed = actualLines.Except(expectedLines).Select(l => "now:      " + l).Concat(expectedLines.Except(actualLines).Select(l => "reviewed: " + l)).ToList();
        Assert.True(changed.Count == 0, "The authorisation matrix differs from the reviewed one (tests/Shequn.Tests/Platform/AuthorizationMatrix.txt; " +
            "run with SHEQUN_ACCEPT_MATRIX=1 to rewrite it, then review the diff):\n" + string.Join("\n", changed.Order(StringComparer.Ordinal).Take(120)));
    }

    private const string MatrixHeader = """
        # The reviewed authorisation matrix (AuthorizationMatrixTests): every authorised endpoint, called with an object of one
        # of the demo operator's communities [own], of a community not theirs [other], or with none [-], by: nobody
        # (anonymous), another workspace's owner (stranger), and the demo's KOC, operator, admin, sub-owner and owner.
        # Writes carry an empty JSON object, so an allowed write mostly answers 400 (the body is refused, not the caller).
        # Rewritten by SHEQUN_ACCEPT_MATRIX=1; a change here is a change of who may do what: review it.

        """;

    /// <summary>
    /// A workspace's rows of one kind in an order that does not depend on their ids (which are partly random): by their
    /// texts and numbers, which the demo seeds the same way every time (seen to differ between runs when Identity's random
    /// stamps were part of the order).
    /// </summary>
    private static async Task<List<object>> RowsAsync<T>(AppDbContext db, Guid workspace, IReadOnlyDictionary<Guid, string> communityNames) where T : class
    {
        var rows = await db.Set<T>().IgnoreQueryFilters().AsNoTracking().Where(e => EF.Property<Guid>(e, "WorkspaceId") == workspace)
            .Take(20_000).ToListAsync(TestContext.Current.CancellationToken);
        // A name first where there is one; then the other texts and numbers, less those made at random (hashes, stamps,
        // slugs, codes, tokens).
        string[] names = ["Email", "Name", "Title", "DisplayName", "Text"];
        string[] random = ["Hash", "Stamp", "Slug", "Code", "Token", "Secret", "Prefix", "Key", "Nonce"];
        var content = typeof(T).GetProperties()
            .Where(p => p.PropertyType == typeof(string) || p.PropertyType.IsEnum || p.PropertyType == typeof(int) || p.PropertyType == typeof(long) || p.PropertyType == typeof(bool))
            .Where(p => !random.Any(r => p.Name.Contains(r, StringComparison.Ordinal)))
            .OrderBy(p => Array.IndexOf(names, p.Name) is var i && i >= 0 ? i : names.Length).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
        // The community's name first (which roles may see a row depends on it), then the row's own texts and numbers,
        // then its times, which keep their order from run to run.
        var times = typeof(T).GetProperties().Where(p => p.PropertyType == typeof(DateTime) || p.PropertyType == typeof(DateTime?))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var community = typeof(T).GetProperty("CommunityId");
        string Key(object r) =>
            (community?.GetValue(r) is Guid c && communityNames.TryGetValue(c, out var name) ? name : "")
            + '\u0002' + string.Join('\u0001', content.Select(p => Convert.ToString(p.GetValue(r), System.Globalization.CultureInfo.InvariantCulture)))
            + '\u0002' + string.Join('\u0001', times.Select(p => p.GetValue(r) is DateTime t ? t.Ticks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture) : ""));
        return [.. rows.OrderBy(Key, StringComparer.Ordinal)];
    }

    private static string Clip(string body) => body.Length > 300 ? body[..300] + "…" : body;

    [System.Text.RegularExpressions.GeneratedRegex(@"\{([A-Za-z]+)(?::([a-z]+))?\??\}")]
    private static partial System.Text.RegularExpressions.Regex RouteParameter();

    private static bool IsReviewedAnonymous(string key)
    {
        if (AnonymousRoutes.Contains(key, StringComparer.Ordinal))
            return true;
        var path = key.Split(' ')[1];
        return AnonymousPrefixes.Any(p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal) || path.StartsWith(p + ".", StringComparison.Ordinal));
    }

    internal sealed record MappedEndpoint(string Method, string Pattern, bool Anonymous, bool Authorized, bool Antiforgery, bool Component)
    {
        public string Key => $"{Method} {Pattern}";
    }

    /// <summary>The app's own endpoint list (static files aside: they are public by nature and hold no data).</summary>
    internal static IEnumerable<MappedEndpoint> Endpoints(IServiceProvider services)
    {
        foreach (var e in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            if (e.Metadata.GetMetadata<StaticAssetDescriptor>() is not null)
                continue;
            var pattern = "/" + (e.RoutePattern.RawText ?? "").TrimStart('/');
            var anonymous = e.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            var authorized = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0 || e.Metadata.GetMetadata<AuthorizationPolicy>() is not null;
            // Console pages and the Blazor connection: reached with the console cookie, not part of the API matrix.
            var component = e.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null
                || pattern.StartsWith("/_blazor", StringComparison.Ordinal);
            var antiforgery = e.Metadata.GetMetadata<IAntiforgeryMetadata>()?.RequiresValidation == true;
            foreach (var method in e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                yield return new MappedEndpoint(method, pattern, anonymous, authorized, antiforgery, component);
        }
    }
}

public sealed class AuthorizationMatrixTests_Sqlite(DemoSqliteFactory factory) : AuthorizationMatrixTests(factory), IClassFixture<DemoSqliteFactory>;

/// <summary>The same reviewed matrix on PostgreSQL: the workspace filters and the objects chosen must answer alike.</summary>
public sealed class AuthorizationMatrixTests_Postgres(DemoPostgresFactory factory) : AuthorizationMatrixTests(factory), IClassFixture<DemoPostgresFactory>;
