using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Outbox;
using Shequn.Platform.Auth;

namespace Shequn.Features.Members;

/// <summary>Which public page asked for the consent.</summary>
public enum ConsentSource
{
    /// <summary>A phone left on a campaign's page (<c>/c/{slug}/phone</c>).</summary>
    CampaignPhone = 0,
    /// <summary>A phone or answers left on a live code's landing page (<c>/j/{code}</c>).</summary>
    LandingPage = 1,
    /// <summary>The member's own profile form (<c>/p/{token}</c>).</summary>
    ProfileForm = 2,
}

/// <summary>Who recorded a withdrawal: the member themself through their withdrawal link, or staff on the member's word (a call, a message).</summary>
public enum ConsentWithdrawnVia
{
    /// <summary>Never written (the first design's withdrawal on the profile form); kept so the stored number keeps its meaning.</summary>
    Member = 0,
    Staff = 1,
    /// <summary>The member themself, on the public withdrawal page their link opens (<c>/w/{token}</c>).</summary>
    MemberLink = 2,
}

/// <summary>
/// PIPL: a consent a person gave on one of Shequn's public pages — which notice (its text and a version derived from the
/// text, so a reworded notice is a new version), when, on which page, from which address and browser — and when it was
/// withdrawn. Written in the same transaction as what the page kept (the phone, the profile), so there is no lead
/// without its consent. Belongs to the member (deleted with them); a landing-page lead not matched to a member holds it
/// through <see cref="LeadId"/>.
/// </summary>
public sealed class ConsentRecord : IWorkspaceOwned
{
    public const int PageMaxLength = 200;
    public const int NoticeMaxLength = 500;
    public const int AddressMaxLength = 64;
    public const int UserAgentMaxLength = 300;
    public const int TokenHashLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid? MemberId { get; set; }
    /// <summary>The landing page's lead it came with (<see cref="LiveCodeLead"/>), when the page kept one.</summary>
    public Guid? LeadId { get; set; }
    public ConsentSource Source { get; set; }
    /// <summary>The page's path without its secret parts (<c>/c/spring-sale</c>, <c>/j/AbC123</c>, <c>/p</c>).</summary>
    public string Page { get; set; } = "";
    /// <summary>The first 12 hex digits of the notice text's SHA-256.</summary>
    public string NoticeVersion { get; set; } = "";
    public string NoticeText { get; set; } = "";
    public DateTime GivenAt { get; set; }
    public string? Address { get; set; }
    public string? UserAgent { get; set; }
    public DateTime? WithdrawnAt { get; set; }
    public ConsentWithdrawnVia? WithdrawnVia { get; set; }
    /// <summary>
    /// The SHA-256 (hex) of the token in the member's withdrawal link (<c>/w/{token}</c>); the token itself is shown once,
    /// on the page that took the consent, and never stored. Null once the consent is closed.
    /// </summary>
    public string? WithdrawTokenHash { get; set; }

    public static string VersionOf(string notice) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(notice)))[..12];
}

