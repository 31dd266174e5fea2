using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Shequn.Features.Acquisition;
using Shequn.Features.Campaigns;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Profiles;
using Shequn.Platform.Auth;
using Shequn.Tests.Features.Acquisition;
using Shequn.Tests.Features.Campaigns;
using Shequn.Tests.Infrastructure;
using Shequn.Tests.Platform;

namespace Shequn.Tests.Features.Members;

/// <summary>
/// PIPL: a member withdraws a consent themself. Every page that takes a consent shows a withdrawal link (<c>/w/{token}</c>)
/// whose token is kept only as a hash; the link's page shows what was agreed and withdraws through the same steps as
/// staff, audited and logged as the member's own act; a used or unknown link finds nothing.
/// </summary>
public abstract partial class WithdrawalTests<TFactory>(TFactory factory) where TFactory : ShequnFactory, ISecretsFactory
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex("^/w/[A-Za-z0-9_-]{43}$")]
    private static partial Regex LinkPattern();

    [GeneratedRegex("href=\"(/w/[A-Za-z0-9_-]+)\" data-testid=\"withdraw-link\"")]
    private static partial Regex OfferedLink();

    [GeneratedRegex("https?://[^/]+(/p/[A-Za-z0-9_-]+)")]
    private static partial Regex ProfilePath();

    private Task<T> DbAsync<T>(Func<Shequn.Data.AppDbContext, Task<T>> read) => FlashSaleKit.DbAsync(factory, read);

    /// <summary>A phone left on the campaign's page; the answer's withdrawal link.</summary>
    private async Task<string?> LeavePhoneAsync(Sale sale, Guid member, string phone)
    {
        var response = await factory.CreateClient().PostJsonAsync($"/c/{sale.Slug}/phone",
            new { token = await FlashSaleKit.TokenAsync(factory, sale.Id, member), phone, consent = true, requestId = Guid.NewGuid().ToString("N") });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return answer.RootElement.TryGetProperty("withdrawUrl", out var url) ? url.GetString() : null;
    }

    /// <summary>The link a page offers under its confirmation (the withdrawal view's offer line).</summary>
    private static string Offered(string html)
    {
        var match = OfferedLink().Match(html);
        Assert.True(match.Success, "No withdrawal link on the page: " + html[..Math.Min(html.Length, 2000)]);
        return match.Groups[1].Value;
    }

    private static async Task<string> ProfileFormPathAsync(Sale sale, Guid member)
    {
        var response = await sale.Ws.Owner.Api.PostAsync($"/api/members/{member}/profile-link", null, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ProfilePath().Match((await response.ReadAsync<ProfileLinkDto>()).Url).Groups[1].Value;
    }

    private async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        var response = await factory.CreateClient().GetAsync(path, Ct);
        return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct)));
    }

    private async Task<(HttpStatusCode Status, string Html)> WithdrawAsync(string path)
    {
        using var empty = new FormUrlEncodedContent([]);
        var response = await factory.CreateClient().PostAsync(path, empty, Ct);
        return (response.StatusCode, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync(Ct)));
    }

    /// <summary>The link works: its page shows the consent (notice as recorded and the page it came from) and the withdraw button.</summary>
    private async Task AssertOpensAsync(string link, ConsentRecord consent)
    {
        Assert.Matches(LinkPattern(), link);
        var (status, html) = await GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-testid=\"withdraw-submit\"", html, StringComparison.Ordinal);
        Assert.Contains(consent.NoticeText, html, StringComparison.Ordinal);
        Assert.Contains(consent.Page, html, StringComparison.Ordinal);
    }

    private Task<List<ConsentRecord>> ConsentsAsync(Guid ws) =>
        DbAsync(db => db.Set<ConsentRecord>().IgnoreQueryFilters().AsNoTracking().Where(c => c.WorkspaceId == ws).OrderBy(c => c.GivenAt).ThenBy(c => c.Id).ToListAsync(Ct));

    /// <summary>The consent whose stored hash is the token's; and nowhere in the table is the token itself.</summary>
    private async Task<ConsentRecord> HeldAsHashAsync(Guid ws, string link)
    {
        var token = link["/w/".Length..];
        var rows = await ConsentsAsync(ws);
        Assert.DoesNotContain(token, JsonSerializer.Serialize(rows), StringComparison.Ordinal);
        return Assert.Single(rows, c => c.WithdrawTokenHash == Consents.Hash(token));
    }

    [Fact]
    public async Task EveryCapture_ConfirmationOffersAWorkingLink_KeptOnlyAsAHash_ANewLinkReplacesTheOldOne()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 2);
        var (ann, bob) = (sale.Members[0], sale.Members[1]);

        // A campaign's page: the answer carries the link (the page's script shows it).
        var campaignLink = await LeavePhoneAsync(sale, ann, "13800138000");
        Assert.NotNull(campaignLink);
        var campaign = await HeldAsHashAsync(sale.Ws.Id, campaignLink);
        Assert.Equal((ConsentSource.CampaignPhone, ann), (campaign.Source, campaign.MemberId!.Value));
        await AssertOpensAsync(campaignLink, campaign);
        // The same phone again: the answer repeats what was kept with a new link; the first one no longer works.
        var again = await LeavePhoneAsync(sale, ann, "13800138000");
        Assert.NotNull(again);
        Assert.NotEqual(campaignLink, again);
        Assert.Equal(campaign.Id, (await HeldAsHashAsync(sale.Ws.Id, again)).Id);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(campaignLink)).Status);
        await AssertOpensAsync(again, campaign);

        // The profile form: the thanks page offers the new consent's link.
        var form = await ProfileFormPathAsync(sale, bob);
        using (var fields = new FormUrlEncodedContent([new("f.city", "成都"), new("consent", "yes")]))
        {
            var thanks = await (await factory.CreateClient().PostAsync(form, fields, Ct)).Content.ReadAsStringAsync(Ct);
            Assert.Contains("profile-form-thanks", thanks, StringComparison.Ordinal);
            var profileLink = Offered(thanks);
            var profile = await HeldAsHashAsync(sale.Ws.Id, profileLink);
            Assert.Equal((ConsentSource.ProfileForm, bob, "/p"), (profile.Source, profile.MemberId!.Value, profile.Page));
            await AssertOpensAsync(profileLink, profile);
        }
        // The form page itself is the member's own: it offers the link of their latest open consent (a new one).
        var (formStatus, formPage) = await GetAsync(await ProfileFormPathAsync(sale, ann));
        Assert.Equal(HttpStatusCode.OK, formStatus);
        var fromForm = Offered(formPage);
        Assert.Equal(campaign.Id, (await HeldAsHashAsync(sale.Ws.Id, fromForm)).Id);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(again)).Status);
        await AssertOpensAsync(fromForm, campaign);

        // A live code's landing page: the phone form's thanks, and the join form's page that leads on to the group.
        var channel = await LiveCodeKit.ChannelAsync(sale.Ws);
        var code = await LiveCodeKit.CodeAsync(sale.Ws, channel, [new { communityId = sale.Community }], collectPhone: true);
        var left = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/phone", "192.0.2.51", new() { ["phone"] = "137 0000 2222", ["consent"] = "true" });
        Assert.Equal(Microsoft.AspNetCore.Http.StatusCodes.Status200OK, left.Response.StatusCode);
        var phoneLink = Offered(await LiveCodeKit.BodyAsync(left));
        var landing = await HeldAsHashAsync(sale.Ws.Id, phoneLink);
        Assert.Equal((ConsentSource.LandingPage, "/j/" + code.Code, (Guid?)null), (landing.Source, landing.Page, landing.MemberId));
        await AssertOpensAsync(phoneLink, landing);
        var joined = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/join", "192.0.2.52", new() { ["phone"] = "137 0000 3333", ["consent"] = "true" });
        Assert.Equal(Microsoft.AspNetCore.Http.StatusCodes.Status200OK, joined.Response.StatusCode);
        var keptPage = await LiveCodeKit.BodyAsync(joined);
        Assert.Contains("data-testid=\"livecode-continue\"", keptPage, StringComparison.Ordinal);
        var joinLink = Offered(keptPage);
        await AssertOpensAsync(joinLink, await HeldAsHashAsync(sale.Ws.Id, joinLink));

        // Four consents, each holding one hash and never its token.
        Assert.Equal(4, (await ConsentsAsync(sale.Ws.Id)).Count(c => c.WithdrawTokenHash is { Length: ConsentRecord.TokenHashLength }));
    }

    [Fact]
    public async Task MemberWithdrawsThroughTheirLink_SameStepsAsStaff_AuditedAndLoggedAsTheMember_ThenTheLinkFindsNothing()
    {
        var sale = await FlashSaleKit.NewSaleAsync(factory, stock: 5, limit: 1, members: 2);
        var (ann, bob) = (sale.Members[0], sale.Members[1]);
        var annLink = await LeavePhoneAsync(sale, ann, "13800138000");
        var bobLink = await LeavePhoneAsync(sale, bob, "13900139000");
        Assert.NotNull(annLink);
        Assert.NotNull(bobLink);
        // Both phones go to the friend-add queue; a private VIP invitation waits to be sent to each (as VipCandidates writes it).
        Assert.Equal(HttpStatusCode.OK, (await sale.Ws.Owner.Api.PostAsync($"/api/friend-adds/leads/from-campaign/{sale.Id}", null, Ct)).StatusCode);
        var invites = new[] { ann, bob }.ToDictionary(m => m, m =>
        {
            var a = OutboundAction.Create(sale.Ws.Id, sale.Community, ActionKind.SendInvite,
                new ActionPayload(Text: "欢迎加入 VIP 群", UserId: "u-" + m.ToString("N")[..8], MemberLimit: 1), $"vip-invite:{m:N}");
            a.NextAttemptAt = DateTime.UtcNow.AddHours(1);
            return a;
        });
        await DbAsync(db => { db.AddRange(invites.Values); return db.SaveChangesWithoutAuditAsync(Ct); });

        // The page speaks Chinese by default, English on request; the button posts the withdrawal.
        var (_, chinese) = await GetAsync(annLink);
        Assert.Contains("<html lang=\"zh-CN\"", chinese, StringComparison.Ordinal);
        Assert.Contains("撤回授权", chinese, StringComparison.Ordinal);
        var english = await factory.CreateClient().GetAsync(annLink + "?culture=en", Ct);
        Assert.Contains("Withdraw my consent", await english.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("no-store", english.Headers.CacheControl?.ToString());
        Assert.Contains("script-src 'self'", english.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        var (status, done) = await WithdrawAsync(annLink + "?culture=en");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-testid=\"withdraw-done\"", done, StringComparison.Ordinal);
        Assert.Contains("You withdrew your consent", done, StringComparison.Ordinal);

        // What staff's withdrawal does: Ann's invitation withdrawn before it goes out, her friend add skipped, Ann marked.
        var actions = await DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == sale.Ws.Id && a.IdempotencyKey.StartsWith("vip-invite:")).ToDictionaryAsync(a => a.Id, a => (a.Status, a.ErrorReason), Ct));
        Assert.Equal((ActionStatus.Cancelled, Consents.WithdrawnReason), actions[invites[ann].Id]);
        Assert.Equal((ActionStatus.Queued, (string?)null), actions[invites[bob].Id]);
        var friends = await DbAsync(db => db.Set<FriendLead>().IgnoreQueryFilters().AsNoTracking().Where(f => f.WorkspaceId == sale.Ws.Id)
            .ToDictionaryAsync(f => f.MemberId!.Value, f => f.Status, Ct));
        Assert.Equal((FriendLeadStatus.Skipped, FriendLeadStatus.Queued), (friends[ann], friends[bob]));
        Assert.NotNull(await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == ann).Select(m => m.ConsentWithdrawnAt).SingleAsync(Ct)));
        Assert.Null(await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == bob).Select(m => m.ConsentWithdrawnAt).SingleAsync(Ct)));
        var consent = Assert.Single(await sale.Ws.Owner.Api.GetJsonAsync<List<PersonalConsent>>($"/api/members/{ann}/consents"));
        Assert.Equal(ConsentWithdrawnVia.MemberLink, consent.WithdrawnVia);
        Assert.NotNull(consent.WithdrawnAt);
        var leads = await sale.Ws.Owner.Api.GetJsonAsync<List<CampaignLeadDto>>($"/api/campaigns/{sale.Id}/leads");
        Assert.NotNull(Assert.Single(leads, l => l.MemberId == ann).WithdrawnAt);
        // A closed consent keeps no hash.
        Assert.Null(Assert.Single(await ConsentsAsync(sale.Ws.Id), c => c.MemberId == ann).WithdrawTokenHash);

        // The audit row and the security log name the member, not staff or the system.
        var row = Assert.Single(await DbAsync(db => db.AuditEntries.IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == sale.Ws.Id && a.Action == SecurityEvents.ConsentWithdrawn).ToListAsync(Ct)));
        Assert.Equal((Consents.MemberActor, (Guid?)null, nameof(Member), ann.ToString()), (row.ActorName, row.ActorId, row.EntityType, row.EntityId));
        Assert.Equal("MemberLink", JsonDocument.Parse(row.After!).RootElement.GetProperty("Via").GetString());
        var line = Assert.Single(factory.Logs.Snapshot(), l => l.StartsWith(SecurityLog.Category + " ", StringComparison.Ordinal)
            && l.Contains($"Security event {SecurityEvents.ConsentWithdrawn}:", StringComparison.Ordinal) && l.Contains(sale.Ws.Id.ToString(), StringComparison.Ordinal));
        Assert.Contains($"actor {Consents.MemberActor} (-)", line, StringComparison.Ordinal);
        Assert.Contains($"subject Member {ann}", line, StringComparison.Ordinal);
        Assert.Contains("Via=MemberLink", line, StringComparison.Ordinal);

        // Used up: a second post and the page find nothing; a made-up token neither; Bob's link still works.
        Assert.Equal(HttpStatusCode.NotFound, (await WithdrawAsync(annLink)).Status);
        var (gone, goneHtml) = await GetAsync(annLink);
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Contains("data-testid=\"withdraw-not-found\"", goneHtml, StringComparison.Ordinal);
        var madeUp = "/w/" + new string('A', 43);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(madeUp)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await WithdrawAsync(madeUp)).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(bobLink)).Status);
        Assert.Single(await DbAsync(db => db.AuditEntries.IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == sale.Ws.Id && a.Action == SecurityEvents.ConsentWithdrawn).ToListAsync(Ct)));

        // A fresh consent lifts the mark, with a link of its own.
        var fresh = await LeavePhoneAsync(sale, ann, "13800138000");
        Assert.Null(fresh); // the campaign page keeps the first phone: no new consent, nothing to withdraw
        var form = await ProfileFormPathAsync(sale, ann);
        using var fields = new FormUrlEncodedContent([new("f.city", "成都"), new("consent", "yes")]);
        var thanks = await (await factory.CreateClient().PostAsync(form, fields, Ct)).Content.ReadAsStringAsync(Ct);
        Assert.Null(await DbAsync(db => db.Members.IgnoreQueryFilters().Where(m => m.Id == ann).Select(m => m.ConsentWithdrawnAt).SingleAsync(Ct)));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(Offered(thanks))).Status);
    }

    [Fact]
    public async Task LandingLeadWithoutAMember_WithdrawsThroughTheLink_ItsConsentsClosed_ItsPhoneKeptOffFriendAdds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var channel = await LiveCodeKit.ChannelAsync(ws);
        var community = await LiveCodeKit.CommunityAsync(ws, "入群");
        var code = await LiveCodeKit.CodeAsync(ws, channel, [new { communityId = community }], collectPhone: true);
        // The same phone left twice (two consents, no member has it), another phone once.
        var first = await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/phone", "192.0.2.61", new() { ["phone"] = "13700001111", ["consent"] = "true" });
        var link = Offered(await LiveCodeKit.BodyAsync(first));
        await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/phone", "192.0.2.62", new() { ["phone"] = "137 0000 1111", ["consent"] = "true" });
        await LiveCodeKit.SendAsync(factory, "POST", $"/j/{code.Code}/phone", "192.0.2.63", new() { ["phone"] = "13700002222", ["consent"] = "true" });
        foreach (var phone in new[] { "13700001111", "13700002222" })
        {
            var added = await ws.Owner.Api.PostJsonAsync("/api/friend-adds/leads", new { name = "访客" + phone[^4..], phone, source = "manual" });
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync(Ct));
        }

        var (status, done) = await WithdrawAsync(link);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("data-testid=\"withdraw-done\"", done, StringComparison.Ordinal);
        var leads = await DbAsync(db => db.Set<LiveCodeLead>().IgnoreQueryFilters().AsNoTracking().Where(l => l.WorkspaceId == ws.Id).ToDictionaryAsync(l => l.Id, l => l.Phone, Ct));
        var consents = await ConsentsAsync(ws.Id);
        Assert.Equal(3, consents.Count);
        Assert.All(consents, c => Assert.Null(c.MemberId));
        var closed = consents.Where(c => c.WithdrawnAt is not null).ToList();
        Assert.Equal(["13700001111", "13700001111"], closed.Select(c => leads[c.LeadId!.Value]));
        Assert.All(closed, c => Assert.Equal((ConsentWithdrawnVia?)ConsentWithdrawnVia.MemberLink, c.WithdrawnVia));
        Assert.Equal("13700002222", leads[Assert.Single(consents, c => c.WithdrawnAt is null).LeadId!.Value]);
        var friends = await DbAsync(db => db.Set<FriendLead>().IgnoreQueryFilters().AsNoTracking().Where(f => f.WorkspaceId == ws.Id)
            .ToDictionaryAsync(f => f.Phone!, f => (f.Status, f.OutcomeNote), Ct));
        Assert.Equal((FriendLeadStatus.Skipped, Consents.WithdrawnReason), friends["13700001111"]);
        Assert.Equal((FriendLeadStatus.Queued, (string?)null), friends["13700002222"]);
        var row = Assert.Single(await DbAsync(db => db.AuditEntries.IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.WorkspaceId == ws.Id && a.Action == SecurityEvents.ConsentWithdrawn).ToListAsync(Ct)));
        Assert.Equal((Consents.MemberActor, nameof(LiveCodeLead)), (row.ActorName, row.EntityType));
        Assert.Equal(2, JsonDocument.Parse(row.After!).RootElement.GetProperty("Consents").GetInt32());

        Assert.Equal(HttpStatusCode.NotFound, (await WithdrawAsync(link)).Status);
    }
}

public sealed class WithdrawalTests_Sqlite(SecretsSqliteFactory factory) : WithdrawalTests<SecretsSqliteFactory>(factory), IClassFixture<SecretsSqliteFactory>;

public sealed class WithdrawalTests_Postgres(SecretsPostgresFactory factory) : WithdrawalTests<SecretsPostgresFactory>(factory), IClassFixture<SecretsPostgresFactory>;
