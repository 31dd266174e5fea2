using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Outbox;

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

/// <summary>Who recorded a withdrawal: the member on a public page, or staff on the member's word (a call, a message).</summary>
public enum ConsentWithdrawnVia
{
    Member = 0,
    Staff = 1,
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
        b.HasIndex(x => new { x.WorkspaceId, x.GivenAt });
        b.HasIndex(x => x.MemberId);
        b.HasIndex(x => x.LeadId);
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
/// Consents given and withdrawn. A withdrawal (the member on their profile page, or staff on their word) closes every
/// open consent of the member and marks the member (<see cref="Member.ConsentWithdrawnAt"/>): from then on nothing
/// targets them — VIP invitations are not offered and queued ones are cancelled before they go out, friend adds of their
/// phone are skipped — while group messages to everyone go on. A consent given again (a new form, a new phone) lifts
/// the mark.
/// </summary>
public static class Consents
{
    public const string WithdrawnReason = "consent-withdrawn";

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

    /// <summary>A fresh consent lifts an earlier withdrawal (in the caller's transaction).</summary>
    public static Task<int> ReinstateAsync(AppDbContext db, Guid workspaceId, Guid memberId, CancellationToken ct) =>
        db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == workspaceId && m.Id == memberId && m.ConsentWithdrawnAt != null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.ConsentWithdrawnAt, (DateTime?)null), ct);

    /// <summary>
    /// Records the withdrawal and stops what targets the member, in one transaction. Returns how many queued targeted
    /// actions were cancelled and friend adds skipped, or null when the member is not in the workspace.
    /// </summary>
    public static async Task<WithdrawalResult?> WithdrawAsync(AppDbContext db, Guid workspaceId, Guid memberId, ConsentWithdrawnVia via, DateTime now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var member = await db.Members.IgnoreQueryFilters().SingleOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.Id == memberId, ct);
        if (member is null)
            return null;
        var closed = await db.Set<ConsentRecord>().IgnoreQueryFilters()
            .Where(c => c.WorkspaceId == workspaceId && c.MemberId == memberId && c.WithdrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawnAt, now).SetProperty(c => c.WithdrawnVia, via), ct);
        member.ConsentWithdrawnAt ??= now;
        // VIP invitations not yet sent: the private message is withdrawn (the invitation row stays, so no one invites again).
        var key = $"vip-invite:{memberId:N}";
        var cancelled = await db.Set<OutboundAction>().IgnoreQueryFilters()
            .Where(a => a.WorkspaceId == workspaceId && a.IdempotencyKey == key && a.Status == ActionStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, ActionStatus.Cancelled).SetProperty(a => a.ErrorReason, WithdrawnReason), ct);
        var phone = member.Phone;
        var skipped = await db.Set<FriendLead>().IgnoreQueryFilters()
            .Where(f => f.WorkspaceId == workspaceId && (f.MemberId == memberId || (phone != null && f.Phone == phone))
                && (f.Status == FriendLeadStatus.Queued || f.Status == FriendLeadStatus.Planned))
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.Status, FriendLeadStatus.Skipped).SetProperty(f => f.OutcomeAt, now)
                .SetProperty(f => f.OutcomeNote, WithdrawnReason).SetProperty(f => f.PlanDay, (DateOnly?)null).SetProperty(f => f.PlanSlot, (int?)null), ct);
        db.AddAuditNote(nameof(Member), memberId, "consent-withdrawn", null, new Dictionary<string, object?>
        {
            ["Via"] = via.ToString(), ["Consents"] = closed, ["Cancelled"] = cancelled, ["FriendAddsSkipped"] = skipped,
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new WithdrawalResult(closed, cancelled, skipped);
    }
}

/// <summary>What a withdrawal closed and stopped.</summary>
public sealed record WithdrawalResult(int ConsentsClosed, int ActionsCancelled, int FriendAddsSkipped);
