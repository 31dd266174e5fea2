using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Images;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Acquisition;

/// <summary>What the live-code tests share: making channels, communities and codes, and scanning from chosen addresses.</summary>
internal static class LiveCodeKit
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<Guid> ChannelAsync(TestWorkspace ws, string name = "包裹卡")
    {
        var made = await ws.Owner.Api.PostJsonAsync("/api/channels", new { name, kind = "packageCard", cost = 1200m, costUnit = "month" });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        return (await made.ReadAsync<ChannelDto>()).Id;
    }

    public static async Task<Guid> CommunityAsync(TestWorkspace ws, string name, int capacity = 200, string platform = "sandbox") =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name + Guid.NewGuid().ToString("N")[..4], platform, capacity)))
            .ReadAsync<CommunityDto>()).Id;

    public static async Task<LiveCodeDto> CodeAsync(TestWorkspace ws, Guid channel, object[] routes, string policy = "fillToTarget", int target = 150, int limit = 200,
        bool landing = true, string? choiceQuestion = null, bool collectPhone = false, Guid? campaignId = null)
    {
        var made = await ws.Owner.Api.PostJsonAsync("/api/live-codes", new
        {
            name = "包裹卡活码", channelId = channel, policy, target, limit, landing, choiceQuestion, collectPhone, routes, campaignId,
            intro = "每天分享<b>健康</b>食谱",
        });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        return await made.ReadAsync<LiveCodeDto>();
    }

    /// <summary>A request as from one address (the short link counts visitors by address).</summary>
    public static Task<HttpContext> SendAsync(ShequnFactory factory, string method, string path, string address, Dictionary<string, string>? form = null) =>
        factory.Server.SendAsync(c =>
        {
            c.Request.Method = method;
            var q = path.IndexOf('?', StringComparison.Ordinal);
            c.Request.Path = q < 0 ? path : path[..q];
            c.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(path[q..]);
            c.Connection.RemoteIpAddress = IPAddress.Parse(address);
            if (form is not null)
            {
                var body = new FormUrlEncodedContent(form);
                c.Request.ContentType = "application/x-www-form-urlencoded";
                c.Request.Body = body.ReadAsStream(Ct);
            }
        }, Ct);

    /// <summary>A request through a proxy at <paramref name="proxy"/> naming <paramref name="client"/> in X-Forwarded-For.</summary>
    public static Task<HttpContext> ForwardedAsync(ShequnFactory factory, string path, string proxy, string client) =>
        factory.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = path;
            c.Connection.RemoteIpAddress = IPAddress.Parse(proxy);
            c.Request.Headers["X-Forwarded-For"] = "198.18.0.1, " + client;
        }, Ct);

    public static string Ip(int i) => $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}";

    public static async Task<string> BodyAsync(HttpContext c)
    {
        return await new StreamReader(c.Response.Body).ReadToEndAsync(Ct);
    }

    public static async Task<T> DbAsync<T>(ShequnFactory factory, Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }
}

