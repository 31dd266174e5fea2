using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Shequn.Connectors;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Tasks;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Feedback;

public sealed record FeedbackTicketDto(
    Guid Id,
    Guid CommunityId,
    string CommunityName,
    Guid? MemberId,
    string? UserName,
    FeedbackKind Kind,
    FeedbackSource Source,
    string Text,
    long? EventSeq,
    string? MessageId,
    string? Signal,
    string Department,
    string DepartmentName,
    Guid? AssignedStaffId,
    string? AssignedStaffName,
    FeedbackStatus Status,
    string? ResolutionNote,
    string? AnswerText,
    Guid? AnswerActionId,
    ActionStatus? AnswerStatus,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? ClosedAt);

/// <summary>A ticket staff enter: quoting a logged message by <c>eventSeq</c>, or in their own words (<c>text</c>).</summary>
public sealed record FeedbackTicketInput(
    Guid? CommunityId,
    string? Kind,
    string? Text = null,
    long? EventSeq = null,
    Guid? MemberId = null,
    string? Department = null,
    Guid? AssignedStaffId = null);

/// <summary>A change to a ticket; fields left null stay as they are. <c>note</c> goes with a move to resolved or won't fix.</summary>
public sealed record FeedbackTicketChange(string? Status = null, Guid? AssignedStaffId = null, string? Department = null, string? Note = null);

/// <summary>Resolves a ticket; a non-blank <c>answer</c> is sent to the member in the group.</summary>
public sealed record FeedbackResolveInput(string? Note = null, string? Answer = null);

public sealed record FeedbackCheckInput(string? Text);

public sealed record FeedbackCheckDto(FeedbackKind? Kind, string? Department, string? DepartmentName, string? Signal);

public sealed record FeedbackDepartmentInput(string? Key, string? Name, List<string>? Words, Guid? OwnerStaffId);

public sealed record FeedbackRulesInput(
    List<string>? ComplaintWords,
    List<string>? ComplaintPatterns,
    List<string>? SuggestionWords,
    List<string>? SuggestionPatterns,
    List<string>? IgnorePatterns,
    List<FeedbackDepartmentInput>? Departments,
    string? ComplaintDepartment,
    string? SuggestionDepartment);

public sealed record FeedbackRulesDto(FeedbackRules Rules, bool MayEdit, DateTime UpdatedAt);

public sealed record FeedbackStaffOption(Guid Id, string Name);

public sealed record FeedbackFilter(
    FeedbackStatus? Status = null,
    Guid? CommunityId = null,
    Guid? MemberId = null,
    string? Department = null,
    FeedbackKind? Kind = null,
    bool? Open = null,
    Guid? AssignedStaffId = null);

public enum FeedbackOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    /// <summary>The ticket's state does not allow it (an illegal move, a second answer, a concurrent change): 409.</summary>
    Conflict,
}

public sealed record FeedbackResult<T>(FeedbackOutcome Outcome, T? Value, Validation Validation, string? Conflict = null);

/// <summary>Makes <see cref="FeedbackDesk"/>s for a database context (the API's request, a console page's own context).</summary>
public sealed class FeedbackDesks(TimeProvider time, OutboxSignal signal, IEnumerable<IConnector> connectors)
{
    private readonly IConnector[] _connectors = [.. connectors];

    public FeedbackDesk For(AppDbContext db) => new(db, time, signal, _connectors);
}

/// <summary>
/// Feedback tickets for the console (<c>/feedback</c>) and the API (<c>/api/feedback</c>) with the same rules: staff see
/// the tickets of the communities they see (the owner all) and may create, route and close them there; KOCs see none.
/// The rules (words, patterns, departments) are read by all staff but KOCs and changed by the owner, sub-owners and
/// admins. Every change is an audited save; resolving with an answer enqueues the answer in that same save.
/// </summary>
public sealed partial class FeedbackDesk(AppDbContext db, TimeProvider time, OutboxSignal signal, IReadOnlyList<IConnector> connectors)
{
    public const int MaxEntries = 300;
    public const int WordMaxLength = 40;
    public const int MaxDepartments = 30;
    public const string KocRefusal = "KOCs do not handle feedback tickets.";

