using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Profiles;

/// <summary>Section <c>Profiles</c>.</summary>
public sealed class ProfilesOptions
{
    /// <summary>How long a form link works (7 days).</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>This server's address as members reach it; form links are <c>{PublicBaseUrl}/p/{token}</c>.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";
}

public sealed record ProfileLinkDto(Guid Id, string Url, DateTime ExpiresAt);

public enum LinkState
{
    Open,
    /// <summary>No such link (or a token that was never issued): shown like an expired one.</summary>
    Unknown,
    Expired,
    Used,
    /// <summary>Just submitted (this request used the link).</summary>
    Submitted,
}

/// <summary>
/// Form links (<c>/p/{token}</c>): 32 random bytes, base64url, shown once; only their SHA-256 is stored. A link works
/// once, before it expires; submitting needs the consent line ticked, and records when.
/// </summary>
public sealed class ProfileLinks(IOptions<ProfilesOptions> options, TimeProvider time)
{
    public ProfilesOptions Options => options.Value;

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    public string Url(string token) => $"{Options.PublicBaseUrl.TrimEnd('/')}/p/{token}";

    /// <summary>Adds a link for the member to the context (does not save) and returns it with its token.</summary>
    public (ProfileLink Link, string Token) Add(AppDbContext db, Guid workspaceId, Guid memberId, Guid? staffId, DateTime? now = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var at = now ?? time.GetUtcNow().UtcDateTime;
        var link = new ProfileLink
        {
            WorkspaceId = workspaceId,
            MemberId = memberId,
            TokenHash = Hash(token),
            CreatedAt = at,
            ExpiresAt = at + Options.LinkLifetime,
            CreatedByStaffId = staffId,
        };
        db.Set<ProfileLink>().Add(link);
        return (link, token);
    }

    /// <summary>Staff make a link for a member they may edit.</summary>
    public async Task<(EditOutcome Outcome, ProfileLinkDto? Link)> CreateAsync(AppDbContext db, Guid memberId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!await db.VisibleMembers(me).AnyAsync(m => m.Id == memberId, ct))
            return (EditOutcome.NotFound, null);
        if (me is null || !me.CanEditMembers)
            return (EditOutcome.Forbidden, null);
        var (link, token) = Add(db, db.CurrentWorkspaceId, memberId, me.Id);
        db.AddAuditNote(nameof(Member), memberId, "profile-link", null, new Dictionary<string, object?> { ["ExpiresAt"] = link.ExpiresAt });
        await db.SaveChangesAsync(ct);
        return (EditOutcome.Saved, new ProfileLinkDto(link.Id, Url(token), link.ExpiresAt));
    }

    /// <summary>The link behind a token, across workspaces (the form is public), and whether it may still be used.</summary>
    public async Task<(LinkState State, ProfileLink? Link)> FindAsync(AppDbContext db, string? token, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (string.IsNullOrEmpty(token) || token.Length > 100)
            return (LinkState.Unknown, null);
        var hash = Hash(token);
        // No workspace acts yet (the token says which one): the hash is unique across workspaces.
        var link = await db.Set<ProfileLink>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(l => l.TokenHash == hash, ct);
        if (link is null)
            return (LinkState.Unknown, null);
        if (link.UsedAt is not null)
            return (LinkState.Used, link);
        return link.ExpiresAt <= time.GetUtcNow().UtcDateTime ? (LinkState.Expired, link) : (LinkState.Open, link);
    }

    /// <summary>
    /// The member's submission: values checked against the template (required fields filled), consent required. The link
    /// is claimed with a conditional update in the same transaction, so a second submit (or two at once) finds it used.
    /// Once submitted, the consent's withdrawal link (<c>/w/{token}</c>) comes back to show the member once.
    /// </summary>
    public async Task<(LinkState State, Validation Validation, string? WithdrawUrl)> SubmitAsync(
        AppDbContext db, string token, IReadOnlyDictionary<string, string?> values, IReadOnlyList<string> needs, bool consent, CancellationToken ct,
        ConsentSeen? seen = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(needs);
        var validation = new Validation();
        var (state, link) = await FindAsync(db, token, ct);
        if (state != LinkState.Open)
            return (state, validation, null);
        using var acting = db.Current.ActAsSystemWhile(link!.WorkspaceId);
        var template = await ProfileTemplates.ReadAsync(db, ct);
        var known = template.Fields.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var checkedValues = ProfileTemplates.Check(template, values.Where(v => known.Contains(v.Key) && v.Key != ProfileBuiltins.Needs).ToDictionary(), validation, "", requireAll: true);
        var needField = template.Fields.FirstOrDefault(f => f.Key == ProfileBuiltins.Needs);
        var needValues = MemberNeeds.None;
        foreach (var n in needs)
        {
            if (Enum.TryParse<MemberNeeds>(n, ignoreCase: true, out var parsed) && parsed != MemberNeeds.None && Enum.IsDefined(parsed))
                needValues |= parsed;
            else
                validation.Add(ProfileBuiltins.Needs, "UnknownChoice", $"'needs' has an unknown value '{n}'.", n);
        }
        if (needField is { Required: true } && needValues == MemberNeeds.None)
            validation.Add(ProfileBuiltins.Needs, "Required", "'needs' is required.");
        if (!consent)
            validation.Add("consent", "ConsentRequired", "The consent line must be ticked to submit.");
        if (!validation.IsValid)
            return (LinkState.Open, validation, null);

        var now = time.GetUtcNow().UtcDateTime;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Set<ProfileLink>().Where(l => l.Id == link.Id && l.WorkspaceId == link.WorkspaceId && l.UsedAt == null && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.UsedAt, now).SetProperty(l => l.ConsentAt, now), ct);
        if (claimed == 0)
            return (LinkState.Used, validation, null);
        var member = await db.Members.SingleOrDefaultAsync(m => m.Id == link.MemberId, ct);
        if (member is null)
            return (LinkState.Unknown, validation, null);
        await ProfileValues.ApplyAsync(db, member, checkedValues, ct);
        if (needField is not null)
            member.Needs = needValues;
        // The consent it was given under, kept apart (PIPL); a fresh consent lifts an earlier withdrawal.
        var withdraw = Consents.NewLink(Consents.Add(db, link.WorkspaceId, member.Id, null, seen ?? new ConsentSeen(ConsentSource.ProfileForm, "/p", "", null, null), now));
        member.ConsentWithdrawnAt = null;
        db.AddAuditNote(nameof(Member), member.Id, "profile-form", null, new Dictionary<string, object?> { ["ConsentAt"] = now, ["Fields"] = checkedValues.Count });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (LinkState.Submitted, validation, Consents.LinkPath(withdraw));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
