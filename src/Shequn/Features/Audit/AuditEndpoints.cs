using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Platform.Api;

namespace Shequn.Features.Audit;

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
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGroup("/audit").WithTags("Audit")
            .MapGet("/", List).WithName("ListAuditEntries")
            .WithDescription("Newest first. Filters: actorId, entityType (e.g. StaffUser, Community, ApiToken), entityId, from and to (inclusive, UTC).");
        return api;
    }

    public static async Task<Results<Ok<Page<AuditEntryDto>>, ProblemHttpResult>> List(
        AppDbContext db, Guid? actorId, string? entityType, string? entityId, DateTime? from, DateTime? to,
        int? page, int? pageSize, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanReadAudit)
            return CommunityEndpoints.Forbidden("Only the owner and sub-owners may read the audit log.");

        var query = db.AuditEntries.AsNoTracking();
        if (actorId is not null)
            query = query.Where(e => e.ActorId == actorId);
        if (!string.IsNullOrWhiteSpace(entityType))
            query = query.Where(e => e.EntityType == entityType);
        if (!string.IsNullOrWhiteSpace(entityId))
            query = query.Where(e => e.EntityId == entityId);
        if (from is { } f)
        {
            var since = Utc(f);
            query = query.Where(e => e.At >= since);
        }
        if (to is { } t)
        {
            var until = Utc(t);
            query = query.Where(e => e.At <= until);
        }

        var rows = await query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).ToPageAsync(page, pageSize, ct);
        var names = await NamesAsync(db, rows.Items, ct);
        var items = rows.Items.Select(e => new AuditEntryDto(
            e.Id, e.At, e.ActorId, e.ActorName,
            e.ActorId is { } a && names.TryGetValue(a, out var actor) ? actor : null,
            e.Action, e.EntityType, e.EntityId,
            Guid.TryParse(e.EntityId, out var id) && names.TryGetValue(id, out var entity) ? entity : null,
            AuditChange.Between(e.Before, e.After))).ToList();
        return TypedResults.Ok(new Page<AuditEntryDto>(items, rows.Total, rows.PageNumber, rows.PageSize));
    }

    /// <summary>The entity types that appear in the log, for filters.</summary>
    public static readonly string[] EntityTypes =
        [nameof(StaffUser), nameof(Community), nameof(ApiToken), nameof(Tag), nameof(Member)];

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
