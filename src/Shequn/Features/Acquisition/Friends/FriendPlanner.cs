using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Profiles;
using Shequn.Features.Scripts;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Acquisition;

/// <summary>What staff record after trying to add someone.</summary>
public enum FriendOutcome
{
    Added = 0,
    Refused = 1,
    NoAnswer = 2,
    Skipped = 3,
}

/// <param name="Planned">Leads this call put on the day.</param>
/// <param name="Released">Leads of earlier days that had no outcome and went back to the queue.</param>
/// <param name="Queued">Leads still waiting after the plan.</param>
public sealed record FriendPlanResult(DateOnly Day, int Planned, int Released, int Queued);

public sealed record FriendPlanItemDto(
    Guid LeadId, DateTime PlannedAt, string Name, string? Phone, bool PhoneMasked, FriendLeadSource Source, string? SourceRef, string? Note,
    string? Greeting, FriendLeadStatus Status, DateTime? OutcomeAt, string? OutcomeByName, string? OutcomeNote, int CarriedOver);

/// <param name="Done">Adds with an outcome on the day; with <paramref name="Open"/> they never exceed the limit.</param>
public sealed record FriendAccountDayDto(
    Guid AccountId, string Name, Guid StaffUserId, string? StaffName, int DailyLimit, int WindowStartHour, int WindowEndHour, bool Mine,
    int Open, int Done, IReadOnlyList<FriendPlanItemDto> Items);

public sealed record FriendDayDto(DateOnly Day, IReadOnlyList<FriendAccountDayDto> Accounts);

public sealed record FriendOutcomeInput(string? Outcome, string? Note);

public enum FriendOutcomeStatus
{
    Recorded,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>It has an outcome already (409).</summary>
    AlreadyRecorded,
    /// <summary>It is waiting in the queue, not planned: only "skipped" applies (409).</summary>
    NotPlanned,
}

public sealed record FriendOutcomeResult(FriendOutcomeStatus Status, Validation Validation, FriendLead? Lead = null);

/// <summary>
/// The daily plan of friend adds, for the API, the console and <see cref="FriendPlanJob"/> alike. For a workspace day,
/// every active account gets up to its DailyLimit queued leads (oldest first, the earliest times to the oldest), each at
/// its slot's time (<see cref="FriendSchedule"/>) with a greeting from the library's 加好友 scripts (or built-in ones)
/// differing from its neighbours'. Planning is idempotent and may run anywhere at once: it fills only free slots, a
/// slot is unique per account and day, and a lead moves from Queued only once (its status is a concurrency token);
/// a planner that loses a race reads again and fills what is still free.
/// Unfinished leads: a lead planned for a day that ended without an outcome goes back to the queue at the next plan
/// (keeping its place, so it is planned first) and stops counting for its old day; an outcome on it after that is
/// refused as not planned. Slots in the past (or starting within <see cref="Lead"/>) are not planned, so pressing
/// "plan today" at 18:00 plans the evening only.
/// </summary>
public sealed class FriendPlanner(AppDbContext db, WorkspaceZones zones, TimeProvider time, JsonStringLocalizerFactory strings)
{
    /// <summary>How far ahead of now the first slot of a day being planned must be.</summary>
    public static readonly TimeSpan Lead = TimeSpan.FromMinutes(5);

    /// <summary>How many days ahead a plan may be made.</summary>
    public const int MaxDaysAhead = 7;

