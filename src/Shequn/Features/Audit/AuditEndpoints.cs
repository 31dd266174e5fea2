using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Moderation;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Audit;

/// <param name="At">When, UTC, in whole seconds.</param>
/// <param name="ActorName">The account name (email) recorded at the time of the change.</param>
/// <param name="ActorDisplayName">The actor's display name now, when the actor is a staff member of this workspace.</param>
/// <param name="EntityName">The entity's name now (staff, community, token, tag or member), when it still exists.</param>
public sealed record AuditEntryDto(
    long Id,
    DateTime At,
    Guid? ActorId,
    string ActorName,
    string? ActorDisplayName,
    string Action,
    string EntityType,
    string EntityId,
    string? EntityName,
    IReadOnlyList<AuditChange> Changes);

public static class AuditEndpoints
{
    /// <summary>Changes, then what was taken out, then the security log's own events (Platform/Auth/SecurityLog).</summary>
    public static readonly string[] Actions =
    [
        "created", "updated", "deleted", Shequn.Platform.Exports.ExportAudit.Action, "erased",
        .. Shequn.Platform.Auth.SecurityEvents.AuditActions,
    ];

    /// <summary>The entity types that appear in the log, for filters and labels.</summary>
    public static readonly string[] EntityTypes =
    [
        nameof(Community), nameof(Member), nameof(Tag), nameof(StaffUser), nameof(ApiToken),
        nameof(ModerationWordList), nameof(ModerationPolicy), nameof(LabelledMessage), nameof(StoredSpamModel),
        nameof(Shequn.Features.Outbox.OutboundAction), nameof(Shequn.Features.Tasks.StaffTask),
        nameof(Shequn.Features.Enforcement.RuleSet), nameof(Shequn.Features.Communities.CommunityTag),
        nameof(Shequn.Features.Calendar.Post), nameof(Shequn.Features.Calendar.SopTemplate),
        nameof(Shequn.Features.Topics.Topic), nameof(Shequn.Features.Topics.TopicSession), nameof(Shequn.Features.Feedback.FeedbackTicket),
    ];

