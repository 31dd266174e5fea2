using Microsoft.EntityFrameworkCore;
using nietras.SeparatedValues;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Profiles;
using Shequn.Platform.Api;

namespace Shequn.Features.Acquisition;

public sealed record FriendLeadDto(
    Guid Id, Guid? MemberId, string Name, string? Phone, bool PhoneMasked, FriendLeadSource Source, string? SourceRef, string? Note,
    FriendLeadStatus Status, DateTime QueuedAt, int CarriedOver, Guid? AccountId, string? AccountName, DateOnly? PlanDay, DateTime? PlannedAt,
    DateTime? OutcomeAt, string? OutcomeNote, DateTime CreatedAt);

/// <param name="Source">order, phoneInvitation, campaignLead, manual (default) or other.</param>
public sealed record FriendLeadInput(string? Name, string? Phone, string? Source, string? SourceRef, string? Note, Guid? MemberId);

public sealed record FriendLeadFilter(FriendLeadStatus? Status = null, FriendLeadSource? Source = null, string? Q = null);

/// <summary>The queue at a glance: how many wait, by where they came from, and how many are planned.</summary>
public sealed record FriendQueueCounts(int Queued, int Planned, IReadOnlyDictionary<FriendLeadSource, int> QueuedBySource);

/// <param name="Skipped">Rows (campaign leads) left out because their phone or member is already in the queue.</param>
public sealed record FriendImportResult(int Imported, int Skipped);

/// <summary>
/// The queue of people to add: one at a time, a CSV file (name, phone, source, note; all rows or none) or a campaign's
/// phone leads. A phone (normalised) or a member already queued, planned or added is refused as a duplicate, naming it;
/// the unique indexes keep two imports at once from both taking it.
/// </summary>
public sealed class FriendLeads(AppDbContext db)
{
    public const int MaxCsvRows = 5000;
    public static readonly string[] CsvColumns = ["name", "phone", "source", "note"];

    private static bool SeesPhones(Platform.Auth.StaffProfile me) => ProfileValues.MayReveal(me);