internal sealed class ConsentRecordConfiguration : IEntityTypeConfiguration<ConsentRecord>
{
    public void Configure(EntityTypeBuilder<ConsentRecord> b)
    {
        b.ToTable("ConsentRecords");
        b.HasKey(x => x.Id);
        b.Property(x => x.Page).HasMaxLength(ConsentRecord.PageMaxLength);
        b.Property(x => x.NoticeVersion).HasMaxLength(12);
        b.Property(x => x.NoticeText).HasMaxLength(ConsentRecord.NoticeMaxLength);
        b.Property(x => x.Address).HasMaxLength(ConsentRecord.AddressMaxLength);
        b.Property(x => x.UserAgent).HasMaxLength(ConsentRecord.UserAgentMaxLength);
        b.Property(x => x.WithdrawTokenHash).HasMaxLength(ConsentRecord.TokenHashLength);
        b.HasIndex(x => new { x.WorkspaceId, x.GivenAt });
        b.HasIndex(x => x.MemberId);
        b.HasIndex(x => x.LeadId);
        // The public page finds the consent by its hash alone, across workspaces; closed consents hold none.
        b.HasIndex(x => x.WithdrawTokenHash).IsUnique();
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<LiveCodeLead>().WithMany().HasForeignKey(x => x.LeadId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>What a page knows about the visitor when they tick the consent line.</summary>
public sealed record ConsentSeen(ConsentSource Source, string Page, string Notice, string? Address, string? UserAgent)
{
    public static ConsentSeen From(HttpContext http, ConsentSource source, string page, string notice)
    {
        ArgumentNullException.ThrowIfNull(http);
        var agent = http.Request.Headers.UserAgent.ToString();
        // A test host (or a socket the server cannot name) has no address: none is recorded rather than a made-up one.
        var address = Acquisition.ShortLinkEndpoints.ClientAddress(http);
        return new ConsentSeen(source, page, notice, address.Equals(System.Net.IPAddress.None) ? null : address.ToString(),
            string.IsNullOrEmpty(agent) ? null : Events.EventEffects.Clip(agent, ConsentRecord.UserAgentMaxLength));
    }
}

/// <summary>
/// Consents given and withdrawn. A withdrawal (the member through their withdrawal link, or staff on their word) closes
/// every open consent of the member and marks the member (<see cref="Member.ConsentWithdrawnAt"/>): from then on nothing
/// targets them — VIP invitations are not offered and queued ones are cancelled before they go out, friend adds of their
/// phone are skipped — while group messages to everyone go on. A consent given again (a new form, a new phone) lifts
/// the mark.
/// </summary>
/// <remarks>
/// Each consent has a withdrawal link (<c>/w/{token}</c>) that the page which took it shows the member: 32 random bytes,
/// base64url, kept only as their SHA-256 (<see cref="ConsentRecord.WithdrawTokenHash"/>). Showing a link again (the same
/// phone left twice, the profile form opened) makes a new token, and the one shown before stops working: the clear
/// token exists nowhere to show twice. A closed consent holds no hash, so a used link finds nothing.
/// </remarks>
public static class Consents
{
    public const string WithdrawnReason = "consent-withdrawn";

    /// <summary>Who the audit row and the security log name when the member withdrew through their link (no staff acted).</summary>
    public const string MemberActor = "member";

    private const int TokenBytes = 32;

    /// <summary>Adds the record to <paramref name="db"/> (saved by the caller, with what the page kept).</summary>
    public static ConsentRecord Add(AppDbContext db, Guid workspaceId, Guid? memberId, Guid? leadId, ConsentSeen seen, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(seen);
        var notice = Events.EventEffects.Clip(seen.Notice, ConsentRecord.NoticeMaxLength)!;
        var record = new ConsentRecord
        {
            WorkspaceId = workspaceId, MemberId = memberId, LeadId = leadId, Source = seen.Source, Page = Events.EventEffects.Clip(seen.Page, ConsentRecord.PageMaxLength)!,
            NoticeVersion = ConsentRecord.VersionOf(notice), NoticeText = notice, GivenAt = now, Address = Events.EventEffects.Clip(seen.Address, ConsentRecord.AddressMaxLength),
            UserAgent = seen.UserAgent,
        };
        db.Add(record);
        return record;
    }

    /// <summary>The page a withdrawal token opens (relative: the member is already on this server's pages).</summary>
    public static string LinkPath(string token) => "/w/" + token;

    /// <summary>The stored form of a withdrawal token.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(TokenBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Gives a record not yet saved its withdrawal token: the hash goes on the record, the token is returned to show once.</summary>
    public static string NewLink(ConsentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var token = NewToken();
        record.WithdrawTokenHash = Hash(token);
        return token;
    }

    /// <summary>A new token for a saved consent that is still open (the one shown before stops working); null when it is closed.</summary>
    public static async Task<string?> RenewLinkAsync(AppDbContext db, Guid workspaceId, Guid consentId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var token = NewToken();
        var hash = Hash(token);
        var set = await db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.WorkspaceId == workspaceId && c.Id == consentId && c.WithdrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawTokenHash, hash), ct);
        return set == 1 ? token : null;
    }

    /// <summary>A link for the member's latest open consent (the profile form shows it); null when none is open.</summary>
    public static async Task<string?> LatestLinkAsync(AppDbContext db, Guid workspaceId, Guid memberId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var latest = await db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.WorkspaceId == workspaceId && c.MemberId == memberId && c.WithdrawnAt == null)
            .OrderByDescending(c => c.GivenAt).ThenByDescending(c => c.Id).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        return latest is { } id ? await RenewLinkAsync(db, workspaceId, id, ct) : null;
    }

