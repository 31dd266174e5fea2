using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Members;
using Shequn.Features.Orders;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Acquisition;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Orders;

/// <summary>
/// Orders over HTTP on a real database: the file import (all rows or none, errors naming row and column, xlsx), the signed
/// webhook (stored once, replays duplicate, bad signatures store nothing), late matching by phone, last-touch attribution
/// and the figures in the workspace's days.
/// </summary>
public abstract class OrderTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Header = "order_id,placed_at,amount,refunded,status,phone,platform,platform_user_id,share_code,sku,product,category,quantity,line_amount";

    private static async Task<HttpResponseMessage> ImportAsync(TestWorkspace ws, string name, byte[] bytes)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(name.EndsWith(".xlsx", StringComparison.Ordinal) ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv");
        form.Add(file, "file", name);
        return await ws.Owner.Api.PostAsync("/api/orders/import", form, Ct);
    }

    private Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read) => LiveCodeKit.DbAsync(factory, read);

    private Task<List<Order>> OrdersAsync(TestWorkspace ws) =>
        DbAsync(db => db.Set<Order>().IgnoreQueryFilters().Include(o => o.Lines).Where(o => o.WorkspaceId == ws.Id).OrderBy(o => o.ExternalId).ToListAsync(Ct));

    private static async Task<Guid> MemberAsync(TestWorkspace ws, string name, string? phone = null, Guid? community = null, DateTime? joinedAt = null, string? channel = null)
    {
        var made = await ws.Owner.Api.PostJsonAsync("/api/members", new
        {
            displayName = name, phone,
            membership = community is { } c ? new { communityId = c, joinedAt, channel } : null,
        });
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        using var doc = JsonDocument.Parse(await made.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Import_Csv_StoresOrdersWithLines_MatchesByPhone_AndReimportUpdatesRefundsOnly()
    {
        var ws = await factory.NewWorkspaceAsync();
        var member = await MemberAsync(ws, "王姐", "138 0013 8000");
        var csv = Header + "\n"
            + "A-1,2026-12-01 10:00,128.50,,paid,13800138000,,,,SKU-1,燕麦,早餐,1,100.00\n"
            + "A-1,,,,,,,,,SKU-2,坚果,零食,1,28.50\n"
            + "A-2,2026-12-02T09:00:00+08:00,60,,,+86 139 0000 0000,,,,,,,,\n";
        var ok = await ImportAsync(ws, "orders.csv", Encoding.UTF8.GetBytes(csv));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(new OrderImportResult(2, 0, 0, 1), await ok.ReadAsync<OrderImportResult>());
        var orders = await OrdersAsync(ws);
        Assert.Equal(["A-1", "A-2"], orders.Select(o => o.ExternalId));
        var a1 = orders[0];
        Assert.Equal((12850L, member, OrderMatch.Phone), (a1.AmountFen, a1.MemberId!.Value, a1.MatchedBy!.Value));
        Assert.Equal(new DateTime(2026, 12, 1, 2, 0, 0, DateTimeKind.Utc), a1.PlacedAt); // Asia/Shanghai by default
        Assert.Equal(["燕麦", "坚果"], a1.Lines.OrderBy(l => l.Position).Select(l => l.ProductName));
        Assert.Null(orders[1].MemberId);
        Assert.Equal("13900000000", orders[1].Phone);

        // The same file again with a partial refund on A-1: updated, not duplicated.
        var again = await ImportAsync(ws, "orders.csv", Encoding.UTF8.GetBytes(csv.Replace("128.50,,paid", "128.50,28.50,paid", StringComparison.Ordinal)));
        Assert.Equal(new OrderImportResult(0, 1, 1, 0), await again.ReadAsync<OrderImportResult>());
        orders = await OrdersAsync(ws);
        Assert.Equal(2, orders.Count);
        Assert.Equal((2850L, OrderStatus.Paid), (orders[0].RefundedFen, orders[0].Status));
    }

    [Fact]
    public async Task Import_BadRowAtLine3_NamesRow3AndColumn_AndImportsNothing()
    {
        var ws = await factory.NewWorkspaceAsync();
        var csv = Header + "\n"
            + "B-1,2026-12-01 10:00,10,,,,,,,,,,,\n"
            + "B-2,2026-12-01 11:00,12.345,,,,,,,,,,,\n"
            + "B-3,2026-12-01 12:00,10,,,,,,,,,,,\n";
        var bad = await ImportAsync(ws, "orders.csv", Encoding.UTF8.GetBytes(csv));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = await bad.ReadValidationErrorsAsync();
        var message = Assert.Single(errors["file"]);
        Assert.StartsWith("row 3, column amount:", message, StringComparison.Ordinal);
        Assert.Empty(await OrdersAsync(ws));
    }

    [Fact]
    public async Task Import_Xlsx_IsReadLikeCsv()
    {
        var ws = await factory.NewWorkspaceAsync();
        var rows = new[]
        {
            new Dictionary<string, object?> { ["order_id"] = "X-1", ["placed_at"] = new DateTime(2026, 12, 3, 20, 30, 0), ["amount"] = 99.9, ["phone"] = "13700137000", ["product"] = "礼盒" },
            new Dictionary<string, object?> { ["order_id"] = "X-2", ["placed_at"] = "2026-12-04 08:00", ["amount"] = 20, ["phone"] = null, ["product"] = null },
        };
        using var stream = new MemoryStream();
        await stream.SaveAsAsync(rows, cancellationToken: Ct);
        var ok = await ImportAsync(ws, "orders.xlsx", stream.ToArray());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var orders = await OrdersAsync(ws);
        Assert.Equal(["X-1", "X-2"], orders.Select(o => o.ExternalId));
        Assert.Equal((9990L, new DateTime(2026, 12, 3, 12, 30, 0, DateTimeKind.Utc), "13700137000"), (orders[0].AmountFen, orders[0].PlacedAt, orders[0].Phone));
        Assert.Equal("礼盒", Assert.Single(orders[0].Lines).ProductName);
    }

    [Fact]
    public async Task Webhook_GoodSignatureStoresOnce_ReplayIsDuplicate_BadSignatureStoresNothing_RefundUpdates()
    {
        var ws = await factory.NewWorkspaceAsync();
        var rotated = await ws.Owner.Api.PostAsync("/api/orders/webhook-secret", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        using var doc = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync(Ct));
        var secret = doc.RootElement.GetProperty("secret").GetString()!;
        var body = Encoding.UTF8.GetBytes("""{"event":"order","orderId":"W-1","placedAt":"2026-12-01T20:15:00+08:00","amount":88.8,"phone":"13600136000","lines":[{"sku":"S","product":"茶","quantity":2,"amount":88.8}]}""");

        async Task<HttpResponseMessage> SendAsync(byte[] content, string? signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/orders/{ws.Id}") { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            if (signature is not null)
                request.Headers.Add(OrderHook.SignatureHeader, signature);
            return await factory.CreateClient().SendAsync(request, Ct);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(body, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(body, OrderHook.Sign("not-the-secret", body))).StatusCode);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("88.8", "8.8", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(tampered, OrderHook.Sign(secret, body))).StatusCode);
        Assert.Empty(await OrdersAsync(ws));

        var stored = await SendAsync(body, OrderHook.Sign(secret, body));
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        Assert.Equal("stored", (await stored.ReadAsync<OrderHookAnswer>()).Result);
        var replay = await SendAsync(body, OrderHook.Sign(secret, body));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("duplicate", (await replay.ReadAsync<OrderHookAnswer>()).Result);
        var order = Assert.Single(await OrdersAsync(ws));
        Assert.Equal((8880L, OrderSource.Webhook, 2), (order.AmountFen, order.Source, order.Lines.Single().Quantity));

        var refund = Encoding.UTF8.GetBytes("""{"event":"refund","orderId":"W-1","refunded":88.8}""");
        Assert.Equal("updated", (await (await SendAsync(refund, OrderHook.Sign(secret, refund))).ReadAsync<OrderHookAnswer>()).Result);
        Assert.Equal("duplicate", (await (await SendAsync(refund, OrderHook.Sign(secret, refund))).ReadAsync<OrderHookAnswer>()).Result);
        order = Assert.Single(await OrdersAsync(ws));
        Assert.Equal((8880L, OrderStatus.Refunded), (order.RefundedFen, order.Status));
    }

    [Fact]
    public async Task UnknownPhone_IsKept_AndMatchedWhenAMemberIsSavedWithThatPhone()
    {
        var ws = await factory.NewWorkspaceAsync();
        var csv = Header + "\nU-1,2026-12-01 10:00,50,,,13500135000,,,,,,,,\n";
        Assert.Equal(HttpStatusCode.OK, (await ImportAsync(ws, "o.csv", Encoding.UTF8.GetBytes(csv))).StatusCode);
        Assert.Null(Assert.Single(await OrdersAsync(ws)).MemberId);
        // The retry pass finds nobody yet.
        Assert.Equal(0, await factory.Services.GetRequiredService<OrderMatchJob>().RunOnceAsync(Ct));

        var member = await MemberAsync(ws, "李哥", "+86 135-0013-5000");
        var order = Assert.Single(await OrdersAsync(ws));
        Assert.Equal((member, OrderMatch.Phone), (order.MemberId!.Value, order.MatchedBy!.Value));
    }

    [Fact]
    public async Task Attribution_LastTouchWithinWindow_LiveCodeOfCampaignWins_AndNarrowWindowLeavesItUnattributed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await LiveCodeKit.CommunityAsync(ws, "A群");
        var b = await LiveCodeKit.CommunityAsync(ws, "B群");
        var channel = await LiveCodeKit.ChannelAsync(ws, "公众号");
        var now = DateTime.UtcNow;
        Guid campaign = Guid.Empty, code = Guid.Empty;
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            var c = new Campaign { WorkspaceId = ws.Id, Name = "B活动", Slug = Campaign.NewSlug(), StartsAt = now.AddDays(-10), EndsAt = now.AddDays(10) };
            var lc = new LiveCode { WorkspaceId = ws.Id, ChannelId = channel, CampaignId = c.Id, Name = "B码", Code = "b" + Guid.NewGuid().ToString("N")[..7] };
            db.AddRange(c, lc);
            await db.SaveChangesWithoutAuditAsync(Ct);
            (campaign, code) = (c.Id, lc.Id);
        }
        var key = await DbAsync(db => db.Set<LiveCode>().IgnoreQueryFilters().Where(x => x.Id == code).Select(x => x.Code).SingleAsync(Ct));
        var member = await MemberAsync(ws, "赵姐", "13300133000", a, now.AddDays(-40), "渠道A");
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            db.Memberships.Add(new Membership { WorkspaceId = ws.Id, CommunityId = b, MemberId = member, JoinedAt = now.AddDays(-3), Channel = LiveCode.KeyOf(key) });
            await db.SaveChangesWithoutAuditAsync(Ct);
        }
        var placed = now.AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var csv = Header + $"\nT-1,{placed},100,,,13300133000,,,,,,,,\n";
        Assert.Equal(HttpStatusCode.OK, (await ImportAsync(ws, "o.csv", Encoding.UTF8.GetBytes(csv))).StatusCode);
        var order = Assert.Single(await OrdersAsync(ws));
        Assert.Equal((OrderTouch.Join, b, code, campaign, 30), (order.Touch!.Value, order.CommunityId!.Value, order.LiveCodeId!.Value, order.CampaignId!.Value, order.AttributionDays!.Value));

        // With a 2-day window neither join is close enough: unattributed (the change re-attributes stored orders).
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/orders/settings", new { attributionDays = 2 })).StatusCode);
        order = Assert.Single(await OrdersAsync(ws));
        Assert.Equal((member, (OrderTouch?)null, (Guid?)null, (Guid?)null, 2), (order.MemberId!.Value, order.Touch, order.CommunityId, order.CampaignId, order.AttributionDays!.Value));
    }

    [Fact]
    public async Task Summary_RepurchaseAndRevenuePerCommunity_HandComputed_InShanghaiDays()
    {
        var ws = await factory.NewWorkspaceAsync();
        var a = await LiveCodeKit.CommunityAsync(ws, "甲群");
        var m1 = await MemberAsync(ws, "一号", "13100131000", a, new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc));
        await MemberAsync(ws, "二号", "13200132000", a, new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.Equal(HttpStatusCode.OK, (await ws.Owner.Api.PutJsonAsync("/api/orders/settings", new { attributionDays = 365 })).StatusCode);
        // 2026-12-01 00:30 in Shanghai is 2026-11-30 16:30 UTC: it belongs to December 1st. 23:59 on Dec 2nd is the last minute in.
        var csv = Header + "\n"
            + "S-1,2026-12-01 00:30,100,,,13100131000,,,,,,,,\n"
            + "S-2,2026-12-02 23:59,50,20,,13100131000,,,,,,,,\n"
            + "S-3,2026-12-02 12:00,30,,,13200132000,,,,,,,,\n"
            + "S-4,2026-12-02 13:00,40,,,13900139000,,,,,,,,\n"   // unknown buyer: unattributed
            + "S-5,2026-12-03 00:00,999,,,13100131000,,,,,,,,\n"  // the next day: outside
            + "S-6,2026-11-30 23:59,999,,,13100131000,,,,,,,,\n"  // the day before: outside
            + "S-7,2026-12-01 09:00,70,,cancelled,13200132000,,,,,,,,\n";
        Assert.Equal(HttpStatusCode.OK, (await ImportAsync(ws, "o.csv", Encoding.UTF8.GetBytes(csv))).StatusCode);
        var s = await ws.Owner.Api.GetJsonAsync<OrderSummary>("/api/orders/summary?from=2026-12-01&to=2026-12-02");
        // Paid orders S-1, S-2, S-3, S-4; buyers 一号 (2), 二号, the unknown phone → 3 buyers, 1 repeat.
        Assert.Equal((4, 3, 1), (s.Orders, s.Buyers, s.RepeatBuyers));
        Assert.Equal((220m, 20m, 200m), (s.Revenue, s.Refunds, s.Net));
        Assert.Equal(0.3333m, s.RepurchaseRate);
        Assert.Equal(66.67m, s.NetPerBuyer);
        Assert.Equal(1, s.Unmatched);
        var inA = s.Communities.Single(c => c.CommunityId == a);
        // S-1 100 + S-2 (50 − 20) + S-3 30 = 160 over 2 buyers, 一号 bought twice.
        Assert.Equal((3, 2, 160m, 80m, 0.5m), (inA.Orders, inA.Buyers, inA.Net, inA.NetPerBuyer, inA.RepurchaseRate));
        var none = s.Communities.Single(c => c.CommunityId == null);
        Assert.Equal((1, 40m), (none.Orders, none.Net));
        Assert.Equal(m1, (await ws.Owner.Api.GetJsonAsync<Page<OrderDto>>("/api/orders?q=S-1")).Items.Single().MemberId);
    }

    [Fact]
    public async Task Categories_RevenueSharedByLine_CategoryCommunityMembersAndConversion_HandComputed()
    {
        var ws = await factory.NewWorkspaceAsync();
        var sealOil = await LiveCodeKit.CommunityAsync(ws, "海豹油群");
        var general = await LiveCodeKit.CommunityAsync(ws, "综合群");
        var nov1 = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
        var a = await MemberAsync(ws, "甲", "13100131000", sealOil, nov1);
        await MemberAsync(ws, "乙", "13200132000", general, nov1);
        var c = await MemberAsync(ws, "丙", "13300133000", sealOil, nov1);
        await MemberAsync(ws, "丁", "13400134000", sealOil, new DateTime(2026, 12, 5, 0, 0, 0, DateTimeKind.Utc)); // joins after the period
        // 丙 leaves the seal-oil group at 12:00 on December 1st in Shanghai, an hour before buying seal oil.
        await DbAsync(db => db.Memberships.IgnoreQueryFilters().Where(m => m.MemberId == c)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.LeftAt, new DateTime(2026, 12, 1, 4, 0, 0, DateTimeKind.Utc)), Ct));

        async Task<HttpResponseMessage> Link(Guid? community, string? category) =>
            await ws.Owner.Api.PostJsonAsync("/api/orders/category-communities", new { communityId = community, category });
        var made = await Link(sealOil, " 海豹油 ");
        Assert.Equal(HttpStatusCode.Created, made.StatusCode);
        var link = await made.ReadAsync<CategoryCommunityDto>();
        Assert.Equal(sealOil, link.CommunityId);
        Assert.StartsWith("海豹油群", link.CommunityName, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await Link(sealOil, "Vitamin E")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Link(general, "蔓越莓")).StatusCode);
        // The same category again, in another case: a conflict; nothing named: the field is named.
        Assert.Equal(HttpStatusCode.Conflict, (await Link(sealOil, "vitamin e")).StatusCode);
        var bad = await Link(sealOil, "  ");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("category", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var unknown = await Link(Guid.NewGuid(), "海豹油");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("communityId", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(3, await DbAsync(db => db.Set<CategoryCommunity>().IgnoreQueryFilters().CountAsync(k => k.WorkspaceId == ws.Id, Ct)));

        var csv = Header + "\n"
            + "O-1,2026-12-01 10:00,150,,,13100131000,,,,SEAL-1,海豹油胶囊,海豹油,1,100\n"
            + "O-1,,,,,,,,,NUT-1,坚果,零食,1,50\n"
            // No line amounts: shared by quantity 2 : 1, the refund too.
            + "O-2,2026-12-01 11:00,90,30,,13200132000,,,,SEAL-1,海豹油胶囊,海豹油,2,\n"
            + "O-2,,,,,,,,,OAT-1,燕麦,早餐,1,\n"
            + "O-3,2026-12-01 13:00,80,,,13300133000,,,,SEAL-1,海豹油胶囊,海豹油,1,80\n"
            + "O-4,2026-12-02 10:00,20,,,13900139000,,,,,,,,\n"
            + "O-5,2026-12-02 09:00,500,,cancelled,13100131000,,,,SEAL-1,海豹油胶囊,海豹油,5,500\n"
            + "O-6,2026-12-02 12:00,10,,,13100131000,,,,VE-1,维E,VITAMIN E,1,10\n"
            + "O-7,2026-12-03 00:00,999,,,13100131000,,,,SEAL-1,海豹油胶囊,海豹油,1,999\n"; // the next day: outside
        Assert.Equal(HttpStatusCode.OK, (await ImportAsync(ws, "o.csv", Encoding.UTF8.GetBytes(csv))).StatusCode);

        var s = await ws.Owner.Api.GetJsonAsync<CategorySummary>("/api/orders/categories?from=2026-12-01&to=2026-12-02");
        var summary = await ws.Owner.Api.GetJsonAsync<OrderSummary>("/api/orders/summary?from=2026-12-01&to=2026-12-02");
        Assert.Equal(320m, s.Net);
        Assert.Equal(summary.Net, s.Net); // the categories add up to the orders
        Assert.Equal(["海豹油", "零食", "早餐", "VITAMIN E", "蔓越莓", null], s.Categories.Select(x => x.Category));
        var seal = s.Categories[0];
        // O-1 100 + O-2 two thirds of 90 (60, less 20 refunded) + O-3 80; bought by 甲, 乙, 丙.
        Assert.Equal((3, 3, 240m, 20m, 220m, (decimal?)0.6875m), (seal.Orders, seal.Buyers, seal.Revenue, seal.Refunds, seal.Net, seal.Share));
        Assert.Equal([link.Id], seal.Communities.Select(k => k.Id));
        // In the group during the period: 甲 and 丙 (丁 joins later). Bought while in it: 甲 only (丙 had left), 100 yuan.
        Assert.Equal((2, 1, 100m, (decimal?)0.5m), (seal.Members, seal.MemberBuyers, seal.MemberNet, seal.Conversion));
        Assert.Equal(new CategoryProduct("海豹油胶囊", 4, 220m), seal.Products.Single());
        Assert.Equal((1, 50m), (s.Categories[1].Orders, s.Categories[1].Net));
        Assert.Equal((30m, 10m, 20m), (s.Categories[2].Revenue, s.Categories[2].Refunds, s.Categories[2].Net));
        var vitamin = s.Categories[3];
        Assert.Equal((10m, link.CommunityName, 1, 10m), (vitamin.Net, vitamin.Communities.Single().CommunityName, vitamin.MemberBuyers, vitamin.MemberNet));
        var cranberry = s.Categories[4];
        Assert.Equal((0, 0m, 1, 0, (decimal?)0m), (cranberry.Orders, cranberry.Net, cranberry.Members, cranberry.MemberBuyers, cranberry.Conversion));
        var none = s.Categories[5];
        Assert.Equal((1, 20m, 0), (none.Orders, none.Net, none.Communities.Count));

        // An admin of the general group sees its link only, and may not link a community she does not see.
        var admin = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Admin, "admin", general);
        var theirs = await admin.Api.GetJsonAsync<CategorySummary>("/api/orders/categories?from=2026-12-01&to=2026-12-02");
        Assert.DoesNotContain(theirs.Categories, x => x.Communities.Any(k => k.CommunityId == sealOil));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Api.PostJsonAsync("/api/orders/category-communities", new { communityId = sealOil, category = "鱼油" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.Api.DeleteAsync($"/api/orders/category-communities/{link.Id}", Ct)).StatusCode);
        var koc = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc, "koc");
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/orders/categories", Ct)).StatusCode);

        // Unlinking: 204, then the link is gone (404 the second time) and seal oil has no communities.
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Owner.Api.DeleteAsync($"/api/orders/category-communities/{link.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.DeleteAsync($"/api/orders/category-communities/{link.Id}", Ct)).StatusCode);
        var after = await ws.Owner.Api.GetJsonAsync<CategorySummary>("/api/orders/categories?from=2026-12-01&to=2026-12-02");
        Assert.Empty(after.Categories.Single(x => x.Category == "海豹油").Communities);
        Assert.Null(after.Categories.Single(x => x.Category == "海豹油").Conversion);
    }

    [Fact]
    public void Shares_SplitToTheFen_RemainderOnTheLast_AndByQuantityWithoutLineAmounts()
    {
        var equal = CategoryBoard.Shares([("a", "p", 1, 100), ("b", "q", 1, 100), ("c", "r", 1, 100)], 100, 0);
        Assert.Equal([33L, 33L, 34L], equal.Select(x => x.Amount));
        var byQuantity = CategoryBoard.Shares([("a", null, 3, 0), ("b", null, 1, 0)], 1000, 400);
        Assert.Equal([(750L, 300L), (250L, 100L)], byQuantity.Select(x => (x.Amount, x.Refunded)));
        // Two lines of one category (any case) make one share; a discount on the order is shared, not lost.
        var merged = CategoryBoard.Shares([("Tea", "x", 1, 600), ("tea", "y", 1, 400), (null, "z", 1, 1000)], 1800, 0);
        Assert.Equal([("Tea", 900L), (null, 900L)], merged.Select(x => (x.Category, x.Amount)));
        Assert.Equal(2, merged[0].Products.Count);
        Assert.Equal((string?)null, CategoryBoard.Shares([], 500, 0).Single().Category);
    }

    [Fact]
    public async Task Koc_And_Operator_SeeNoOrders()
    {
        var ws = await factory.NewWorkspaceAsync();
        var koc = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc, "koc");
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.GetAsync("/api/orders", Ct)).StatusCode);
        var op = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator, "op");
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.GetAsync("/api/orders/summary", Ct)).StatusCode);
    }
}

public sealed class OrderTests_Sqlite(SqliteFactory factory) : OrderTests(factory), IClassFixture<SqliteFactory>;

public sealed class OrderTests_Postgres(PostgresFactory factory) : OrderTests(factory), IClassFixture<PostgresFactory>;