    private const int Attempts = 6;

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<DateOnly> TodayAsync(CancellationToken ct = default)
    {
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(Now, zone));
    }

    /// <summary>Field errors for a day to plan: not before today, at most a week ahead.</summary>
    public async Task CheckDayAsync(Validation validation, DateOnly day, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var today = await TodayAsync(ct);
        if (day < today)
            validation.Add("day", "FriendDayPast", $"'day' {day:yyyy-MM-dd} has passed (today is {today:yyyy-MM-dd} in the workspace's time zone).", day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        else if (day > today.AddDays(MaxDaysAhead))
            validation.Add("day", "FriendDayTooFar", $"'day' may be at most {MaxDaysAhead} days ahead.", MaxDaysAhead);
    }

    /// <summary>Plans the day in the acting workspace (no role check: callers check <see cref="FriendAccounts.MayUse"/>).</summary>
    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Jitter between retries after a write conflict; nothing secret depends on it.")]
    [SuppressMessage("Security", "SCS0005:Weak random number generator", Justification = "Jitter between retries after a write conflict; nothing secret depends on it.")]
    public async Task<FriendPlanResult> PlanAsync(DateOnly day, CancellationToken ct = default)
    {
        var released = await ReleaseUnfinishedAsync(ct);
        var planned = 0;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                planned = await PlanOnceAsync(day, ct);
                break;
            }
            catch (DbUpdateException) when (attempt < Attempts)
            {
                // Another planner took a slot or a lead we read as free: read again and fill what is left.
                db.ChangeTracker.Clear();
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 40) * attempt), time, ct);
            }
        }
        var queued = await db.Set<FriendLead>().CountAsync(l => l.Status == FriendLeadStatus.Queued, ct);
        return new FriendPlanResult(day, planned, released, queued);
    }

    /// <summary>Puts planned leads of days before today without an outcome back in the queue; returns how many.</summary>
    public async Task<int> ReleaseUnfinishedAsync(CancellationToken ct = default)
    {
        var today = await TodayAsync(ct);
        // A conditional update: an outcome recorded meanwhile (status no longer Planned) keeps its lead.
        return await db.Set<FriendLead>().Where(l => l.Status == FriendLeadStatus.Planned && l.PlanDay < today)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, FriendLeadStatus.Queued).SetProperty(l => l.AccountId, (Guid?)null)
                .SetProperty(l => l.PlanDay, (DateOnly?)null).SetProperty(l => l.PlanSlot, (int?)null).SetProperty(l => l.PlannedAt, (DateTime?)null)
                .SetProperty(l => l.Greeting, (string?)null).SetProperty(l => l.GreetingKey, (string?)null)
                .SetProperty(l => l.CarriedOver, l => l.CarriedOver + 1), ct);
    }

    private sealed record Taken(Guid AccountId, int Slot, DateTime? PlannedAt, string? GreetingKey);

    private async Task<int> PlanOnceAsync(DateOnly day, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var zone = await zones.GetAsync(ws, ct);
        var now = Now;
        var accounts = await db.Set<FriendAccount>().AsNoTracking().Where(a => a.Active).OrderBy(a => a.CreatedAt).ThenBy(a => a.Id).ToListAsync(ct);
        if (accounts.Count == 0)
            return 0;
        var ids = accounts.Select(a => a.Id).ToList();
        var taken = await db.Set<FriendLead>().AsNoTracking()
            .Where(l => l.PlanDay == day && l.AccountId != null && ids.Contains(l.AccountId.Value) && l.PlanSlot != null)
            .Select(l => new Taken(l.AccountId!.Value, l.PlanSlot!.Value, l.PlannedAt, l.GreetingKey)).ToListAsync(ct);

        var open = new List<(FriendAccount Account, int Slot, DateTime At)>();
        foreach (var account in accounts)
        {
            var mine = taken.Where(t => t.AccountId == account.Id).ToList();
            var room = account.DailyLimit - mine.Count;
            for (var slot = 0; slot < account.DailyLimit && room > 0; slot++)
            {
                if (mine.Any(t => t.Slot == slot))
                    continue;
                var minute = FriendSchedule.SlotMinute(account.Id, day, slot, account.DailyLimit, account.WindowStartHour, account.WindowEndHour);
                var at = FriendSchedule.SlotUtc(zone, day, minute);
                // Past slots are not planned; nor one too close to an add planned under other settings (the limit or window changed).
                if (at < now + Lead || mine.Any(t => t.PlannedAt is { } p && Math.Abs((p - at).TotalMinutes) < FriendSchedule.MinGapMinutes))
                    continue;
                open.Add((account, slot, at));
                room--;
            }
        }
        if (open.Count == 0)
            return 0;
        open.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Account.Id.CompareTo(b.Account.Id));
        var leads = await db.Set<FriendLead>().Where(l => l.Status == FriendLeadStatus.Queued)
            .OrderBy(l => l.QueuedAt).ThenBy(l => l.Id).Take(open.Count).ToListAsync(ct);
        if (leads.Count == 0)
            return 0;

        var greetings = await GreetingsAsync(ws, ct);
        var staffIds = accounts.Select(a => a.StaffUserId).Distinct().ToList();
        var staffNames = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && staffIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var assigned = leads.Select((lead, i) => (Lead: lead, open[i].Account, open[i].Slot, open[i].At)).ToList();
        // Greetings per account in slot order, so each new add knows the greeting of the add before it and after it.
        foreach (var group in assigned.GroupBy(x => x.Account.Id))
        {
            var keys = taken.Where(t => t.AccountId == group.Key).ToDictionary(t => t.Slot, t => t.GreetingKey);
            foreach (var x in group.OrderBy(x => x.Slot))
            {
                var before = keys.Where(k => k.Key < x.Slot).OrderByDescending(k => k.Key).Select(k => k.Value).FirstOrDefault();
                var after = keys.Where(k => k.Key > x.Slot).OrderBy(k => k.Key).Select(k => k.Value).FirstOrDefault();
                var greeting = FriendSchedule.Choose(greetings, x.Account.Id, day, x.Slot, before, after);
                keys[x.Slot] = greeting.Key;
                var text = ScriptText.Render(greeting.Text, new Dictionary<string, string?>
                {
                    [ScriptText.Nickname] = x.Lead.Name,
                    [ScriptText.Member] = x.Lead.Name,
                    [ScriptText.Owner] = staffNames.GetValueOrDefault(x.Account.StaffUserId),
                });
                x.Lead.Status = FriendLeadStatus.Planned;
                x.Lead.AccountId = x.Account.Id;
                x.Lead.PlanDay = day;
                x.Lead.PlanSlot = x.Slot;
                x.Lead.PlannedAt = x.At;
                x.Lead.Greeting = text.Length > FriendLead.GreetingMaxLength ? text[..FriendLead.GreetingMaxLength] : text;
                x.Lead.GreetingKey = greeting.Key;
            }
        }
        // A schedule Shequn made, not a staff edit: planning a day would otherwise write an audit row per lead. Staff
        // edits of leads (adding, outcomes) are audited.
        await db.SaveChangesWithoutAuditAsync(ct);
        return assigned.Count;
    }

    /// <summary>The library's 加好友 greetings, or the built-in ones in the workspace's language when it has none.</summary>
    public async Task<IReadOnlyList<FriendGreeting>> GreetingsAsync(Guid ws, CancellationToken ct = default)
    {
        await ScriptLibrary.EnsureTemplatesAsync(db, ct);
        var scripts = await db.Set<Script>().AsNoTracking().Where(s => s.WorkspaceId == ws && s.Category == ScriptCategory.FriendGreeting)
            .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).Select(s => new { s.Id, s.Text }).ToListAsync(ct);
        if (scripts.Count > 0)
            return [.. scripts.Select(s => new FriendGreeting(s.Id.ToString("N"), s.Text))];
        var words = strings.Table(await WorkspaceSettings.LanguageAsync(db, ws, ct));
        return [.. Enumerable.Range(1, BuiltinGreetings).Select(i => new FriendGreeting($"builtin:{i}", words[$"FriendAdds.Greeting.{i}"]))];
    }

    public const int BuiltinGreetings = 5;

    /// <summary>
    /// The day's plan of the accounts <paramref name="me"/> sees (managers: all; anyone else: her own), or only hers when
    /// <paramref name="mineOnly"/>. Phones are plain for the account's holder (she must look the person up to add them)
    /// and for those who may see phones; masked for everyone else.
    /// </summary>
    public async Task<FriendDayDto> DayAsync(StaffProfile me, DateOnly day, bool mineOnly, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(me);
        var ws = db.CurrentWorkspaceId;
        var accounts = FriendAccounts.Visible(db, me);
        if (mineOnly)
            accounts = accounts.Where(a => a.StaffUserId == me.Id);
        var list = await accounts.OrderBy(a => a.CreatedAt).ThenBy(a => a.Id).ToListAsync(ct);
        var ids = list.Select(a => a.Id).ToList();
        var leads = await db.Set<FriendLead>().AsNoTracking().Where(l => l.PlanDay == day && l.AccountId != null && ids.Contains(l.AccountId.Value))
            .OrderBy(l => l.PlannedAt).ThenBy(l => l.Id).ToListAsync(ct);
        var people = list.Select(a => a.StaffUserId).Concat(leads.Where(l => l.OutcomeById != null).Select(l => l.OutcomeById!.Value)).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && people.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var seesPhones = ProfileValues.MayReveal(me);
        return new FriendDayDto(day, [.. list.Select(a =>
        {
            var mine = leads.Where(l => l.AccountId == a.Id).ToList();
            var plain = seesPhones || a.StaffUserId == me.Id;
            return new FriendAccountDayDto(a.Id, a.Name, a.StaffUserId, names.GetValueOrDefault(a.StaffUserId), a.DailyLimit, a.WindowStartHour, a.WindowEndHour,
                a.StaffUserId == me.Id, mine.Count(l => l.Status == FriendLeadStatus.Planned), mine.Count(l => l.Status != FriendLeadStatus.Planned),
                [.. mine.Select(l => new FriendPlanItemDto(l.Id, l.PlannedAt!.Value, l.Name, plain ? l.Phone : ProfileValues.Mask(l.Phone), !plain && l.Phone is not null,
                    l.Source, l.SourceRef, l.Note, l.Greeting, l.Status, l.OutcomeAt, l.OutcomeById is { } o ? names.GetValueOrDefault(o) : null, l.OutcomeNote, l.CarriedOver))]);
        })]);
    }

    /// <summary>
    /// Records what happened: any outcome on a planned lead (by the account's holder or a manager), "skipped" on a queued
    /// one (taking it out of the queue). A lead with an outcome answers <see cref="FriendOutcomeStatus.AlreadyRecorded"/>.
    /// </summary>
    public async Task<FriendOutcomeResult> RecordOutcomeAsync(Guid id, FriendOutcomeInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!FriendAccounts.MayUse(me))
            return new(FriendOutcomeStatus.Forbidden, validation);
        var lead = await db.Set<FriendLead>().SingleOrDefaultAsync(l => l.Id == id, ct);
        if (lead is null)
            return new(FriendOutcomeStatus.NotFound, validation);
        if (lead.AccountId is { } accountId && !FriendAccounts.MayManage(me)
            && !await db.Set<FriendAccount>().AnyAsync(a => a.Id == accountId && a.StaffUserId == me!.Id, ct))
            return new(FriendOutcomeStatus.Forbidden, validation);

        FriendOutcome? outcome = null;
        if (string.IsNullOrWhiteSpace(input.Outcome))
            validation.Add("outcome", "Required", "'outcome' is required: added, refused, noAnswer or skipped.");
        else
            outcome = validation.ParseEnum<FriendOutcome>("outcome", input.Outcome);
        var note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        validation.MaxLength("note", note, FriendLead.NoteMaxLength);
        if (!validation.IsValid)
            return new(FriendOutcomeStatus.Invalid, validation);
        if (lead.Status is not (FriendLeadStatus.Planned or FriendLeadStatus.Queued))
            return new(FriendOutcomeStatus.AlreadyRecorded, validation, lead);
        if (lead.Status == FriendLeadStatus.Queued && outcome != FriendOutcome.Skipped)
            return new(FriendOutcomeStatus.NotPlanned, validation, lead);

        lead.Status = outcome switch
        {
            FriendOutcome.Added => FriendLeadStatus.Added,
            FriendOutcome.Refused => FriendLeadStatus.Refused,
            FriendOutcome.NoAnswer => FriendLeadStatus.NoAnswer,
            _ => FriendLeadStatus.Skipped,
        };
        lead.OutcomeAt = Now;
        lead.OutcomeById = me!.Id == Guid.Empty ? null : me.Id;
        lead.OutcomeNote = note;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone recorded it (or the day ended and it went back to the queue) between our read and our write.
            db.ChangeTracker.Clear();
            var now = await db.Set<FriendLead>().AsNoTracking().SingleAsync(l => l.Id == id, ct);
            return new(now.Status == FriendLeadStatus.Queued ? FriendOutcomeStatus.NotPlanned : FriendOutcomeStatus.AlreadyRecorded, validation, now);
        }
        return new(FriendOutcomeStatus.Recorded, validation, lead);
    }
}