    private static readonly string[] ModerationTypes =
        [nameof(ModerationWordList), nameof(ModerationPolicy), nameof(LabelledMessage), nameof(StoredSpamModel), nameof(Shequn.Features.Enforcement.RuleSet)];

    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGroup("/audit").WithTags("Audit")
            .MapGet("/", List).WithName("ListAuditEntries")
            .WithDescription("Newest first, times in whole seconds (UTC). Filters: actorId (who), action (" + string.Join(", ", Actions) + ") "
                + "and entityType (what: " + string.Join(", ", EntityTypes) + "), entityId, from and to (when; inclusive, ISO 8601, "
                + "UTC unless an offset is given). Paged with page and pageSize. The owner sees every entry; a sub-owner sees entries "
                + "about her communities and their members, tags, moderation settings, her own tokens, herself and what she did to other staff.");
        return api;
    }

    public static async Task<Results<Ok<Page<AuditEntryDto>>, ValidationProblem, ProblemHttpResult>> List(
        AppDbContext db, Guid? actorId, string? action, string? entityType, string? entityId, DateTime? from, DateTime? to,
        int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanReadAudit)
            return CommunityEndpoints.Forbidden("Only the owner and sub-owners may read the audit log.");

        var validation = new Validation();
        var actionValue = Actions.FirstOrDefault(a => string.Equals(a, action?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrWhiteSpace(action) && actionValue is null)
            validation.Add("action", "UnknownValue", $"'action' has an unknown value '{action}'; expected one of {string.Join(", ", Actions)}.", action);
        var since = from is { } f ? Utc(f) : (DateTime?)null;
        var until = to is { } t ? Utc(t) : (DateTime?)null;
        if (since > until)
            validation.Add("to", "Audit.ToBeforeFrom", "'to' must not be earlier than 'from'.");
        if (!validation.IsValid)
            return validation.Problem();

        var query = await VisibleAsync(db, me, ct);
        if (actorId is not null)
            query = query.Where(e => e.ActorId == actorId);
        if (actionValue is not null)
            query = query.Where(e => e.Action == actionValue);
        if (!string.IsNullOrWhiteSpace(entityType))
        {
            var type = EntityTypes.FirstOrDefault(k => string.Equals(k, entityType.Trim(), StringComparison.OrdinalIgnoreCase)) ?? entityType.Trim();
            query = query.Where(e => e.EntityType == type);
        }
        if (!string.IsNullOrWhiteSpace(entityId))
            query = query.Where(e => e.EntityId == entityId);
        if (since is { } s)
            query = query.Where(e => e.At >= s);
        if (until is { } u)
            query = query.Where(e => e.At <= u);

        var rows = await query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).ToPageAsync(page, pageSize, ct);
        var names = await NamesAsync(db, rows.Items, ct);
        var changes = rows.Items.Select(e => AuditChange.Between(e.Before, e.After)).ToList();
        var hidden = await HiddenMembersAsync(db, me, changes, ct);
        var items = rows.Items.Select((e, i) => new AuditEntryDto(
            e.Id, AuditTimes.WholeSeconds(e.At), e.ActorId, e.ActorName,
            e.ActorId is { } a && names.TryGetValue(a, out var actor) ? actor : null,
            e.Action, e.EntityType, e.EntityId,
            Guid.TryParse(e.EntityId, out var id) && names.TryGetValue(id, out var entity) ? entity : null,
            Scoped(changes[i], hidden))).ToList();
        return TypedResults.Ok(new Page<AuditEntryDto>(items, rows.Total, rows.PageNumber, rows.PageSize));
    }

    /// <summary>
    /// The entries <paramref name="me"/> may read, scoped like everything else: the owner reads all; anyone else reads
    /// entries about communities they can open and those communities' members (past or present), tags, moderation
    /// settings when they may manage them, their own API tokens, themselves, and staff changes they made. Never other
    /// staff's tokens or preferences, nor communities hidden from them.
    /// </summary>
    public static async Task<IQueryable<AuditEntry>> VisibleAsync(AppDbContext db, StaffProfile me, CancellationToken ct)
    {
        var all = db.AuditEntries.AsNoTracking();
        if (me.SeesAllCommunities)
            return all;
        var assigned = me.AssignedCommunityIds.ToList();
        var communities = assigned.Select(c => c.ToString()).ToList();
        var members = (await db.Memberships.Where(m => assigned.Contains(m.CommunityId)).Select(m => m.MemberId).Distinct().ToListAsync(ct))
            .Select(m => m.ToString()).ToList();
        var tokens = (await db.ApiTokens.Where(t => t.StaffUserId == me.Id).Select(t => t.Id).ToListAsync(ct))
            .Select(t => t.ToString()).ToList();
        var tasks = (await db.Set<Shequn.Features.Tasks.StaffTask>().Where(t => assigned.Contains(t.CommunityId)).Select(t => t.Id).ToListAsync(ct))
            .Select(t => t.ToString()).ToList();
        var self = me.Id.ToString();
        var meId = (Guid?)me.Id;
        var moderation = me.CanManageModeration ? ModerationTypes : [];
        return all.Where(e =>
            (e.EntityType == nameof(Community) && communities.Contains(e.EntityId))
            || (e.EntityType == nameof(Member) && members.Contains(e.EntityId))
            || (e.EntityType == nameof(StaffUser) && (e.EntityId == self || e.ActorId == meId))
            || (e.EntityType == nameof(ApiToken) && tokens.Contains(e.EntityId))
            || (e.EntityType == nameof(Shequn.Features.Tasks.StaffTask) && tasks.Contains(e.EntityId))
            || e.EntityType == nameof(Tag)
            || moderation.Contains(e.EntityType));
    }

    /// <summary>
    /// Members listed in the page's bulk entries (a tag given to many members at once) that <paramref name="me"/> cannot
    /// see: the entry stays readable, with its count, but names only the members of her own communities.
    /// </summary>
    private static async Task<HashSet<string>> HiddenMembersAsync(AppDbContext db, StaffProfile me, List<IReadOnlyList<AuditChange>> changes, CancellationToken ct)
    {
        if (me.SeesAllCommunities)
            return [];
        var listed = changes.SelectMany(c => c)
            .Where(c => c.Field == BulkMemberIds && c.After?.ValueKind == JsonValueKind.Array)
            .SelectMany(c => c.After!.Value.EnumerateArray().Select(v => v.GetString()))
            .OfType<string>().Select(Guid.Parse).Distinct().ToList();
        if (listed.Count == 0)
            return [];
        var assigned = me.AssignedCommunityIds.ToList();
        var visible = await db.Memberships.Where(m => listed.Contains(m.MemberId) && assigned.Contains(m.CommunityId))
            .Select(m => m.MemberId).Distinct().ToListAsync(ct);
        return [.. listed.Except(visible).Select(m => m.ToString())];
    }

    private const string BulkMemberIds = "MemberIds";

    private static IReadOnlyList<AuditChange> Scoped(IReadOnlyList<AuditChange> changes, HashSet<string> hidden) =>
        hidden.Count == 0 ? changes : [.. changes.Select(c => c.Field == BulkMemberIds && c.After?.ValueKind == JsonValueKind.Array
            ? c with { After = JsonSerializer.SerializeToElement(c.After.Value.EnumerateArray().Select(v => v.GetString()).Where(v => v is null || !hidden.Contains(v))) }
            : c)];

    /// <summary>Today's names of the actors and entities on one page, looked up in a few queries.</summary>
    private static async Task<Dictionary<Guid, string>> NamesAsync(AppDbContext db, IReadOnlyList<AuditEntry> rows, CancellationToken ct)
    {
        List<Guid> Ids(string type) => rows.Where(r => r.EntityType == type)
            .Select(r => Guid.TryParse(r.EntityId, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).Distinct().ToList();

        var staffIds = Ids(nameof(StaffUser)).Concat(rows.Where(r => r.ActorId is not null).Select(r => r.ActorId!.Value)).Distinct().ToList();
        var communityIds = Ids(nameof(Community));
        var tokenIds = Ids(nameof(ApiToken));
        var tagIds = Ids(nameof(Tag));
        var memberIds = Ids(nameof(Member));

        var names = new Dictionary<Guid, string>();
        void AddAll(IEnumerable<(Guid Id, string Name)> found)
        {
            foreach (var (id, name) in found)
                names.TryAdd(id, name);
        }
        if (staffIds.Count > 0)
            AddAll((await StaffEndpoints.InWorkspace(db).Where(u => staffIds.Contains(u.Id)).Select(u => new { u.Id, u.DisplayName }).ToListAsync(ct)).Select(x => (x.Id, x.DisplayName)));
        if (communityIds.Count > 0)
            AddAll((await db.Communities.Where(c => communityIds.Contains(c.Id)).Select(c => new { c.Id, c.Name }).ToListAsync(ct)).Select(x => (x.Id, x.Name)));
        if (tokenIds.Count > 0)
            AddAll((await db.ApiTokens.Where(t => tokenIds.Contains(t.Id)).Select(t => new { t.Id, t.Name }).ToListAsync(ct)).Select(x => (x.Id, x.Name)));
        if (tagIds.Count > 0)
            AddAll((await db.Tags.Where(t => tagIds.Contains(t.Id)).Select(t => new { t.Id, t.Name }).ToListAsync(ct)).Select(x => (x.Id, x.Name)));
        var listIds = Ids(nameof(ModerationWordList));
        if (listIds.Count > 0)
            AddAll((await db.Set<ModerationWordList>().Where(l => listIds.Contains(l.Id)).Select(l => new { l.Id, l.Name }).ToListAsync(ct)).Select(x => (x.Id, x.Name)));
        if (memberIds.Count > 0)
            AddAll((await db.Members.Where(m => memberIds.Contains(m.Id)).Select(m => new { m.Id, m.DisplayName }).ToListAsync(ct)).Select(x => (x.Id, x.DisplayName)));
        return names;
    }

    private static DateTime Utc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