    public static bool MayUse(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    public static bool MayEditRules(StaffProfile? me) => me is not null && me.CanManageModeration;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    private IQueryable<FeedbackTicket> Visible(StaffProfile me)
    {
        var tickets = db.Set<FeedbackTicket>().AsNoTracking();
        return me.SeesAllCommunities ? tickets : tickets.Where(t => db.Visible(me).Any(c => c.Id == t.CommunityId));
    }

    /// <summary>Tickets the viewer may see, open ones first, newest first; null for a KOC.</summary>
    public async Task<Page<FeedbackTicketDto>?> ListAsync(FeedbackFilter filter, int? page, int? pageSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return null;
        var query = Visible(me!);
        if (filter.Status is { } status)
            query = query.Where(t => t.Status == status);
        if (filter.Open is { } open)
            query = open
                ? query.Where(t => t.Status == FeedbackStatus.New || t.Status == FeedbackStatus.InProgress)
                : query.Where(t => t.Status == FeedbackStatus.Resolved || t.Status == FeedbackStatus.WontFix);
        if (filter.CommunityId is { } community)
            query = query.Where(t => t.CommunityId == community);
        if (filter.MemberId is { } member)
            query = query.Where(t => t.MemberId == member);
        if (!string.IsNullOrWhiteSpace(filter.Department))
        {
            var department = filter.Department.Trim();
            query = query.Where(t => t.Department == department);
        }
        if (filter.Kind is { } kind)
            query = query.Where(t => t.Kind == kind);
        if (filter.AssignedStaffId is { } staff)
            query = query.Where(t => t.AssignedStaffId == staff);
        var rows = await query
            .OrderBy(t => t.Status == FeedbackStatus.New || t.Status == FeedbackStatus.InProgress ? 0 : 1)
            .ThenByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id)
            .ToPageAsync(page, pageSize, ct);
        return new Page<FeedbackTicketDto>(await DtosAsync(rows.Items, ct), rows.Total, rows.PageNumber, rows.PageSize);
    }

