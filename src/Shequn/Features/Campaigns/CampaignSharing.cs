using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A phone number a member left on a campaign's page, with the consent line they saw and when they agreed. One per member
/// and campaign: a second submit changes nothing and is answered with the first.
/// </summary>
public sealed class CampaignLead : IWorkspaceOwned
{
    public const int PhoneMaxLength = 16;
    public const int ConsentMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    /// <summary>Digits only: 11 for mainland China (starting with 1), otherwise <c>+</c> and the country code.</summary>
    public string Phone { get; set; } = "";
    /// <summary>The consent line exactly as the page showed it, in the page's language.</summary>
    public string ConsentText { get; set; } = "";
    public DateTime ConsentedAt { get; set; }
    public string RequestId { get; set; } = "";

    /// <summary>
    /// The phone as stored, or null when it is not one: separators dropped; mainland numbers (with or without +86) are
    /// 11 digits starting with 1; others need <c>+</c>, a country code and 8 to 15 digits in all.
    /// </summary>
    public static string? NormalizePhone(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw) || raw.Length > 32)
            return null;
        var digits = new StringBuilder(16);
        var plus = false;
        foreach (var ch in raw.Trim())
        {
            if (char.IsAsciiDigit(ch))
                digits.Append(ch);
            else if (ch == '+' && digits.Length == 0 && !plus)
                plus = true;
            else if (ch is not (' ' or '-' or '(' or ')' or '.'))
                return null;
        }
        var d = digits.ToString();
        if (plus && d.StartsWith("86", StringComparison.Ordinal))
        {
            plus = false;
            d = d[2..];
        }
        if (!plus)
            return d.Length == 11 && d[0] == '1' ? d : null;
        return d.Length is >= 8 and <= 15 && d[0] != '0' ? "+" + d : null;
    }

    /// <summary>What an operator sees: the first three and the last four, the middle hidden (138****8000).</summary>
    public static string Masked(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        return phone.Length <= 7 ? new string('*', phone.Length) : phone[..3] + new string('*', phone.Length - 7) + phone[^4..];
    }
}

internal sealed class CampaignLeadConfiguration : IEntityTypeConfiguration<CampaignLead>
{
    public void Configure(EntityTypeBuilder<CampaignLead> b)
    {
        b.ToTable("CampaignLeads");
        b.HasKey(x => x.Id);
        b.Property(x => x.Phone).HasMaxLength(CampaignLead.PhoneMaxLength);
        b.Property(x => x.ConsentText).HasMaxLength(CampaignLead.ConsentMaxLength);
        b.Property(x => x.RequestId).HasMaxLength(CampaignClaim.RequestIdMaxLength);
        b.HasIndex(x => new { x.CampaignId, x.MemberId }).IsUnique();
        b.HasIndex(x => x.MemberId);
        b.HasOne<Campaign>().WithMany().HasForeignKey(x => x.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(x => x.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Who invited whom on the public page: a visitor who opened a share link (<c>?i=</c>) and then acts with their own
/// token has their participant row say who brought them — only when it says nobody yet and the inviter is someone else.
/// A conditional update, so two actions at once (or an earlier inviter) cannot overwrite it.
/// </summary>
public static class CampaignInvites
{
    /// <summary>Records the inviter an invite token names, after the member's action succeeded; a bad or absent token does nothing.</summary>
    /// <summary>
    /// <see cref="RecordAsync(AppDbContext, CampaignLinks, Guid, Guid, string?, CancellationToken)"/> for a public page's
    /// action that succeeded: the request's context is made only when the page sent an invite token.
    /// </summary>
    public static async Task RecordFromPageAsync(HttpContext http, CampaignLinks links, Guid campaignId, Guid memberId, string? inviteToken, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (!string.IsNullOrEmpty(inviteToken))
            await RecordAsync(http.RequestServices.GetRequiredService<AppDbContext>(), links, campaignId, memberId, inviteToken, ct);
    }

    public static async Task<bool> RecordAsync(AppDbContext db, CampaignLinks links, Guid campaignId, Guid memberId, string? inviteToken, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(links);
        if (string.IsNullOrEmpty(inviteToken) || await links.VerifyInviteAsync(campaignId, inviteToken, ct) is not { } inviter || inviter == memberId)
            return false;
        // The campaign id names one workspace: the public page has no staff workspace to filter by.
        return await db.Set<CampaignParticipant>().IgnoreQueryFilters()
            .Where(p => p.CampaignId == campaignId && p.MemberId == memberId && p.MemberId != inviter && p.InvitedByMemberId == null)
            .ExecuteUpdateAsync(u => u.SetProperty(p => p.InvitedByMemberId, inviter), ct) > 0;
    }
}

/// <summary>A lead as staff read it (owners and sub-owners only: it is personal data).</summary>
/// <param name="WithdrawnAt">When the member withdrew their consent: the phone stays listed, but nothing targets them.</param>
public sealed record CampaignLeadDto(Guid Id, Guid MemberId, string? MemberName, string Phone, string ConsentText, DateTime ConsentedAt, DateTime? WithdrawnAt = null);