    /// <summary>The open consent a withdrawal token names, across workspaces (the page is public); null for an unknown or used-up token.</summary>
    public static async Task<ConsentRecord?> FindByLinkAsync(AppDbContext db, string? token, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (string.IsNullOrEmpty(token) || token.Length > 100)
            return null;
        var hash = Hash(token);
        return await db.Set<ConsentRecord>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.WithdrawTokenHash == hash && c.WithdrawnAt == null, ct);
    }

    /// <summary>A fresh consent lifts an earlier withdrawal (in the caller's transaction).</summary>
    public static Task<int> ReinstateAsync(AppDbContext db, Guid workspaceId, Guid memberId, CancellationToken ct) =>
        db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == workspaceId && m.Id == memberId && m.ConsentWithdrawnAt != null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ConsentWithdrawnAt, (DateTime?)null), ct);

    /// <summary>
    /// The member's own withdrawal through their link: for a member's consent, the same steps as staff's
    /// (<see cref="WithdrawAsync"/>); for a landing-page lead no member holds, its consent and those of the workspace's
    /// other unmatched leads with the same phone are closed and queued or planned friend adds of that phone skipped.
    /// Null when the token is unknown or used up (a second post, or two at once: the close is conditional).
    /// </summary>
    public static async Task<(ConsentRecord Consent, WithdrawalResult Result)?> WithdrawByLinkAsync(AppDbContext db, string? token, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var consent = await FindByLinkAsync(db, token, ct);
        if (consent is null)
            return null;
        using var acting = db.Current.ActAsSystemWhile(consent.WorkspaceId);
        var result = consent.MemberId is { } member
            ? await WithdrawAsync(db, consent.WorkspaceId, member, ConsentWithdrawnVia.MemberLink, now, ct, through: consent.Id)
            : await WithdrawLeadAsync(db, consent, now, ct);
        return result is null ? null : (consent, result);
    }

    /// <summary>
    /// Records the withdrawal and stops what targets the member, in one transaction. Returns how many consents were
    /// closed, queued targeted actions cancelled and friend adds skipped, or null when the member is not in the workspace
    /// or the consent <paramref name="through"/> names (the link used) was closed meanwhile.
    /// </summary>
    public static async Task<WithdrawalResult?> WithdrawAsync(AppDbContext db, Guid workspaceId, Guid memberId, ConsentWithdrawnVia via, DateTime now, CancellationToken ct,
        Guid? through = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var member = await db.Members.IgnoreQueryFilters().SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Id == memberId, ct);
        if (member is null)
            return null;
        var closed = 0;
        // The link's own consent first, conditionally: of two posts at once, one finds it open.
        if (through is { } id && (closed = await CloseAsync(db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.WorkspaceId == workspaceId && c.Id == id && c.MemberId == memberId),
                via, now, ct)) == 0)
            return null;
        closed += await CloseAsync(db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.WorkspaceId == workspaceId && c.MemberId == memberId), via, now, ct);
        member.ConsentWithdrawnAt ??= now;
        // VIP invitations not yet sent: the private message is withdrawn (the invitation row stays, so no one invites again).
        var key = $"vip-invite:{memberId:N}";
        var cancelled = await db.Set<OutboundAction>().IgnoreQueryFilters()
            .Where(a => a.WorkspaceId == workspaceId && a.IdempotencyKey == key && a.Status == ActionStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ActionStatus.Cancelled).SetProperty(a => a.ErrorReason, WithdrawnReason), ct);
        var skipped = await SkipFriendAddsAsync(db, workspaceId, memberId, member.Phone, now, ct);
        Audit(db, nameof(Member), memberId, via, closed, cancelled, skipped);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WithdrawalResult(closed, cancelled, skipped);
    }

    /// <summary>A landing-page lead's consent, no member holding it: closed with the phone's other unmatched leads' consents; its friend adds skipped.</summary>
    private static async Task<WithdrawalResult?> WithdrawLeadAsync(AppDbContext db, ConsentRecord consent, DateTime now, CancellationToken ct)
    {
        var ws = consent.WorkspaceId;
        const ConsentWithdrawnVia via = ConsentWithdrawnVia.MemberLink;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var closed = await CloseAsync(db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && c.Id == consent.Id), via, now, ct);
        if (closed == 0)
            return null;
        var phone = consent.LeadId is { } leadId
            ? await db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.WorkspaceId == ws && l.Id == leadId).Select(l => l.Phone).SingleOrDefaultAsync(ct)
            : null;
        var skipped = 0;
        if (phone is not null)
        {
            var leads = db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.WorkspaceId == ws && l.Phone == phone && l.MemberId == null).Select(l => (Guid?)l.Id);
            closed += await CloseAsync(db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.WorkspaceId == ws && c.MemberId == null && leads.Contains(c.LeadId)), via, now, ct);
            skipped = await SkipFriendAddsAsync(db, ws, null, phone, now, ct);
        }
        Audit(db, nameof(LiveCodeLead), consent.LeadId ?? consent.Id, via, closed, 0, skipped);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WithdrawalResult(closed, 0, skipped);
    }

    /// <summary>Closes the open consents among <paramref name="consents"/>; their links stop working (no hash is left).</summary>
    private static Task<int> CloseAsync(IQueryable<ConsentRecord> consents, ConsentWithdrawnVia via, DateTime now, CancellationToken ct) =>
        consents.Where(c => c.WithdrawnAt == null).ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawnAt, now).SetProperty(c => c.WithdrawnVia, via)
            .SetProperty(c => c.WithdrawTokenHash, (string?)null), ct);

    /// <summary>Queued or planned friend adds of the member or the phone: skipped, with the reason.</summary>
    private static Task<int> SkipFriendAddsAsync(AppDbContext db, Guid workspaceId, Guid? memberId, string? phone, DateTime now, CancellationToken ct) =>
        db.Set<FriendLead>().IgnoreQueryFilters()
            .Where(f => f.WorkspaceId == workspaceId && ((memberId != null && f.MemberId == memberId) || (phone != null && f.Phone == phone))
                && (f.Status == FriendLeadStatus.Queued || f.Status == FriendLeadStatus.Planned))
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.Status, FriendLeadStatus.Skipped).SetProperty(f => f.OutcomeAt, now)
                .SetProperty(f => f.OutcomeNote, WithdrawnReason).SetProperty(f => f.PlanDay, (DateOnly?)null).SetProperty(f => f.PlanSlot, (int?)null), ct);

    /// <summary>The audit row (a security event too): who withdrew — the member themself, or staff — and what it stopped.</summary>
    private static void Audit(AppDbContext db, string entityType, Guid entityId, ConsentWithdrawnVia via, int closed, int cancelled, int skipped) =>
        db.AddAuditNote(entityType, entityId.ToString(), SecurityEvents.ConsentWithdrawn, null, new Dictionary<string, object?>
        {
            ["Via"] = via.ToString(), ["Consents"] = closed, ["Cancelled"] = cancelled, ["FriendAddsSkipped"] = skipped,
        }, actorName: via == ConsentWithdrawnVia.MemberLink ? MemberActor : null);
}

/// <summary>What a withdrawal closed and stopped.</summary>
public sealed record WithdrawalResult(int ConsentsClosed, int ActionsCancelled, int FriendAddsSkipped);