/// <summary>
/// Live codes end to end over HTTP on a real database: the short link routes concurrent visitors without passing any cap,
/// counts a bot's burst once, alerts staff once when all is full, attributes Sandbox joins to the code, serves QR images
/// that decode back to the short link, and refuses bad input naming the field.
/// </summary>
public abstract class LiveCodeTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConcurrentScans_FillEachCommunityToItsCap_NeverPast_AndStaffAreToldOnceWhenAllAreFull()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群", capacity: 12);
        var b = await LiveCodeKit.CommunityAsync(ws, "二群", capacity: 200);
        // Capacity 12 on the first, operating limit 9 on the code: 9 and 9 seats.
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }, new { communityId = b }], target: 5, limit: 9, landing: false);
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", LiveCodeKit.Ip(i))));

        var routed = answers.Count(c => c.Response.StatusCode == StatusCodes.Status302Found);
        Assert.Equal(18, routed);
        Assert.Equal(22, answers.Count(c => c.Response.StatusCode == StatusCodes.Status200OK));
        var full = answers.First(c => c.Response.StatusCode == StatusCodes.Status200OK);
        Assert.Contains("livecode-full", await LiveCodeKit.BodyAsync(full), StringComparison.Ordinal);

        var routes = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().Where(r => r.LiveCodeId == code.Id).ToListAsync(Ct));
        Assert.All(routes, r => Assert.Equal(9, r.Filled));
        var scans = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().Where(s => s.LiveCodeId == code.Id).ToListAsync(Ct));
        Assert.Equal(40, scans.Count);
        Assert.Equal(9, scans.Count(s => s.CommunityId == a));
        Assert.Equal(9, scans.Count(s => s.CommunityId == b));
        Assert.Equal(22, scans.Count(s => s.RouteId == null));
        var tasks = await LiveCodeKit.DbAsync(factory, db => db.Set<StaffTask>().IgnoreQueryFilters()
            .Where(t => t.WorkspaceId == ws.Id && t.Kind == ActionKind.CreateInviteLink && t.Text.Contains(code.Name)).ToListAsync(Ct));
        Assert.Single(tasks);
        Assert.Equal(a, tasks[0].CommunityId);
        var after = await ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}");
        Assert.NotNull(after.FullSince);
    }

    [Fact]
    public async Task OneAddressScanningInABurst_CountsOnce_AndKeepsItsSeat()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }], landing: false);
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", "203.0.113.7")));
        Assert.All(answers, c => Assert.Equal(StatusCodes.Status302Found, c.Response.StatusCode));
        Assert.Single(answers.Select(c => c.Response.Headers.Location.ToString()).Distinct());
        var scans = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().CountAsync(s => s.LiveCodeId == code.Id, Ct));
        Assert.Equal(1, scans);
        var route = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeRoute>().IgnoreQueryFilters().SingleAsync(r => r.LiveCodeId == code.Id, Ct));
        Assert.Equal(1, route.Filled);
        Assert.Equal(1, route.Routed);
    }

    [Fact]
    public async Task ForwardedAddresses_CountFromATrustedProxyOnly()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }], landing: false);
        // Loopback is a proxy the host trusts: each forwarded client is a visitor of its own.
        for (var i = 0; i < 5; i++)
            await LiveCodeKit.ForwardedAsync(factory, $"/j/{code.Code}", "127.0.0.1", LiveCodeKit.Ip(500 + i));
        // Anyone else may write the header: their own address counts, once.
        for (var i = 0; i < 5; i++)
            await LiveCodeKit.ForwardedAsync(factory, $"/j/{code.Code}", "203.0.113.9", LiveCodeKit.Ip(600 + i));
        var visitors = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeScan>().IgnoreQueryFilters().Where(s => s.LiveCodeId == code.Id).Select(s => s.Visitor).ToListAsync(Ct));
        Assert.Equal(6, visitors.Count);
        Assert.Equal(6, visitors.Distinct().Count());
    }

    [Fact]
    public async Task UnknownShortLinks_AllGetTheSame404Page_AndAPausedCodeSaysItIsNotInUse()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }]);
        var bodies = new List<string>();
        foreach (var path in new[] { "/j/AAAAAAAA", "/j/x", "/j/" + code.Code.ToUpperInvariant() + "z", "/j/AAAAAAAA/qr.png", "/j/AAAAAAAA/whatever" })
        {
            var c = await LiveCodeKit.SendAsync(factory, "GET", path, "198.51.100.1");
            Assert.Equal(StatusCodes.Status404NotFound, c.Response.StatusCode);
            bodies.Add(await LiveCodeKit.BodyAsync(c));
        }
        Assert.Single(bodies.Distinct());
        Assert.Contains("livecode-not-found", bodies[0], StringComparison.Ordinal);

        var paused = await ws.Owner.Api.PostJsonAsync($"/api/live-codes/{code.Id}/state", new { state = "paused" });
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        var stopped = await LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", "198.51.100.2");
        Assert.Equal(StatusCodes.Status410Gone, stopped.Response.StatusCode);
        Assert.Contains("livecode-stopped", await LiveCodeKit.BodyAsync(stopped), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LandingPage_ShowsIntroAndRulesEncoded_AndTheChoiceRoutesToItsGroup_AndTheSandboxJoinIsAttributedToTheCode()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var shanghai = await LiveCodeKit.CommunityAsync(ws, "上海群");
        var beijing = await LiveCodeKit.CommunityAsync(ws, "北京群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = shanghai, choice = "上海" }, new { communityId = beijing, choice = "北京" }],
            policy: "byChoice", choiceQuestion: "您在哪个城市？", collectPhone: true);

        var page = await LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", "192.0.2.10");
        Assert.Equal(StatusCodes.Status200OK, page.Response.StatusCode);
        var html = await LiveCodeKit.BodyAsync(page);
        Assert.Contains("每天分享&lt;b&gt;健康&lt;/b&gt;食谱", html, StringComparison.Ordinal);
        Assert.Contains("改群名片", html, StringComparison.Ordinal);
        Assert.Contains("您在哪个城市？", html, StringComparison.Ordinal);
        Assert.Contains("<option value=\"北京\">", html, StringComparison.Ordinal);

        // An unknown choice and a bad phone are refused, naming what is wrong; nothing is routed.
        var bad = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join?culture=en", "192.0.2.10", new() { ["choice"] = "广州" });
        Assert.Equal(StatusCodes.Status400BadRequest, bad.Response.StatusCode);
        Assert.Contains("广州", await LiveCodeKit.BodyAsync(bad), StringComparison.Ordinal);
        var noConsent = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join?culture=en", "192.0.2.10", new() { ["choice"] = "北京", ["phone"] = "13800138000" });
        Assert.Equal(StatusCodes.Status400BadRequest, noConsent.Response.StatusCode);
        Assert.Contains("tick the box", await LiveCodeKit.BodyAsync(noConsent), StringComparison.Ordinal);

        var join = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join", "192.0.2.10",
            new() { ["choice"] = "北京", ["phone"] = "138 0013 8000", ["consent"] = "true" });
        // A phone was left: instead of the redirect, a page with the withdrawal link, leading on to the group.
        Assert.Equal(StatusCodes.Status200OK, join.Response.StatusCode);
        var kept = await LiveCodeKit.BodyAsync(join);
        Assert.Contains("data-testid=\"livecode-kept\"", kept, StringComparison.Ordinal);
        Assert.Matches("href=\"/w/[A-Za-z0-9_-]{43}\"", kept);
        var target = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(kept, "class=\"go\" href=\"([^\"]+)\"").Groups[1].Value);
        var routes = await ws.Owner.Api.GetJsonAsync<LiveCodeDto>($"/api/live-codes/{code.Id}");
        var beijingRoute = routes.Routes.Single(r => r.CommunityId == beijing);
        Assert.StartsWith($"/j/{code.Code}/sandbox/{beijingRoute.Id}", target, StringComparison.Ordinal);
        Assert.Equal(1, beijingRoute.Routed);
        var lead = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCodeLead>().IgnoreQueryFilters().SingleAsync(l => l.LiveCodeId == code.Id, Ct));
        Assert.Equal("13800138000", lead.Phone);
        Assert.Equal("北京", lead.Choice);
        Assert.NotNull(lead.ConsentText);

        var joined = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/sandbox/{beijingRoute.Id}", "192.0.2.10", new() { ["name"] = "小王" });
        Assert.Equal(StatusCodes.Status200OK, joined.Response.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? channelOf = null;
        while (DateTime.UtcNow < deadline && channelOf is null)
        {
            channelOf = await LiveCodeKit.DbAsync(factory, db => db.Memberships.IgnoreQueryFilters()
                .Where(m => m.CommunityId == beijing && m.Member!.DisplayName == "小王").Select(m => m.Channel).FirstOrDefaultAsync(Ct));
            if (channelOf is null)
                await Task.Delay(100, Ct);
        }
        Assert.Equal(code.Key, channelOf);
    }

    [Fact]
    public async Task QrImages_DecodeBackToTheShortLink_AtEveryPrintableSize_AndAsSvg()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }]);
        Assert.EndsWith($"/j/{code.Code}", code.ShortLink, StringComparison.Ordinal);
        var decoder = new QrDecoder();
        foreach (var size in new[] { 258, 860 })
        {
            var png = await ws.Owner.Api.GetByteArrayAsync($"/j/{code.Code}/qr.png?size={size}", Ct);
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal(size, bitmap.Width);
            Assert.Equal([code.ShortLink], decoder.Scan(png, Ct).Codes);
        }
        var svg = await ws.Owner.Api.GetStringAsync($"/j/{code.Code}/qr.svg", Ct);
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.Equal([code.ShortLink], decoder.Scan(Rasterise(svg), Ct).Codes);
    }

    /// <summary>Draws the SVG's modules (and the logo's white frame) at 8 px each, as a printer would.</summary>
    private static byte[] Rasterise(string svg)
    {
        var n = int.Parse(System.Text.RegularExpressions.Regex.Match(svg, "viewBox=\"0 0 (\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        const int cell = 8;
        using var bitmap = new SkiaSharp.SKBitmap((n + 8) * cell, (n + 8) * cell);
        using var canvas = new SkiaSharp.SKCanvas(bitmap);
        canvas.Clear(SkiaSharp.SKColors.White);
        using var black = new SkiaSharp.SKPaint { Color = SkiaSharp.SKColors.Black };
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(svg, "M(\\d+) (\\d+)h1v1h-1z"))
            canvas.DrawRect((int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 4) * cell,
                (int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 4) * cell, cell, cell, black);
        var frame = System.Text.RegularExpressions.Regex.Match(svg, "<rect x=\"([\\d.]+)\" y=\"([\\d.]+)\" width=\"([\\d.]+)\"");
        using var white = new SkiaSharp.SKPaint { Color = SkiaSharp.SKColors.White };
        float F(int g) => float.Parse(frame.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture);
        canvas.DrawRect((F(1) + 4) * cell, (F(2) + 4) * cell, F(3) * cell, F(3) * cell, white);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task BadInput_IsRefusedNamingTheField_AndNothingIsWritten()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        var before = await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCode>().IgnoreQueryFilters().CountAsync(c => c.WorkspaceId == ws.Id, Ct));
        var response = await ws.Owner.Api.PostJsonAsync("/api/live-codes", new
        {
            name = "x", policy = "byChoice", target = 300, limit = 200, routes = new object[] { new { communityId = a }, new { communityId = Guid.NewGuid() } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        foreach (var field in new[] { "channelId", "target", "policy", "routes[1].communityId" })
            Assert.Contains($"\"{field}\"", body, StringComparison.Ordinal);
        Assert.Equal(before, await LiveCodeKit.DbAsync(factory, db => db.Set<LiveCode>().IgnoreQueryFilters().CountAsync(c => c.WorkspaceId == ws.Id, Ct)));

        var dup = await ws.Owner.Api.PostJsonAsync("/api/channels", new { name = "包裹卡", kind = "packageCard" });
        Assert.Equal(HttpStatusCode.BadRequest, dup.StatusCode);
        Assert.Contains("\"name\"", await dup.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var koc = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc, "koc", a);
        var refused = await koc.Api.PostJsonAsync("/api/live-codes", new { name = "x", channelId = channel, routes = new object[] { new { communityId = a } } });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Empty(await koc.Api.GetJsonAsync<List<LiveCodeDto>>("/api/live-codes"));
    }

    [Fact]
    public async Task Funnel_CountsScansJoinsActivityRetentionAndReferrals_PerChannelAndCode_FromStoredRows()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws, "包裹卡");
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }], landing: false);
        string? joinPath = null;
        for (var i = 0; i < 3; i++)
            joinPath = (await LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", LiveCodeKit.Ip(100 + i))).Response.Headers.Location.ToString();
        foreach (var name in new[] { "小王", "小李" })
            await LiveCodeKit.SendAsync(factory, "POST", joinPath!.Split('?')[0], "192.0.2.50", new() { ["name"] = name });
        var wang = await EventuallyAsync(() => LiveCodeKit.DbAsync(factory, db => db.Memberships.IgnoreQueryFilters()
            .Where(m => m.CommunityId == a && m.Member!.DisplayName == "小王").Select(m => new { m.MemberId, m.JoinedAt }).FirstOrDefaultAsync(Ct)));
        await EventuallyAsync(() => LiveCodeKit.DbAsync(factory, db => db.Memberships.IgnoreQueryFilters()
            .Where(m => m.CommunityId == a && m.Member!.DisplayName == "小李").Select(m => (Guid?)m.MemberId).FirstOrDefaultAsync(Ct)));
        // 小王 speaks in the group on his first day: active in the first 7 days.
        var userId = await LiveCodeKit.DbAsync(factory, db => db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.MemberId == wang.MemberId).Select(i => i.UserId).SingleAsync(Ct));
        var said = Shequn.Features.Sandbox.SandboxChat.New(ws.Id, a, EventKind.MessagePosted, userId, "小王");
        said.Text = "大家好";
        said.MessageId = said.PlatformEventId;
        await factory.Services.GetRequiredService<EventIngestor>().IngestAsync([said], Ct);
        await EventuallyAsync(() => LiveCodeKit.DbAsync(factory, db => db.Set<MemberActivity>().IgnoreQueryFilters().Where(x => x.MemberId == wang.MemberId).Select(x => (int?)x.Messages).FirstOrDefaultAsync(Ct)));

        // Two older joins through the code (one stayed, one left after 5 days), a staff-entered join naming the channel, and a referral by 小王.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            Membership Add(string name, DateTime at, DateTime? left, string? channelText, Guid? inviter = null)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = name };
                db.Members.Add(m);
                var ms = new Membership { WorkspaceId = ws.Id, CommunityId = a, MemberId = m.Id, JoinedAt = at, LeftAt = left, Channel = channelText, InviterMemberId = inviter };
                db.Memberships.Add(ms);
                return ms;
            }
            var old = DateTime.UtcNow.AddDays(-40);
            var zhang = Add("老张", old, null, code.Key);
            // 老张 bought after joining (an imported order); an order before a join is no first purchase after it.
            db.Set<Shequn.Features.Orders.Order>().Add(new Shequn.Features.Orders.Order
            {
                WorkspaceId = ws.Id, ExternalId = "funnel-1", PlacedAt = old.AddDays(3), AmountFen = 9900, MemberId = zhang.MemberId,
            });
            var zhao = Add("老赵", old, old.AddDays(5), code.Key);
            db.Set<Shequn.Features.Orders.Order>().Add(new Shequn.Features.Orders.Order
            {
                WorkspaceId = ws.Id, ExternalId = "funnel-2", PlacedAt = old.AddDays(-3), AmountFen = 9900, MemberId = zhao.MemberId,
            });
            Add("客服录入", DateTime.UtcNow.AddDays(-1), null, "包裹卡");
            Add("小王的朋友", DateTime.UtcNow, null, "好友邀请", wang.MemberId);
            // 回头客 spoke in an earlier stay and again two weeks after coming back through the code, never in his first week
            // back: not active (his first and last spoken span that week, which a count from them took for activity).
            static DateOnly Day(DateTime utc) => DateOnly.FromDateTime(utc.AddHours(8));
            var back = Add("回头客", DateTime.UtcNow.AddDays(-50), DateTime.UtcNow.AddDays(-45), null);
            var backAgain = new Membership { WorkspaceId = ws.Id, CommunityId = a, MemberId = back.MemberId, JoinedAt = DateTime.UtcNow.AddDays(-20), Channel = code.Key };
            db.Memberships.Add(backAgain);
            db.Set<DailySpeaker>().AddRange(
                new DailySpeaker { CommunityId = a, MemberId = back.MemberId, Day = Day(DateTime.UtcNow.AddDays(-48)) },
                new DailySpeaker { CommunityId = a, MemberId = back.MemberId, Day = Day(DateTime.UtcNow.AddDays(-5)) });
            db.Set<MemberActivity>().Add(new MemberActivity
            {
                WorkspaceId = ws.Id, CommunityId = a, MemberId = back.MemberId, Messages = 2, FirstSpokeAt = DateTime.UtcNow.AddDays(-48), LastSpokeAt = DateTime.UtcNow.AddDays(-5),
            });
            await db.SaveChangesWithoutAuditAsync(Ct);
        }

        var from = DateTime.UtcNow.AddDays(-60).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var byChannel = await ws.Owner.Api.GetJsonAsync<List<FunnelRow>>($"/api/acquisition/funnel?by=channel&from={from}&to={to}");
        var row = byChannel.Single(r => r.Id == channel);
        Assert.Equal((3, 3, 6, 1, 1, 2, 1, 1), (row.Scans, row.Routed, row.Joins, row.Active7, row.Retained30, row.RetainedBase, row.Purchased, row.Referrals));
        Assert.NotNull(row.Spend);
        Assert.Equal(Math.Round(row.Spend!.Value / 6, 2), row.CostPerJoin);
        var byCode = await ws.Owner.Api.GetJsonAsync<List<FunnelRow>>($"/api/acquisition/funnel?by=liveCode&from={from}&to={to}");
        Assert.Equal(5, byCode.Single(r => r.Id == code.Id).Joins);
        var daily = await ws.Owner.Api.GetJsonAsync<List<FunnelDay>>($"/api/channels/{channel}/daily?from={from}&to={to}");
        Assert.Equal(63, daily.Count);
        Assert.Equal(6, daily.Sum(d => d.Joins));
        Assert.Equal(3, daily.Sum(d => d.Scans));

        var bad = await ws.Owner.Api.GetAsync("/api/acquisition/funnel?by=weekday&from=2026-13-01", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var body = await bad.Content.ReadAsStringAsync(Ct);
        Assert.Contains("\"by\"", body, StringComparison.Ordinal);
        Assert.Contains("\"from\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Funnel_ByCampaign_CountsJoinsThroughItsCodesAndItsInvitations_EachMembershipOnce()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws, "海报");
        var a = await LiveCodeKit.CommunityAsync(ws, "一群");
        Guid campaign, other;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            Campaign New(string name) => new()
            {
                WorkspaceId = ws.Id, Name = name, Kind = CampaignKind.Invitation, Status = CampaignStatus.Published, Slug = Campaign.NewSlug(),
                StartsAt = DateTime.UtcNow.AddDays(-50), EndsAt = DateTime.UtcNow.AddDays(10), Rules = CampaignJson.Write(new CampaignRules()),
                Rewards = CampaignJson.Write(Array.Empty<CampaignReward>()),
            };
            var c = New("老带新");
            var o = New("另一场");
            db.AddRange(c, o);
            await db.SaveChangesWithoutAuditAsync(Ct);
            (campaign, other) = (c.Id, o.Id);
        }
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = a }], landing: false, campaignId: campaign);
        Assert.Equal(HttpStatusCode.Found, (HttpStatusCode)(await LiveCodeKit.SendAsync(factory, "GET", $"/j/{code.Code}", LiveCodeKit.Ip(7))).Response.StatusCode);

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            var now = DateTime.UtcNow;
            Membership Add(string name, DateTime at, string? channelText, Guid? inviter = null)
            {
                var m = new Member { WorkspaceId = ws.Id, DisplayName = name };
                db.Members.Add(m);
                var ms = new Membership { WorkspaceId = ws.Id, CommunityId = a, MemberId = m.Id, JoinedAt = at, Channel = channelText, InviterMemberId = inviter };
                db.Memberships.Add(ms);
                return ms;
            }
            void Invite(Guid c, Guid inviter, Guid invitee, DateTime at, InvitationStatus status = InvitationStatus.Pending, string? reason = null) =>
                db.Add(new CampaignInvitation
                {
                    WorkspaceId = ws.Id, CampaignId = c, InviterMemberId = inviter, InviteeMemberId = invitee, CommunityId = a, JoinedAt = at,
                    CountsAt = at.AddDays(100), Status = status, Reason = reason,
                });
            // 甲 joined through the code 40 days ago and stayed; he brought 乙 (his invitation only) and 丙 (through the
            // code too: one join). 丁 was in long before her invitation's join event (it began nothing); 戊 invited himself;
            // 己 came through the other campaign's invitation, brought by 乙.
            var jia = Add("甲", now.AddDays(-40), code.Key);
            var yi = Add("乙", now.AddDays(-3).AddTicks(1234567), null, jia.MemberId);
            var bing = Add("丙", now.AddDays(-2), code.Key, jia.MemberId);
            var ding = Add("丁", now.AddDays(-30), null);
            var wu = Add("戊", now.AddDays(-4), null);
            var ji = Add("己", now.AddDays(-1), null, yi.MemberId);
            Invite(campaign, jia.MemberId, yi.MemberId, yi.JoinedAt);
            Invite(campaign, jia.MemberId, bing.MemberId, bing.JoinedAt, InvitationStatus.Counted);
            Invite(campaign, jia.MemberId, ding.MemberId, now.AddDays(-5), InvitationStatus.Refused, "alreadyMember");
            Invite(campaign, wu.MemberId, wu.MemberId, wu.JoinedAt, InvitationStatus.Refused, "selfInvite");
            Invite(other, yi.MemberId, ji.MemberId, ji.JoinedAt);
            // 乙 spoke on the day he joined; 丙 paid for an order after joining.
            db.Set<DailySpeaker>().Add(new DailySpeaker { CommunityId = a, MemberId = yi.MemberId, Day = DateOnly.FromDateTime(yi.JoinedAt.AddHours(8)) });
            db.Add(new CampaignClaim
            {
                WorkspaceId = ws.Id, CampaignId = campaign, MemberId = bing.MemberId, Quantity = 1, RequestId = "funnel-paid", Status = ClaimStatus.Paid,
                CreatedAt = now.AddDays(-1), ExpiresAt = now, PaidAt = now.AddDays(-1),
            });
            await db.SaveChangesWithoutAuditAsync(Ct);
        }

        var from = DateTime.UtcNow.AddDays(-60).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var byCampaign = await ws.Owner.Api.GetJsonAsync<List<FunnelRow>>($"/api/acquisition/funnel?by=campaign&from={from}&to={to}");
        var row = byCampaign.Single(r => r.Id == campaign);
        // Joins 甲 (code), 乙 (invitation), 丙 (both, once); active 乙; retained 甲 of 甲; purchased 丙; referrals 甲's 乙 and 丙, 乙's 己.
        Assert.Equal((1, 1, 3, 1, 1, 1, 1, 3), (row.Scans, row.Routed, row.Joins, row.Active7, row.Retained30, row.RetainedBase, row.Purchased, row.Referrals));
        Assert.Equal("老带新", row.Name);
        var otherRow = byCampaign.Single(r => r.Id == other);
        Assert.Equal((0, 1, 0), (otherRow.Scans, otherRow.Joins, otherRow.Referrals));
        var byCode = await ws.Owner.Api.GetJsonAsync<List<FunnelRow>>($"/api/acquisition/funnel?by=liveCode&from={from}&to={to}");
        Assert.Equal(2, byCode.Single(r => r.Id == code.Id).Joins);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (await read() is { } found)
                return found;
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> read) where T : struct
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (await read() is { } found)
                return found;
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task ATelegramRoute_AsksTheOutboxForAnInviteLinkNamedWithTheCodesKey()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var tg = await LiveCodeKit.CommunityAsync(ws, "TG群", platform: "telegram");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = tg }]);
        var action = await LiveCodeKit.DbAsync(factory, db => db.Set<OutboundAction>().IgnoreQueryFilters()
            .SingleAsync(x => x.CommunityId == tg && x.Kind == ActionKind.CreateInviteLink, Ct));
        var payload = ActionPayload.FromJson(action.Payload);
        Assert.Equal(code.Key, payload.Name);
        Assert.True(payload.JoinRequest);
        Assert.Null(payload.MemberLimit);
        // No link yet: the route is not open, so the short link finds every community full rather than a dead end.
        Assert.False(code.Routes.Single().Open);
    }
}

public sealed class LiveCodeTests_Sqlite(SqliteFactory factory) : LiveCodeTests(factory), IClassFixture<SqliteFactory>;

public sealed class LiveCodeTests_Postgres(PostgresFactory factory) : LiveCodeTests(factory), IClassFixture<PostgresFactory>;
