using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Members;
using Shequn.Features.Profiles;
using Shequn.Platform.Api;

namespace Shequn.Features.Acquisition;

/// <summary>
/// A landing page's answers written into the member's profile: the code's choice and need questions each name a field of
/// the workspace's template (<see cref="LiveCode.ChoiceField"/>, <see cref="LiveCode.NeedField"/>), and an answer goes
/// there through the template's checks and <see cref="ProfileValues.ApplyAsync"/>, as the member editor writes it.
/// <para>
/// A lead is tied to a member by its phone only. A join through the code names the code (<c>Membership.Channel</c>) but
/// not which landing-page visitor it was (the page knows an address hash, the platform a user id), so a join is never
/// guessed to be a visitor's. A lead is tied when it is left, if a member of the workspace has that phone; otherwise the
/// first time a member is saved with that phone (the member editor, where phones enter: joins bring none). Each lead is
/// claimed by one conditional update, so it feeds one member once. A value the member already has is never replaced;
/// the newest answer fills a field first.
/// </para>
/// </summary>
public static class LandingAnswers
{
    /// <summary>
    /// Whether a question may feed a field: not the needs (a set of fixed flags) nor the phone (asked with consent on its
    /// own); the choice question a text or choice field, the free need question a text field.
    /// </summary>
    public static bool MayFeed(TemplateField field, bool choiceQuestion)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Key is not (ProfileBuiltins.Needs or ProfileBuiltins.Phone)
            && (field.Kind == ProfileFieldKind.Text || (choiceQuestion && field.Kind == ProfileFieldKind.Choice));
    }

    /// <summary>
    /// Checks a code's field links against the template (errors on <c>choiceField</c> / <c>needField</c>) and returns
    /// them trimmed, null when not linked.
    /// </summary>
    public static (string? ChoiceField, string? NeedField) Check(ProfileTemplateDto template, string? choiceField, string? needField, string? needQuestion,
        IEnumerable<string?> choices, Validation v)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(v);
        var choice = Blank(choiceField);
        var need = Blank(needField);
        if (choice is not null)
        {
            if (template.Fields.FirstOrDefault(f => f.Key == choice) is not { } f || !MayFeed(f, choiceQuestion: true))
                v.Add("choiceField", "LiveCodeFieldUnknown", $"'choiceField' names no text or choice field of the profile template (got '{choice}').", choice);
            else if (f.Kind == ProfileFieldKind.Choice
                && choices.Select(Blank).OfType<string>().FirstOrDefault(c => !f.Options.Contains(c, StringComparer.Ordinal)) is { } stray)
                v.Add("choiceField", "LiveCodeFieldOption", $"The choice '{stray}' is not an option of the profile field '{choice}'.", stray);
        }
        if (need is not null)
        {
            if (template.Fields.FirstOrDefault(f => f.Key == need) is not { } f || !MayFeed(f, choiceQuestion: false))
                v.Add("needField", "LiveCodeNeedFieldUnknown", $"'needField' names no text field of the profile template (got '{need}').", need);
            else if (Blank(needQuestion) is null)
                v.Add("needField", "LiveCodeNeedFieldWithoutQuestion", "'needField' needs a 'needQuestion' to answer.");
        }
        return (choice, need);
    }

    /// <summary>
    /// Fills the member's empty fields from the leads' answers (newest lead first), each answer checked against the
    /// template as staff input is; one that no longer fits (the field removed, an option gone) is skipped. Acts in the
    /// member's workspace. Does not save. Returns the keys written.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FillAsync(AppDbContext db, Member member, IReadOnlyList<LiveCodeLead> leads, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(leads);
        var ws = member.WorkspaceId;
        var codeIds = leads.Where(l => l.Choice is not null || l.Need is not null).Select(l => l.LiveCodeId).Distinct().ToList();
        if (codeIds.Count == 0)
            return [];
        var links = await db.Set<LiveCode>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && codeIds.Contains(c.Id) && (c.ChoiceField != null || c.NeedField != null))
            .ToDictionaryAsync(c => c.Id, c => (c.ChoiceField, c.NeedField), ct);
        if (links.Count == 0)
            return [];
        var template = await ProfileTemplates.ReadAsync(db, ct);
        // What the member has: the profile columns, stored value rows and rows added in this unit of work.
        var has = (await db.Set<MemberFieldValue>().IgnoreQueryFilters().Where(r => r.WorkspaceId == ws && r.MemberId == member.Id).Select(r => r.Key).ToListAsync(ct))
            .Concat(db.Set<MemberFieldValue>().Local.Where(r => r.MemberId == member.Id).Select(r => r.Key))
            .ToHashSet(StringComparer.Ordinal);
        bool Empty(string key) => key switch
        {
            ProfileBuiltins.City => member.City is null,
            ProfileBuiltins.Industry => member.Industry is null,
            ProfileBuiltins.Organisations => member.Organisations is null,
            ProfileBuiltins.Channel => member.Channel is null,
            ProfileBuiltins.Needs or ProfileBuiltins.Phone => false,
            _ => !has.Contains(key),
        };
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var lead in leads.OrderByDescending(l => l.At))
        {
            if (!links.TryGetValue(lead.LiveCodeId, out var link))
                continue;
            foreach (var (key, answer) in new[] { (link.ChoiceField, lead.Choice), (link.NeedField, lead.Need) })
            {
                if (key is null || answer is null || values.ContainsKey(key) || !Empty(key))
                    continue;
                var v = new Validation();
                var fits = ProfileTemplates.Check(template, new Dictionary<string, string?> { [key] = answer }, v, "", requireAll: false);
                if (v.IsValid && fits.GetValueOrDefault(key) is { } value)
                    values[key] = value;
            }
        }
        if (values.Count > 0)
            await ProfileValues.ApplyAsync(db, member, values, ct);
        return [.. values.Keys];
    }

    /// <summary>
    /// After a member merge, in the merge's transaction: the leads the merge moved from the merged member (their phone
    /// was that member's) are <paramref name="member"/>'s now, so their answers fill what it lacks; then its own phone's
    /// untied leads are tied as in <see cref="MatchAsync"/>. Saves.
    /// </summary>
    /// <returns>The leads newly tied by the member's own phone.</returns>
    public static async Task<int> MergedAsync(AppDbContext db, Member member, IReadOnlyList<Guid> movedLeads, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(movedLeads);
        if (movedLeads.Count > 0)
        {
            var ws = member.WorkspaceId;
            var leads = await db.Set<LiveCodeLead>().IgnoreQueryFilters().AsNoTracking()
                .Where(l => l.WorkspaceId == ws && movedLeads.Contains(l.Id) && l.MemberId == member.Id).ToListAsync(ct);
            var written = await FillAsync(db, member, leads, ct);
            if (written.Count > 0)
            {
                db.AddAuditNote(nameof(Member), member.Id, "landing-answers", null, new Dictionary<string, object?> { ["Fields"] = string.Join(",", written) });
                await db.SaveChangesAsync(ct);
            }
        }
        return await MatchAsync(db, member, ct);
    }

    /// <summary>
    /// Ties the workspace's untied leads with the member's phone to the member and fills the member's profile from them,
    /// in one transaction (the claim is a conditional update: two nodes or two saves tie a lead once) — the caller's when
    /// one is open (a member merge), else its own. Saves.
    /// </summary>
    /// <returns>The leads tied.</returns>
    public static async Task<int> MatchAsync(AppDbContext db, Member member, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(member);
        if (CampaignLead.NormalizePhone(member.Phone) is not { } phone)
            return 0;
        var ws = member.WorkspaceId;
        var ids = await db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.WorkspaceId == ws && l.Phone == phone && l.MemberId == null)
            .Select(l => l.Id).ToListAsync(ct);
        if (ids.Count == 0)
            return 0;
        // Inside a caller's transaction (a merge) the claim and the fill commit or roll back with it.
        await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
        var claimed = await db.Set<LiveCodeLead>().IgnoreQueryFilters().Where(l => l.WorkspaceId == ws && ids.Contains(l.Id) && l.MemberId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.MemberId, member.Id), ct);
        if (claimed == 0)
            return 0;
        var leads = await db.Set<LiveCodeLead>().IgnoreQueryFilters().AsNoTracking().Where(l => l.WorkspaceId == ws && ids.Contains(l.Id) && l.MemberId == member.Id)
            .ToListAsync(ct);
        var written = await FillAsync(db, member, leads, ct);
        if (written.Count > 0)
        {
            db.AddAuditNote(nameof(Member), member.Id, "landing-answers", null, new Dictionary<string, object?> { ["Fields"] = string.Join(",", written) });
            await db.SaveChangesAsync(ct);
        }
        if (tx is not null)
            await tx.CommitAsync(ct);
        return claimed;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
