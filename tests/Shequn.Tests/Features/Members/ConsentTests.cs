using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Profiles;
using Shequn.Features.Staff;
using Shequn.Tests.Features.Acquisition;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Members;

/// <summary>
/// PIPL consent: every public page that takes personal data keeps the consent it was given under (notice, version,
/// time, page, address, browser), and a withdrawal stops what targets the member until they consent again.
/// </summary>
public abstract partial class ConsentTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Browser = "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 ConsentTest";

    private HttpClient Visitor()
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(Browser);
        return client;
    }

    private Task<T> DbAsync<T>(Func<Shequn.Data.AppDbContext, Task<T>> read) => FlashSaleKit.DbAsync(factory, read);

    private Task<List<ConsentRecord>> ConsentsAsync(Guid ws) =>
        DbAsync(db => db.Set<ConsentRecord>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws).OrderBy(c => c.GivenAt).ToListAsync(Ct));

    private async Task<HttpStatusCode> LeavePhoneAsync(Sale sale, Guid member, string phone, string requestId) =>
        (await Visitor().PostJsonAsync($"/c/{sale.Slug}/phone", new { token = await FlashSaleKit.TokenAsync(factory, sale.Id, member), phone, consent = true, requestId }))
        .StatusCode;

    [GeneratedRegex("https?://[^/]+(/p/[A-Za-z0-9_-]+)")]
    private static partial Regex ProfilePath();

    private async Task<HttpStatusCode> SubmitProfileFormAsync(Sale sale, Guid member)
    {
        var response = await sale.Ws.Owner.Api.PostAsync($"/api/members/{member}/profile-link", null, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var path = ProfilePath().Match((await response.ReadAsync<ProfileLinkDto>()).Url).Groups[1].Value;
        var form = new FormUrlEncodedContent([new("f.city", "成都"), new("consent", "yes")]);
        var submitted = await Visitor().PostAsync(path, form, Ct);
        var body = await submitted.Content.ReadAsStringAsync(Ct);
        Assert.True(body.Contains("profile-form-thanks", StringComparison.Ordinal), $"{path}: {body[..Math.Min(body.Length, 3000)]}");
        return submitted.StatusCode;
    }

    [Fact]
    public async Task EveryPublicCapture_KeepsItsConsent_WithNoticeVersionPageAddressAndBrowser_OncePerCapture()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 2);
        var (ann, bob) = (sale.Members[0], sale.Members[1]);

        // A campaign's page: the consent goes with the phone, once (a repeated submit keeps the first and adds nothing).
        Assert.Equal(HttpStatusCode.OK, await LeavePhoneAsync(sale, ann, "13800138000", "p1"));
        Assert.Equal(HttpStatusCode.OK, await LeavePhoneAsync(sale, ann, "13900139000", "p2"));
        var lead = await DbAsync(db => db.Set<CampaignLead>().IgnoreQueryFilters().AsNoTracking().SingleAsync(l => l.CampaignId == sale.Id, Ct));
        var campaign = Assert.Single(await ConsentsAsync(sale.Ws.Id));
        Assert.Equal((ann, ConsentSource.CampaignPhone, "/c/" + sale.Slug, lead.ConsentText, lead.ConsentedAt, Browser),
            (campaign.MemberId!.Value, campaign.Source, campaign.Page, campaign.NoticeText, campaign.GivenAt, campaign.UserAgent));
        Assert.Equal(ConsentRecord.VersionOf(lead.ConsentText), campaign.NoticeVersion);
        Assert.Matches("^[0-9a-f]{12}$", campaign.NoticeVersion);

        // The member's own profile form.
        Assert.Equal(HttpStatusCode.OK, await SubmitProfileFormAsync(sale, bob));
        var profile = Assert.Single(await ConsentsAsync(sale.Ws.Id), c => c.Source == ConsentSource.ProfileForm);
        Assert.Equal((bob, "/p", Browser), (profile.MemberId!.Value, profile.Page, profile.UserAgent));
        var workspace = await DbAsync(db => db.Workspaces.IgnoreQueryFilters().Where(w => w.Id == sale.Ws.Id).Select(w => w.Name).SingleAsync(Ct));
        Assert.Contains(workspace, profile.NoticeText, StringComparison.Ordinal);
        Assert.Equal(ConsentRecord.VersionOf(profile.NoticeText), profile.NoticeVersion);

        // A live code's landing page: a visitor not (yet) a member; the consent hangs off the lead, from the visitor's address.
        var channel = await LiveCodeKit.ChannelAsync(sale.Ws);
        var code = await LiveCodeKit.CodeAsync(sale.Ws, channel, [new { communityId = sale.Community }], collectPhone: true);
        var left = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/phone", "192.0.2.44", new() { ["phone"] = "137 0000 1111", ["consent"] = "true" });
        Assert.Equal(Microsoft.AspNetCore.Http.StatusCodes.Status200OK, left.Response.StatusCode);
        var landingLead = await DbAsync(db => db.Set<LiveCodeLead>().IgnoreQueryFilters().AsNoTracking().SingleAsync(l => l.LiveCodeId == code.Id, Ct));
        var landing = Assert.Single(await ConsentsAsync(sale.Ws.Id), c => c.Source == ConsentSource.LandingPage);
        Assert.Equal((landingLead.Id, (Guid?)null, "/j/" + code.Code, "192.0.2.44", landingLead.ConsentText),
            (landing.LeadId!.Value, landing.MemberId, landing.Page, landing.Address, landing.NoticeText));

        // Staff who may read personal data see them; an operator may not; another workspace does not find the member.
        var listed = await sale.Ws.Owner.Api.GetJsonAsync<List<PersonalConsent>>($"/api/members/{ann}/consents");
        Assert.Equal(("/c/" + sale.Slug, campaign.NoticeVersion, (DateTime?)null), (Assert.Single(listed).Page, listed[0].NoticeVersion, listed[0].WithdrawnAt));
        var op = await sale.Ws.AddStaffAsync(StaffRole.Operator, "运营", sale.Community);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.GetAsync($"/api/members/{ann}/consents", Ct)).StatusCode);
        var other = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.GetAsync($"/api/members/{ann}/consents", Ct)).StatusCode);
    }

    [Fact]
    public async Task Withdrawal_CancelsQueuedPrivateInvites_SkipsFriendAdds_KeepsThemOffTheQueue_UntilAFreshConsent()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 2);
        var (ann, bob) = (sale.Members[0], sale.Members[1]);
        Assert.Equal(HttpStatusCode.OK, await LeavePhoneAsync(sale, ann, "13800138000", "p1"));
        Assert.Equal(HttpStatusCode.OK, await LeavePhoneAsync(sale, bob, "13900139000", "p2"));
        // Both phones go to the friend-add queue; a private VIP invitation waits to be sent to each (as VipCandidates writes it).
        var imported = await sale.Ws.Owner.Api.PostAsync($"/api/friend-adds/leads/from-campaign/{sale.Id}", null, Ct);
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        var invites = new[] { ann, bob }.ToDictionary(m => m, m =>
        {
            var a = OutboundAction.Create(sale.Ws.Id, sale.Community, ActionKind.SendInvite,
                new ActionPayload(Text: "欢迎加入 VIP 群", UserId: "u-" + m.ToString("N")[..8], MemberLimit: 1), $"vip-invite:{m:N}");
            a.NextAttemptAt = DateTime.UtcNow.AddHours(1);
            return a;
        });
        await DbAsync(db => { db.AddRange(invites.Values); return db.SaveChangesWithoutAuditAsync(Ct); });

        var op = await sale.Ws.AddStaffAsync(StaffRole.Operator, "运营", sale.Community);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync($"/api/members/{ann}/consent/withdraw", new { })).StatusCode);
        var other = await factory.NewWorkspaceAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Api.PostJsonAsync($"/api/members/{ann}/consent/withdraw", new { })).StatusCode);
        var result = await (await sale.Ws.Owner.Api.PostJsonAsync($"/api/members/{ann}/consent/withdraw", new { })).ReadAsync<WithdrawalResult>();
        Assert.Equal(new WithdrawalResult(1, 1, 1), result);

        // Ann's invitation is withdrawn before it goes out and her friend add skipped; Bob's are untouched.
        var actions = await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == sale.Ws.Id && a.IdempotencyKey.StartsWith("vip-invite:")).ToDictionaryAsync(a => a.Id, a => (a.Status, a.ErrorReason), Ct));
        Assert.Equal((ActionStatus.Cancelled, Consents.WithdrawnReason), actions[invites[ann].Id]);
        Assert.Equal((ActionStatus.Queued, (string?)null), actions[invites[bob].Id]);
        var friends = await DbAsync(db => db.Set<FriendLead>().IgnoreQueryFilters().AsNoTracking().Where(f => f.WorkspaceId == sale.Ws.Id)
            .ToDictionaryAsync(f => f.MemberId!.Value, f => f.Status, Ct));
        Assert.Equal((FriendLeadStatus.Skipped, FriendLeadStatus.Queued), (friends[ann], friends[bob]));
        var consent = Assert.Single(await sale.Ws.Owner.Api.GetJsonAsync<List<PersonalConsent>>($"/api/members/{ann}/consents"));
        Assert.Equal(ConsentWithdrawnVia.Staff, consent.WithdrawnVia);
        Assert.NotNull(consent.WithdrawnAt);
        // The campaign's leads still list her phone, marked; importing again does not queue her.
        var leads = await sale.Ws.Owner.Api.GetJsonAsync<List<CampaignLeadDto>>($"/api/campaigns/{sale.Id}/leads");
        Assert.NotNull(Assert.Single(leads, l => l.MemberId == ann).WithdrawnAt);
        Assert.Null(Assert.Single(leads, l => l.MemberId == bob).WithdrawnAt);
        await DbAsync(db => db.Set<FriendLead>().IgnoreQueryFilters().Where(f => f.WorkspaceId == sale.Ws.Id).ExecuteDeleteAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await sale.Ws.Owner.Api.PostAsync($"/api/friend-adds/leads/from-campaign/{sale.Id}", null, Ct)).StatusCode);
        Assert.Equal([bob], await DbAsync(db => db.Set<FriendLead>().IgnoreQueryFilters().Where(f => f.WorkspaceId == sale.Ws.Id).Select(f => f.MemberId!.Value).ToListAsync(Ct)));
        Assert.Contains(await DbAsync(db => db.AuditEntries.IgnoreQueryFilters().Where(a => a.WorkspaceId == sale.Ws.Id && a.EntityId == ann.ToString()).Select(a => a.Action).ToListAsync(Ct)),
            a => a == "consent-withdrawn");

        // A fresh consent (her profile form) lifts the mark; the closed consent stays closed.
        Assert.Equal(HttpStatusCode.OK, await SubmitProfileFormAsync(sale, ann));
        Assert.Null(await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == ann).Select(m => m.ConsentWithdrawnAt).SingleAsync(Ct)));
        var now = await sale.Ws.Owner.Api.GetJsonAsync<List<PersonalConsent>>($"/api/members/{ann}/consents");
        Assert.Equal([(ConsentSource.CampaignPhone, true), (ConsentSource.ProfileForm, false)], now.Select(c => (c.Source, c.WithdrawnAt is not null)));
    }
}

public sealed class ConsentTests_Sqlite(SqliteFactory factory) : ConsentTests(factory), IClassFixture<SqliteFactory>;

public sealed class ConsentTests_Postgres(PostgresFactory factory) : ConsentTests(factory), IClassFixture<PostgresFactory>;