    public async Task<Page<FriendLeadDto>?> ListAsync(FriendLeadFilter filter, int? page, int? pageSize, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!FriendAccounts.MayUse(me))
            return null;
        var leads = db.Set<FriendLead>().AsNoTracking();
        if (filter.Status is { } status)
            leads = leads.Where(l => l.Status == status);
        if (filter.Source is { } source)
            leads = leads.Where(l => l.Source == source);
        if (!string.IsNullOrWhiteSpace(filter.Q))
        {
            // Phone digits are searched only by those who may see phones (others could read hidden digits by probing).
            var q = filter.Q.Trim();
            leads = SeesPhones(me!) ? leads.Where(l => l.Name.Contains(q) || (l.Phone != null && l.Phone.Contains(q))) : leads.Where(l => l.Name.Contains(q));
        }
        var rows = await leads.OrderBy(l => l.Status).ThenBy(l => l.QueuedAt).ThenBy(l => l.Id).ToPageAsync(page, pageSize, ct);
        var ids = rows.Items.Where(l => l.AccountId != null).Select(l => l.AccountId!.Value).Distinct().ToList();
        var accounts = await db.Set<FriendAccount>().AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        var plain = SeesPhones(me!);
        return new Page<FriendLeadDto>([.. rows.Items.Select(l => Dto(l, plain, l.AccountId is { } a ? accounts.GetValueOrDefault(a) : null))],
            rows.Total, rows.PageNumber, rows.PageSize);
    }

    public async Task<FriendQueueCounts?> CountsAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!FriendAccounts.MayUse(me))
            return null;
        var bySource = await db.Set<FriendLead>().Where(l => l.Status == FriendLeadStatus.Queued).GroupBy(l => l.Source)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var planned = await db.Set<FriendLead>().CountAsync(l => l.Status == FriendLeadStatus.Planned, ct);
        return new FriendQueueCounts(bySource.Values.Sum(), planned, bySource);
    }

    public async Task<FriendEditResult<FriendLeadDto>> AddAsync(FriendLeadInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!FriendAccounts.MayUse(me))
            return new(FriendEditStatus.Forbidden, validation);
        var lead = Check(validation, "", input);
        if (input.MemberId is { } member && !await db.Members.AnyAsync(m => m.Id == member, ct))
            validation.Add("memberId", "FriendUnknownMember", $"'memberId' {member} is not a member of this workspace.", member);
        if (!validation.IsValid || lead is null)
            return new(FriendEditStatus.Invalid, validation);
        if (await DuplicateAsync(lead, ct) is { } duplicate)
            return new(FriendEditStatus.Conflict, validation, Conflict: duplicate);
        lead.CreatedById = me!.Id == Guid.Empty ? null : me.Id;
        db.Add(lead);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same phone or member added at the same moment by someone else.
            db.ChangeTracker.Clear();
            return new(FriendEditStatus.Conflict, validation, Conflict: await DuplicateAsync(lead, ct) ?? Duplicate(lead));
        }
        return new(FriendEditStatus.Saved, validation, Dto(lead, true, null));
    }

    /// <summary>Imports a CSV (header row with name and phone; source and note optional): every row or, on any bad row, none.</summary>
    public async Task<FriendEditResult<FriendImportResult>> ImportCsvAsync(string? csv, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!FriendAccounts.MayUse(me))
            return new(FriendEditStatus.Forbidden, validation);
        if (string.IsNullOrWhiteSpace(csv))
            return new(FriendEditStatus.Invalid, validation.Add("csv", "Required", "'csv' is required: a header row (name, phone, source, note) and one row per person."));

        var leads = new List<(int Line, FriendLead Lead)>();
        using (var reader = Sep.Reader(o => o with { Unescape = true, Trim = SepTrim.All, DisableColCountCheck = true }).FromText(csv))
        {
            var names = reader.Header.ColNames.Select(n => n.Trim().ToLowerInvariant()).ToList();
            foreach (var unknown in names.Where(n => !CsvColumns.Contains(n)))
                Line(validation, 1, new Reason("FriendAdds.Csv.UnknownColumn", $"unknown column \"{unknown}\" (known: {string.Join(", ", CsvColumns)})", unknown, string.Join(", ", CsvColumns)));
            foreach (var required in new[] { "name", "phone" }.Where(c => !names.Contains(c)))
                Line(validation, 1, new Reason("FriendAdds.Csv.MissingColumn", $"the header has no \"{required}\" column", required));
            if (!validation.IsValid)
                return new(FriendEditStatus.Invalid, validation);
            string? Col(SepReader.Row row, string name) => names.IndexOf(name) is var i and >= 0 && i < row.ColCount ? row[i].ToString() : null;
            foreach (var row in reader)
            {
                if (leads.Count >= MaxCsvRows)
                {
                    Line(validation, row.LineNumberFrom, new Reason("FriendAdds.Csv.TooMany", $"at most {MaxCsvRows} rows are imported at once", MaxCsvRows));
                    break;
                }
                var rowCheck = new Validation();
                var input = new FriendLeadInput(Col(row, "name"), Col(row, "phone"), Col(row, "source"), null, Col(row, "note"), null);
                if (string.IsNullOrWhiteSpace(input.Name) && string.IsNullOrWhiteSpace(input.Phone) && string.IsNullOrWhiteSpace(input.Source) && string.IsNullOrWhiteSpace(input.Note))
                    continue; // a blank line
                var lead = Check(rowCheck, "", input);
                if (lead is null || !rowCheck.IsValid)
                {
                    foreach (var message in rowCheck.Errors.SelectMany(e => e.Value))
                        Line(validation, row.LineNumberFrom, new Reason("FriendAdds.Csv.Row", message, message));
                    continue;
                }
                if (leads.FirstOrDefault(l => l.Lead.Phone == lead.Phone) is { Lead: not null } twin)
                    Line(validation, row.LineNumberFrom, new Reason("FriendAdds.Csv.SameAsLine", $"phone {lead.Phone} is already on line {twin.Line}", lead.Phone!, twin.Line));
                else
                    leads.Add((row.LineNumberFrom, lead));
            }
        }
        var phones = leads.Select(l => l.Lead.Phone!).ToList();
        var held = await db.Set<FriendLead>().AsNoTracking().Where(l => l.Phone != null && phones.Contains(l.Phone) && FriendLead.Holding.Contains(l.Status))
            .Select(l => new { l.Phone, l.Name, l.Status }).ToListAsync(ct);
        foreach (var (line, lead) in leads)
        {
            if (held.FirstOrDefault(h => h.Phone == lead.Phone) is { } h)
                Line(validation, line, Duplicate(lead.Phone!, h.Name, h.Status));
        }
        if (!validation.IsValid)
            return new(FriendEditStatus.Invalid, validation);
        foreach (var (_, lead) in leads)
            lead.CreatedById = me!.Id == Guid.Empty ? null : me.Id;
        SpreadQueuedAt([.. leads.Select(l => l.Lead)]);
        db.AddRange(leads.Select(l => l.Lead));
        try
        {
            await db.SaveChangesAsync(ct); // one transaction: all rows or none
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return new(FriendEditStatus.Conflict, validation, Conflict: new Reason("FriendAdds.Csv.Raced",
                "Some of these phones were added by someone else meanwhile; nothing was imported. Import again to see which."));
        }
        return new(FriendEditStatus.Saved, validation, new FriendImportResult(leads.Count, 0));
    }

    /// <summary>Queues the phones members left on a campaign's page (owners and sub-owners, who may read them); phones or members already queued are skipped.</summary>
    public async Task<FriendEditResult<FriendImportResult>> FromCampaignAsync(Guid campaignId, CancellationToken ct = default)
    {
        var validation = new Validation();
        var (campaign, me) = await CampaignDesk.VisibleAsync(db, campaignId, null, ct);
        if (campaign is null)
            return new(FriendEditStatus.NotFound, validation);
        if (!CampaignSharingEndpoints.MayReadLeads(me))
            return new(FriendEditStatus.Forbidden, validation);
        // A member who withdrew their consent is not added (Consents): their phone stays on the campaign's list, marked.
        var withdrawn = db.Members.Where(m => m.ConsentWithdrawnAt != null).Select(m => m.Id);
        var rows = await db.Set<CampaignLead>().AsNoTracking().Where(l => l.CampaignId == campaignId && !withdrawn.Contains(l.MemberId))
            .OrderBy(l => l.ConsentedAt).ToListAsync(ct);
        var memberIds = rows.Select(r => r.MemberId).Distinct().ToList();
        var names = await db.Members.AsNoTracking().Where(m => memberIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        var phones = rows.Select(r => r.Phone).ToList();
        var held = await db.Set<FriendLead>().AsNoTracking().Where(l => FriendLead.Holding.Contains(l.Status)
                && ((l.Phone != null && phones.Contains(l.Phone)) || (l.MemberId != null && memberIds.Contains(l.MemberId.Value))))
            .Select(l => new { l.Phone, l.MemberId }).ToListAsync(ct);
        var seenPhones = held.Where(h => h.Phone != null).Select(h => h.Phone!).ToHashSet();
        var seenMembers = held.Where(h => h.MemberId != null).Select(h => h.MemberId!.Value).ToHashSet();
        var made = new List<FriendLead>();
        foreach (var row in rows)
        {
            if (!seenPhones.Add(row.Phone) || !seenMembers.Add(row.MemberId))
                continue;
            var name = names.GetValueOrDefault(row.MemberId) is { Length: > 0 } n ? n : CampaignLead.Masked(row.Phone);
            made.Add(new FriendLead
            {
                WorkspaceId = db.CurrentWorkspaceId, MemberId = row.MemberId, Name = name.Length > FriendLead.NameMaxLength ? name[..FriendLead.NameMaxLength] : name,
                Phone = row.Phone, Source = FriendLeadSource.CampaignLead, SourceRef = Clip(campaign.Name, FriendLead.SourceRefMaxLength),
                CreatedById = me!.Id == Guid.Empty ? null : me.Id,
            });
        }
        SpreadQueuedAt(made);
        db.AddRange(made);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return new(FriendEditStatus.Conflict, validation, Conflict: new Reason("FriendAdds.Csv.Raced",
                "Some of these phones were added by someone else meanwhile; nothing was imported. Import again to see which."));
        }
        return new(FriendEditStatus.Saved, validation, new FriendImportResult(made.Count, rows.Count - made.Count));
    }

    /// <summary>The lead the input describes, or null with field errors (names prefixed by <paramref name="prefix"/>).</summary>
    private FriendLead? Check(Validation validation, string prefix, FriendLeadInput input)
    {
        var name = input.Name?.Trim();
        validation.Required(prefix + "name", name, FriendLead.NameMaxLength);
        string? phone = null;
        if (string.IsNullOrWhiteSpace(input.Phone))
        {
            if (input.MemberId is null)
                validation.Add(prefix + "phone", "Required", $"'{prefix}phone' is required (or a memberId).");
        }
        else if ((phone = CampaignLead.NormalizePhone(input.Phone)) is null)
            validation.Add(prefix + "phone", "FriendBadPhone",
                $"'{prefix}phone' \"{input.Phone}\" is not a phone number: 11 digits starting with 1 for mainland China, otherwise + and the country code.", input.Phone);
        var source = string.IsNullOrWhiteSpace(input.Source) ? FriendLeadSource.Manual : validation.ParseEnum<FriendLeadSource>(prefix + "source", input.Source);
        var sourceRef = string.IsNullOrWhiteSpace(input.SourceRef) ? null : input.SourceRef.Trim();
        validation.MaxLength(prefix + "sourceRef", sourceRef, FriendLead.SourceRefMaxLength);
        var note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        validation.MaxLength(prefix + "note", note, FriendLead.NoteMaxLength);
        if (!validation.IsValid || source is null)
            return null;
        return new FriendLead
        {
            WorkspaceId = db.CurrentWorkspaceId, MemberId = input.MemberId, Name = name!, Phone = phone, Source = source.Value, SourceRef = sourceRef, Note = note,
        };
    }

    private async Task<Reason?> DuplicateAsync(FriendLead lead, CancellationToken ct)
    {
        var held = await db.Set<FriendLead>().AsNoTracking().Where(l => FriendLead.Holding.Contains(l.Status)
                && ((lead.Phone != null && l.Phone == lead.Phone) || (lead.MemberId != null && l.MemberId == lead.MemberId)))
            .Select(l => new { l.Phone, l.Name, l.Status }).FirstOrDefaultAsync(ct);
        return held is null ? null : Duplicate(lead.Phone ?? held.Phone ?? lead.Name, held.Name, held.Status);
    }

    private static Reason Duplicate(FriendLead lead) => Duplicate(lead.Phone ?? lead.Name, lead.Name, FriendLeadStatus.Queued);

    private static Reason Duplicate(string what, string name, FriendLeadStatus status) =>
        new("FriendAdds.Duplicate", $"{what} is already in the queue as {name} ({status.ToString().ToLowerInvariant()}).", what, name,
            new Reason($"FriendAdds.Status.{status}", status.ToString()));

    private static void Line(Validation validation, int line, Reason why) =>
        validation.Add("csv", "FriendCsvLine", $"line {line}: {why.English}", line, why);

    // Rows made together keep their order in the queue (oldest first) however fast the clock ticks.
    private static void SpreadQueuedAt(List<FriendLead> leads)
    {
        var at = DateTime.UtcNow;
        for (var i = 0; i < leads.Count; i++)
            leads[i].QueuedAt = leads[i].CreatedAt = at.AddTicks(i * 10);
    }

    private static string? Clip(string? text, int max) => text is null ? null : text.Length > max ? text[..max] : text;

    private static FriendLeadDto Dto(FriendLead l, bool plain, string? accountName) => new(
        l.Id, l.MemberId, l.Name, plain ? l.Phone : ProfileValues.Mask(l.Phone), !plain && l.Phone is not null, l.Source, l.SourceRef, l.Note, l.Status,
        l.QueuedAt, l.CarriedOver, l.AccountId, accountName, l.PlanDay, l.PlannedAt, l.OutcomeAt, l.OutcomeNote, l.CreatedAt);
}
