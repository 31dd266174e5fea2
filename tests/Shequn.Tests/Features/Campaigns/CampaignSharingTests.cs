using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Campaigns;
using Shequn.Features.Images;
using Shequn.Features.Staff;
using Shequn.Platform.Auth;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// Issue 13 sharing: the poster's QR code (decoded with ZXing) is the member's invite link, invite tokens record who
/// brought a member (never themselves, never overwriting) and cannot act as the inviter, and phones are kept once with consent.
/// </summary>
public abstract class CampaignSharingTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Poster_DecodesToInviteLink_BadTokenForbidden_UnknownSlugNotFound()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 2);
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var token = await links.TokenAsync(sale.Id, sale.Members[0], Ct);
        var client = factory.CreateClient();
        var response = await client.GetAsync($"/c/{sale.Slug}/poster.png?m={token}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var png = await response.Content.ReadAsByteArrayAsync(Ct);
        // Kept for people to look at (CI keeps .artifacts): the layout and the Chinese text are not checked by a machine.
        var artifacts = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", ".artifacts", "posters");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllBytesAsync(Path.Combine(artifacts, $"poster-{GetType().Name}.png"), png, Ct);
        var scan = new QrDecoder().Scan(png, Ct);
        var url = Assert.Single(scan.Codes);
        var invite = url[(url.IndexOf("?i=", StringComparison.Ordinal) + 3)..];
        Assert.EndsWith($"/c/{sale.Slug}?i={invite}", url, StringComparison.Ordinal);
        Assert.Equal(sale.Members[0], await links.VerifyInviteAsync(sale.Id, invite, Ct));
        // An invite token names the inviter but cannot act for them.
        Assert.Null(await links.VerifyAsync(sale.Id, invite, Ct));
        Assert.Null(await links.VerifyInviteAsync(sale.Id, token, Ct));

        var forged = await client.GetAsync($"/c/{sale.Slug}/poster.png?m={invite}", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/c/zzzzzzzzzzzz/poster.png?m={token}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Claim_WithInviteToken_SetsInviterOnce_NeverSelf()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 10, limit: 1, members: 4);
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var (a, b, c, d) = (sale.Members[0], sale.Members[1], sale.Members[2], sale.Members[3]);
        var inviteA = await links.InviteTokenAsync(sale.Id, a, Ct);
        var inviteC = await links.InviteTokenAsync(sale.Id, c, Ct);
        var client = factory.CreateClient();
        async Task<HttpStatusCode> Claim(Guid who, string? inviter) =>
            (await client.PostJsonAsync($"/c/{sale.Slug}/claim", new { token = await links.TokenAsync(sale.Id, who, Ct), quantity = 1, requestId = Guid.NewGuid().ToString("N"), inviter }))
            .StatusCode;
        Assert.Equal(HttpStatusCode.OK, await Claim(b, inviteA));
        Assert.Equal(HttpStatusCode.OK, await Claim(a, inviteA)); // herself: not recorded
        Assert.Equal(HttpStatusCode.OK, await Claim(d, "not-a-token"));
        // A second action with another inviter does not overwrite the first (a replay path of the same member).
        await FlashSaleKit.DbAsync(factory, db => CampaignInvites.RecordAsync(db, links, sale.Id, b, inviteC, Ct));
        var rows = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == sale.Id).ToDictionaryAsync(p => p.MemberId, Ct));
        Assert.Equal(a, rows[b].InvitedByMemberId);
        Assert.Null(rows[a].InvitedByMemberId);
        Assert.Null(rows[d].InvitedByMemberId);
    }

    [Fact]
    public async Task GroupLeader_WithInviteToken_RecordsInviter_AndGroupPosterCarriesGroup()
    {
        var buy = await GroupBuyKit.NewAsync(factory, size: 2, members: 3);
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var invite = await links.InviteTokenAsync(buy.Id, buy.Members[0], Ct);
        var client = factory.CreateClient();
        var token = await links.TokenAsync(buy.Id, buy.Members[1], Ct);
        var joined = await client.PostJsonAsync($"/c/{buy.Slug}/join", new { token, requestId = "lead-1", inviter = invite });
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        using var doc = JsonDocument.Parse(await joined.Content.ReadAsStringAsync(Ct));
        var group = doc.RootElement.GetProperty("groupId").GetGuid();
        var row = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().SingleAsync(p => p.CampaignId == buy.Id && p.MemberId == buy.Members[1], Ct));
        Assert.Equal(buy.Members[0], row.InvitedByMemberId);

        var png = await client.GetByteArrayAsync($"/c/{buy.Slug}/poster.png?m={token}&g={group}", Ct);
        var url = Assert.Single(new QrDecoder().Scan(png, Ct).Codes);
        var mine = await links.InviteTokenAsync(buy.Id, buy.Members[1], Ct);
        Assert.EndsWith($"/c/{buy.Slug}?g={group}&i={mine}", url, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/c/{buy.Slug}/poster.png?m={token}&g={Guid.NewGuid()}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Phone_WithInviteToken_RecordsTheInviterOfATakingPartMember_NeverSelf()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 10, limit: 1, members: 3);
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var (a, b, c) = (sale.Members[0], sale.Members[1], sale.Members[2]);
        var inviteA = await links.InviteTokenAsync(sale.Id, a, Ct);
        var client = factory.CreateClient();
        foreach (var who in new[] { a, b })
            Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync($"/c/{sale.Slug}/claim", new { token = await links.TokenAsync(sale.Id, who, Ct), quantity = 1, requestId = "c-" + who.ToString("N") })).StatusCode);
        async Task<HttpStatusCode> Phone(Guid who) =>
            (await client.PostJsonAsync($"/c/{sale.Slug}/phone", new { token = await links.TokenAsync(sale.Id, who, Ct), phone = "13800138000", consent = true, requestId = "p-" + who.ToString("N"), inviter = inviteA }))
            .StatusCode;

        Assert.Equal(HttpStatusCode.OK, await Phone(b));
        Assert.Equal(HttpStatusCode.OK, await Phone(a)); // herself: not recorded
        Assert.Equal(HttpStatusCode.OK, await Phone(c)); // no participant row: a phone alone is not taking part
        var rows = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignParticipant>().IgnoreQueryFilters().Where(p => p.CampaignId == sale.Id).ToDictionaryAsync(p => p.MemberId, p => p.InvitedByMemberId, Ct));
        Assert.Equal(a, rows[b]);
        Assert.Null(rows[a]);
        Assert.False(rows.ContainsKey(c));
    }

    [Fact]
    public async Task Phone_NeedsConsentAndValidPhone_KeptOnce_OwnersReadLeads()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 1);
        var token = await FlashSaleKit.TokenAsync(factory, sale.Id, sale.Members[0]);
        var client = factory.CreateClient();
        var noConsent = await client.PostJsonAsync($"/c/{sale.Slug}/phone?culture=en", new { token, phone = "13800138000", consent = false, requestId = "p1" });
        Assert.Equal(HttpStatusCode.BadRequest, noConsent.StatusCode);
        Assert.Contains("\"consent\"", await noConsent.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var badPhone = await client.PostJsonAsync($"/c/{sale.Slug}/phone?culture=en", new { token, phone = "12345", consent = true, requestId = "p1" });
        Assert.Equal(HttpStatusCode.BadRequest, badPhone.StatusCode);
        Assert.Contains("\"phone\"", await badPhone.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PostJsonAsync($"/c/{sale.Slug}/phone?culture=en", new { token, phone = i % 2 == 0 ? "+86 138-0013-8000" : "13900139000", consent = true, requestId = $"p{i}" })));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var leads = await FlashSaleKit.DbAsync(factory, db => db.Set<CampaignLead>().IgnoreQueryFilters().Where(x => x.CampaignId == sale.Id).ToListAsync(Ct));
        var lead = Assert.Single(leads);
        Assert.Contains(lead.Phone, new[] { "13800138000", "13900139000" });
        Assert.Contains("I agree", lead.ConsentText, StringComparison.Ordinal);

        var listed = await (await sale.Ws.Owner.Api.GetAsync($"/api/campaigns/{sale.Id}/leads", Ct)).ReadAsync<List<CampaignLeadDto>>();
        Assert.Equal(lead.Phone, Assert.Single(listed).Phone);
        Assert.Equal("138****8000", CampaignLead.Masked("13800138000"));
        Assert.Equal("+4915112345678", CampaignLead.NormalizePhone("+49 151 1234 5678"));
        Assert.Null(CampaignLead.NormalizePhone("23800138000"));
    }

    [Fact]
    public async Task Audience_ListsMembersOfCommunitiesTheStaffSees_SearchedByName_WithoutLeaversOrOutsiders_TokensLikewise()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 3);
        var outsider = (await FlashSaleKit.MembersAsync(factory, sale.Ws.Id, null, 1))[0];
        var links = factory.Services.GetRequiredService<CampaignLinks>();
        var owner = new StaffProfile(Guid.NewGuid(), "店长", StaffRole.Owner, []);
        var elsewhere = new StaffProfile(Guid.NewGuid(), "别处运营", StaffRole.Operator, [Guid.NewGuid()]);
        var seen = await FlashSaleKit.DbAsync(factory, async db =>
        {
            db.Current.ActAsSystem(sale.Ws.Id);
            await db.Memberships.Where(m => m.MemberId == sale.Members[2]).ExecuteUpdateAsync(u => u.SetProperty(m => m.LeftAt, DateTime.UtcNow), Ct);
            var campaign = await db.Set<Campaign>().AsNoTracking().SingleAsync(c => c.Id == sale.Id, Ct);
            return (
                All: await CampaignMemberLinks.AudienceAsync(db, campaign, owner, null, 20, Ct),
                Searched: await CampaignMemberLinks.AudienceAsync(db, campaign, owner, " 员1 ", 20, Ct),
                Elsewhere: await CampaignMemberLinks.AudienceAsync(db, campaign, elsewhere, null, 20, Ct),
                Member: await CampaignMemberLinks.TokenAsync(db, links, campaign, owner, sale.Members[0], Ct),
                Leaver: await CampaignMemberLinks.TokenAsync(db, links, campaign, owner, sale.Members[2], Ct),
                Outsider: await CampaignMemberLinks.TokenAsync(db, links, campaign, owner, outsider, Ct),
                NotSeen: await CampaignMemberLinks.TokenAsync(db, links, campaign, elsewhere, sale.Members[0], Ct));
        });
        Assert.Equal([sale.Members[0], sale.Members[1]], seen.All.Select(m => m.Id));
        Assert.Equal(["成员0", "成员1"], seen.All.Select(m => m.Name));
        Assert.Equal(sale.Members[1], Assert.Single(seen.Searched).Id);
        Assert.Empty(seen.Elsewhere);
        Assert.Equal(sale.Members[0], await links.VerifyAsync(sale.Id, seen.Member, Ct));
        Assert.Null(seen.Leaver);
        Assert.Null(seen.Outsider);
        Assert.Null(seen.NotSeen);
    }
}

public sealed class CampaignSharingTests_Sqlite(GroupBuySqliteFactory factory) : CampaignSharingTests(factory), IClassFixture<GroupBuySqliteFactory>;

public sealed class CampaignSharingTests_Postgres(GroupBuyPostgresFactory factory) : CampaignSharingTests(factory), IClassFixture<GroupBuyPostgresFactory>;