    /// <summary>One ticket of a community the viewer sees; null otherwise (and for a KOC).</summary>
    public async Task<FeedbackTicketDto?> GetAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return null;
        var ticket = await Visible(me!).SingleOrDefaultAsync(t => t.Id == id, ct);
        return ticket is null ? null : (await DtosAsync([ticket], ct))[0];
    }

    public async Task<FeedbackResult<FeedbackTicketDto>> CreateAsync(FeedbackTicketInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return new(FeedbackOutcome.Forbidden, null, validation);
        var ws = db.CurrentWorkspaceId;
        var (rules, _) = await FeedbackSettings.ReadAsync(db, ws, ct);

        Community? community = null;
        if (input.CommunityId is not { } communityId)
            validation.Add("communityId", "Required", "'communityId' is required.");
        else if ((community = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct)) is null)
            validation.Add("communityId", "UnknownCommunity", "'communityId' names no community you see.", communityId);
        var kind = ParseKind(validation, input.Kind, required: true);
        var text = input.Text?.Trim();
        CommunityEvent? quoted = null;
        if (input.EventSeq is { } seq)
        {
            quoted = community is null ? null : await db.Set<CommunityEvent>().AsNoTracking()
                .SingleOrDefaultAsync(e => e.Seq == seq && e.WorkspaceId == ws && e.CommunityId == community.Id && e.Kind == EventKind.MessagePosted, ct);
            if (community is not null && (quoted is null || string.IsNullOrWhiteSpace(quoted.Text)))
                validation.Add("eventSeq", "UnknownMessage", "'eventSeq' names no message with text in this community.", seq);
            else if (quoted is not null)
                text = quoted.Text!.Trim();
        }
        else
            validation.Required("text", text, FeedbackTicket.TextMaxLength);
        Guid? memberId = input.MemberId;
        if (memberId is { } m && !await db.Members.AnyAsync(x => x.Id == m, ct))
            validation.Add("memberId", "UnknownMember", "'memberId' names no member of this workspace.", m);
        if (memberId is null && quoted?.UserId is { } userId)
            memberId = await db.Set<MemberIdentity>().Where(i => i.Platform == quoted.Platform && i.UserId == userId)
                .Select(i => (Guid?)i.MemberId).FirstOrDefaultAsync(ct);
        var department = input.Department?.Trim();
        if (!string.IsNullOrEmpty(department) && rules.Departments.All(d => d.Key != department))
            validation.Add("department", "UnknownValue", $"'department' has an unknown value '{department}'.", department);
        if (input.AssignedStaffId is { } assignee && community is not null)
            await CheckAssigneeAsync(validation, assignee, community.Id, ct);
        if (!validation.IsValid)
            return new(FeedbackOutcome.Invalid, null, validation);

        var now = Now;
        department = string.IsNullOrEmpty(department) ? FeedbackDetector.Create(rules).DepartmentOf(text!, kind!.Value) : department;
        var ticket = new FeedbackTicket
        {
            WorkspaceId = ws,
            CommunityId = community!.Id,
            MemberId = memberId,
            Kind = kind!.Value,
            Source = FeedbackSource.Staff,
            Text = EventEffects.Clip(text, FeedbackTicket.TextMaxLength)!,
            EventSeq = quoted?.Seq,
            MessageId = quoted?.MessageId,
            UserName = EventEffects.Clip(quoted?.UserName, FeedbackTicket.NameMaxLength),
            Department = department,
            AssignedStaffId = input.AssignedStaffId ?? await RouteAsync(rules, department, community.Id, ct),
            Status = FeedbackStatus.New,
            CreatedById = me!.Id,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Set<FeedbackTicket>().Add(ticket);
        await db.SaveChangesAsync(ct);
        return new(FeedbackOutcome.Saved, (await DtosAsync([ticket], ct))[0], validation);
    }

    /// <summary>Moves a ticket (status, assignee, department); an illegal move is a conflict.</summary>
    public async Task<FeedbackResult<FeedbackTicketDto>> ChangeAsync(Guid id, FeedbackTicketChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var validation = new Validation();
        var (outcome, _, ticket) = await EditableAsync(id, ct);
        if (outcome is not null)
            return new(outcome.Value, null, validation);
        FeedbackStatus? status = null;
        if (!string.IsNullOrWhiteSpace(change.Status))
        {
            if (EventInputs.TryParseEnum<FeedbackStatus>(change.Status, out var s))
                status = s;
            else
                validation.Add("status", "UnknownValue", $"'status' has an unknown value '{change.Status}'; expected one of {EventInputs.Spellings<FeedbackStatus>()}.", change.Status);
        }
        var note = Blank(change.Note);
        validation.MaxLength("note", note, FeedbackTicket.NoteMaxLength);
        var department = Blank(change.Department);
        if (department is not null)
        {
            var (rules, _) = await FeedbackSettings.ReadAsync(db, ticket!.WorkspaceId, ct);
            if (rules.Departments.All(d => d.Key != department))
                validation.Add("department", "UnknownValue", $"'department' has an unknown value '{department}'.", department);
        }
        if (change.AssignedStaffId is { } assignee)
            await CheckAssigneeAsync(validation, assignee, ticket!.CommunityId, ct);
        if (!validation.IsValid)
            return new(FeedbackOutcome.Invalid, null, validation);
        if (status is { } to && to != ticket!.Status && !FeedbackTicket.MayMove(ticket.Status, to))
            return new(FeedbackOutcome.Conflict, null, validation, IllegalMove(ticket.Status, to));

        var now = Now;
        if (status is { } next && next != ticket!.Status)
        {
            ticket.Status = next;
            ticket.ClosedAt = ticket.IsOpen ? null : now;
            if (!ticket.IsOpen && note is not null)
                ticket.ResolutionNote = note;
        }
        if (department is not null)
            ticket!.Department = department;
        if (change.AssignedStaffId is { } staff)
            ticket!.AssignedStaffId = staff;
        return await SaveAsync(ticket!, now, null, validation, ct);
    }

    /// <summary>Resolves an open ticket; a non-blank answer becomes a reply (or a message) to the member in the same save.</summary>
    public async Task<FeedbackResult<FeedbackTicketDto>> ResolveAsync(Guid id, FeedbackResolveInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var (outcome, me, ticket) = await EditableAsync(id, ct);
        if (outcome is not null)
            return new(outcome.Value, null, validation);
        var note = Blank(input.Note);
        var answer = Blank(input.Answer);
        validation.MaxLength("note", note, FeedbackTicket.NoteMaxLength);
        validation.MaxLength("answer", answer, OutboundAction.TextMaxLength);
        if (!validation.IsValid)
            return new(FeedbackOutcome.Invalid, null, validation);
        if (!FeedbackTicket.MayMove(ticket!.Status, FeedbackStatus.Resolved))
            return new(FeedbackOutcome.Conflict, null, validation, IllegalMove(ticket.Status, FeedbackStatus.Resolved));
        if (answer is not null && ticket.AnswerActionId is not null)
            return new(FeedbackOutcome.Conflict, null, validation, "This ticket's member has already been answered; a ticket is answered once.");

        var now = Now;
        ticket.Status = FeedbackStatus.Resolved;
        ticket.ClosedAt = now;
        ticket.ResolutionNote = note ?? ticket.ResolutionNote;
        OutboundAction? action = null;
        if (answer is not null)
        {
            var platform = await db.Communities.Where(c => c.Id == ticket.CommunityId).Select(c => c.Platform).SingleAsync(ct);
            var canReply = ticket.MessageId is not null && connectors.Any(c => c.Platform == platform && c.Capabilities.Contains(ActionKind.Reply));
            action = OutboundAction.Create(ticket.WorkspaceId, ticket.CommunityId, canReply ? ActionKind.Reply : ActionKind.Send,
                new ActionPayload(Text: answer, MessageId: canReply ? ticket.MessageId : null), AnswerKey(ticket.Id));
            action.CausedByStaffId = me!.Id;
            action.CausedByEventSeq = ticket.EventSeq;
            db.Set<OutboundAction>().Add(action);
            ticket.AnswerText = answer;
            ticket.AnswerActionId = action.Id;
        }
        return await SaveAsync(ticket, now, action, validation, ct);
    }

    public static string AnswerKey(Guid ticketId) => $"feedback:{ticketId}:answer";

    /// <summary>What the workspace's rules make of a line.</summary>
    public async Task<FeedbackResult<FeedbackCheckDto>> CheckAsync(FeedbackCheckInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        if (!MayUse(await MeAsync(ct)))
            return new(FeedbackOutcome.Forbidden, null, validation);
        validation.Required("text", input.Text, OutboundAction.TextMaxLength);
        if (!validation.IsValid)
            return new(FeedbackOutcome.Invalid, null, validation);
        var (rules, _) = await FeedbackSettings.ReadAsync(db, db.CurrentWorkspaceId, ct);
        var verdict = FeedbackDetector.Create(rules).Detect(input.Text);
        return new(FeedbackOutcome.Saved, new FeedbackCheckDto(verdict?.Kind, verdict?.Department,
            verdict is null ? null : DepartmentName(rules, verdict.Department), verdict?.Signal), validation);
    }

    /// <summary>The workspace's rules, written with the defaults on first use so staff edit what the processor applies.</summary>
    public async Task<FeedbackResult<FeedbackRulesDto>> RulesAsync(CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return new(FeedbackOutcome.Forbidden, null, new Validation());
        var row = await db.Set<FeedbackSettings>().AsNoTracking().SingleOrDefaultAsync(ct);
        if (row is null)
        {
            row = new FeedbackSettings { WorkspaceId = db.CurrentWorkspaceId, Rules = FeedbackSettings.Write(FeedbackRules.Defaults()), UpdatedAt = Now };
            db.Set<FeedbackSettings>().Add(row);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another request made them first.
                db.ChangeTracker.Clear();
                row = await db.Set<FeedbackSettings>().AsNoTracking().SingleAsync(ct);
            }
        }
        return new(FeedbackOutcome.Saved, new FeedbackRulesDto(row.Read(), MayEditRules(me), row.UpdatedAt), new Validation());
    }

    public async Task<FeedbackResult<FeedbackRulesDto>> SaveRulesAsync(FeedbackRulesInput input, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await MeAsync(ct);
        if (!MayUse(me))
            return new(FeedbackOutcome.Forbidden, null, validation);
        if (!MayEditRules(me))
            return new(FeedbackOutcome.Forbidden, null, validation);
        var rules = await CheckRulesAsync(validation, input, ct);
        if (!validation.IsValid)
            return new(FeedbackOutcome.Invalid, null, validation);
        var now = Now;
        var row = await db.Set<FeedbackSettings>().SingleOrDefaultAsync(ct);
        if (row is null)
            db.Set<FeedbackSettings>().Add(row = new FeedbackSettings { WorkspaceId = db.CurrentWorkspaceId, Rules = FeedbackSettings.Write(rules), UpdatedAt = now });
        else
        {
            row.Rules = FeedbackSettings.Write(rules);
            row.UpdatedAt = now;
        }
        await db.SaveChangesAsync(ct);
        return new(FeedbackOutcome.Saved, new FeedbackRulesDto(rules, true, now), validation);
    }

    /// <summary>Active staff who may own tickets (not KOCs), for the page's choices.</summary>
    public async Task<List<FeedbackStaffOption>> StaffAsync(CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        return await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && u.IsActive && u.Role != StaffRole.Koc)
            .OrderBy(u => u.DisplayName).Select(u => new FeedbackStaffOption(u.Id, u.DisplayName)).ToListAsync(ct);
    }

    private async Task<FeedbackRules> CheckRulesAsync(Validation validation, FeedbackRulesInput input, CancellationToken ct)
    {
        var complaintWords = Words(validation, "complaintWords", input.ComplaintWords);
        var complaintPatterns = Patterns(validation, "complaintPatterns", input.ComplaintPatterns);
        var suggestionWords = Words(validation, "suggestionWords", input.SuggestionWords);
        var suggestionPatterns = Patterns(validation, "suggestionPatterns", input.SuggestionPatterns);
        var ignorePatterns = Patterns(validation, "ignorePatterns", input.IgnorePatterns);
        var departments = new List<FeedbackDepartment>();
        var given = input.Departments ?? [];
        if (given.Count == 0)
            validation.Add("departments", "Required", "'departments' needs at least one department.");
        else if (given.Count > MaxDepartments)
            validation.Add("departments", "TooMany", $"'departments' may hold at most {MaxDepartments} departments.", MaxDepartments, given.Count);
        var ws = db.CurrentWorkspaceId;
        var owners = given.Where(d => d?.OwnerStaffId is not null).Select(d => d.OwnerStaffId!.Value).Distinct().ToList();
        var staff = owners.Count == 0 ? [] : (await db.Users.AsNoTracking()
            .Where(u => u.WorkspaceId == ws && u.IsActive && u.Role != StaffRole.Koc && owners.Contains(u.Id)).Select(u => u.Id).ToListAsync(ct)).ToHashSet();
        for (var i = 0; i < given.Count && i < MaxDepartments; i++)
        {
            var d = given[i];
            var field = $"departments[{i}]";
            var key = d?.Key?.Trim() ?? "";
            if (!DepartmentKey().IsMatch(key))
                validation.Add(field + ".key", "Malformed", $"'{field}.key' must be 1 to 40 lower-case letters, digits or dashes.", key);
            else if (departments.Any(x => x.Key == key))
                validation.Add(field + ".key", "Duplicate", $"'{field}.key' '{key}' is used by another department.", field + ".key");
            var name = d?.Name?.Trim();
            validation.Required(field + ".name", name, WordMaxLength);
            if (d?.OwnerStaffId is { } owner && !staff.Contains(owner))
                validation.Add(field + ".ownerStaffId", "UnknownStaff", $"'{field}.ownerStaffId' names no active staff member (KOCs cannot own tickets).", owner);
            departments.Add(new FeedbackDepartment(key, name ?? "", Words(validation, field + ".words", d?.Words), d?.OwnerStaffId));
        }
        var complaintDepartment = input.ComplaintDepartment?.Trim() ?? "";
        if (departments.All(d => d.Key != complaintDepartment))
            validation.Add("complaintDepartment", "UnknownValue", "'complaintDepartment' must be the key of one of the departments.", complaintDepartment);
        var suggestionDepartment = input.SuggestionDepartment?.Trim() ?? "";
        if (departments.All(d => d.Key != suggestionDepartment))
            validation.Add("suggestionDepartment", "UnknownValue", "'suggestionDepartment' must be the key of one of the departments.", suggestionDepartment);
        return new FeedbackRules(complaintWords, complaintPatterns, suggestionWords, suggestionPatterns, ignorePatterns, departments,
            complaintDepartment, suggestionDepartment);
    }

    private static List<string> Words(Validation validation, string field, List<string>? words)
    {
        var list = new List<string>();
        if (words is null)
            return list;
        if (words.Count > MaxEntries)
        {
            validation.Add(field, "TooMany", $"'{field}' may hold at most {MaxEntries} entries.", MaxEntries, words.Count);
            return list;
        }
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i]?.Trim();
            validation.Required($"{field}[{i}]", word, WordMaxLength);
            if (!string.IsNullOrEmpty(word) && word.Length <= WordMaxLength && !list.Contains(word))
                list.Add(word);
        }
        return list;
    }

    private static List<string> Patterns(Validation validation, string field, List<string>? patterns)
    {
        var list = new List<string>();
        if (patterns is null)
            return list;
        if (patterns.Count > MaxEntries)
        {
            validation.Add(field, "TooMany", $"'{field}' may hold at most {MaxEntries} entries.", MaxEntries, patterns.Count);
            return list;
        }
        for (var i = 0; i < patterns.Count; i++)
        {
            var pattern = patterns[i] ?? "";
            if (!CustomPattern.TryCreate(field, pattern, 1, out _, out var error))
                validation.Add($"{field}[{i}]", "BadPattern", $"'{field}[{i}]': {error!.English}.", pattern, error);
            else
                list.Add(pattern);
        }
        return list;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex DepartmentKey();

    private async Task<(FeedbackOutcome? Outcome, StaffProfile? Me, FeedbackTicket? Ticket)> EditableAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (me is null)
            return (FeedbackOutcome.NotFound, null, null);
        var ticket = await db.Set<FeedbackTicket>().SingleOrDefaultAsync(t => t.Id == id, ct);
        if (ticket is null || !me.Sees(ticket.CommunityId) || !MayUse(me))
            return (FeedbackOutcome.NotFound, me, null);
        return (null, me, ticket);
    }

    private async Task CheckAssigneeAsync(Validation validation, Guid staffId, Guid communityId, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        var user = await db.Users.AsNoTracking().Where(u => u.Id == staffId && u.WorkspaceId == ws && u.IsActive)
            .Select(u => new { u.Role }).SingleOrDefaultAsync(ct);
        var fit = user is not null && user.Role != StaffRole.Koc
            && (user.Role == StaffRole.Owner || await db.CommunityStaff.AnyAsync(s => s.StaffUserId == staffId && s.CommunityId == communityId, ct));
        if (!fit)
            validation.Add("assignedStaffId", "UnknownStaff", "'assignedStaffId' names no active staff member (not a KOC) who sees this community.", staffId);
    }

    /// <summary>The department's owner while active staff, else whoever a reply task in the community would go to.</summary>
    private async Task<Guid?> RouteAsync(FeedbackRules rules, string department, Guid communityId, CancellationToken ct)
    {
        var ws = db.CurrentWorkspaceId;
        if (rules.Departments.FirstOrDefault(d => d.Key == department)?.OwnerStaffId is { } owner
            && await db.Users.AnyAsync(u => u.Id == owner && u.WorkspaceId == ws && u.IsActive && u.Role != StaffRole.Koc, ct))
            return owner;
        var roster = await TaskRouting.RosterAsync(db, ws, communityId, ct);
        return roster.Owners.Count == 0 ? null : TaskRouting.Pick(roster, ws, communityId, ActionKind.Reply).StaffId;
    }

    private async Task<FeedbackResult<FeedbackTicketDto>> SaveAsync(FeedbackTicket ticket, DateTime now, OutboundAction? action,
        Validation validation, CancellationToken ct)
    {
        ticket.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct); // the ticket's (and the answer's) audit rows join this save
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return new(FeedbackOutcome.Conflict, null, validation, "Someone else changed this ticket at the same time; reload it and try again.");
        }
        if (action is not null)
            signal.Notify();
        return new(FeedbackOutcome.Saved, (await DtosAsync([ticket], ct))[0], validation);
    }

    private static string IllegalMove(FeedbackStatus from, FeedbackStatus to) =>
        $"A ticket that is {Spelling(from)} cannot become {Spelling(to)}: new → inProgress → resolved or wontFix; a closed ticket may only be reopened (inProgress).";

    private static string Spelling(FeedbackStatus status) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString());

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static FeedbackKind? ParseKind(Validation validation, string? text, bool required)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
                validation.Add("kind", "Required", "'kind' is required (complaint or suggestion).");
            return null;
        }
        if (EventInputs.TryParseEnum<FeedbackKind>(text, out var kind))
            return kind;
        validation.Add("kind", "UnknownValue", $"'kind' has an unknown value '{text}'; expected one of {EventInputs.Spellings<FeedbackKind>()}.", text);
        return null;
    }

    private static string DepartmentName(FeedbackRules rules, string key) => rules.Departments.FirstOrDefault(d => d.Key == key)?.Name ?? key;

    private async Task<List<FeedbackTicketDto>> DtosAsync(IReadOnlyList<FeedbackTicket> tickets, CancellationToken ct)
    {
        if (tickets.Count == 0)
            return [];
        var ws = db.CurrentWorkspaceId;
        var (rules, _) = await FeedbackSettings.ReadAsync(db, ws, ct);
        var communityIds = tickets.Select(t => t.CommunityId).Distinct().ToList();
        var communities = await db.Communities.AsNoTracking().Where(c => communityIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var staffIds = tickets.Where(t => t.AssignedStaffId is not null).Select(t => t.AssignedStaffId!.Value).Distinct().ToList();
        var names = staffIds.Count == 0 ? [] : await db.Users.AsNoTracking().Where(u => u.WorkspaceId == ws && staffIds.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var actionIds = tickets.Where(t => t.AnswerActionId is not null).Select(t => t.AnswerActionId!.Value).ToList();
        var actions = actionIds.Count == 0 ? [] : await db.Set<OutboundAction>().AsNoTracking().Where(a => actionIds.Contains(a.Id))
            .ToDictionaryAsync(a => a.Id, a => a.Status, ct);
        return [.. tickets.Select(t => new FeedbackTicketDto(t.Id, t.CommunityId, communities.GetValueOrDefault(t.CommunityId, ""), t.MemberId, t.UserName,
            t.Kind, t.Source, t.Text, t.EventSeq, t.MessageId, t.Signal, t.Department, DepartmentName(rules, t.Department), t.AssignedStaffId,
            t.AssignedStaffId is { } a ? names.GetValueOrDefault(a) : null, t.Status, t.ResolutionNote, t.AnswerText, t.AnswerActionId,
            t.AnswerActionId is { } id && actions.TryGetValue(id, out var s) ? s : null,
            t.CreatedAt, t.UpdatedAt, t.ClosedAt))];
    }
}
