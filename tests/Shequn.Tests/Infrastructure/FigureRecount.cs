using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Events;

namespace Shequn.Tests.Infrastructure;

/// <summary>Counts the daily figures again from the raw log, independently of the processor's incremental path.</summary>
public static class FigureRecount
{
    public sealed record Counts(int Joins, int Leaves, int Messages, int StaffMessages, int Speakers, int DeletedMessages);

    /// <summary>Days are those of <paramref name="zone"/> (the workspace's default zone when not given).</summary>
    public static async Task<Dictionary<(Guid Community, DateOnly Day), Counts>> FromLogAsync(AppDbContext db, Guid workspaceId, TimeZoneInfo? zone = null)
    {
        zone ??= Shequn.Features.Workspaces.WorkspaceZones.Default;
        var ct = TestContext.Current.CancellationToken;
        var events = await db.Set<CommunityEvent>().AsNoTracking().Where(e => e.WorkspaceId == workspaceId).ToListAsync(ct);
        var skipped = (await db.Set<SkippedEvent>().AsNoTracking().Where(s => s.WorkspaceId == workspaceId).Select(s => s.Seq).ToListAsync(ct)).ToHashSet();
        var chats = await db.Set<PlatformChat>().IgnoreQueryFilters().AsNoTracking().Where(p => p.WorkspaceId == workspaceId)
            .ToDictionaryAsync(p => (p.Platform, p.ChatId), p => p.CommunityId, ct);
        var result = new Dictionary<(Guid, DateOnly), Counts>();
        var speakers = new HashSet<(Guid, DateOnly, string)>();
        foreach (var e in events.Where(e => !skipped.Contains(e.Seq)))
        {
            var community = e.CommunityId ?? chats[(e.Platform, e.ChatId!)];
            var key = (community, DailyFigures.DayOf(e.OccurredAt, zone));
            var c = result.GetValueOrDefault(key, new Counts(0, 0, 0, 0, 0, 0));
            c = e.Kind switch
            {
                EventKind.MemberJoined => c with { Joins = c.Joins + 1 },
                EventKind.MemberLeft or EventKind.MemberRemoved => c with { Leaves = c.Leaves + 1 },
                EventKind.MessagePosted when e.FromStaff => c with { Messages = c.Messages + 1, StaffMessages = c.StaffMessages + 1 },
                EventKind.MessagePosted => c with
                {
                    Messages = c.Messages + 1,
                    Speakers = c.Speakers + (speakers.Add((community, key.Item2, $"{e.Platform}:{e.UserId}")) ? 1 : 0),
                },
                EventKind.MessageDeleted => c with { DeletedMessages = c.DeletedMessages + 1 },
                _ => c,
            };
            result[key] = c;
        }
        return result;
    }

    public static async Task<Dictionary<(Guid Community, DateOnly Day), Counts>> StoredAsync(AppDbContext db, Guid workspaceId) =>
        await db.Set<CommunityDailyFigure>().IgnoreQueryFilters().AsNoTracking().Where(f => f.WorkspaceId == workspaceId)
            .ToDictionaryAsync(f => (f.CommunityId, f.Day), f => new Counts(f.Joins, f.Leaves, f.Messages, f.StaffMessages, f.Speakers, f.DeletedMessages),
                TestContext.Current.CancellationToken);

    /// <summary>Both sides, with days where everything is zero left out, as sorted lines that read well in a failure.</summary>
    public static (string Expected, string Actual) Compare(
        Dictionary<(Guid Community, DateOnly Day), Counts> recount, Dictionary<(Guid Community, DateOnly Day), Counts> stored)
    {
        static string Lines(Dictionary<(Guid Community, DateOnly Day), Counts> d) => string.Join("\n", d
            .Where(kv => kv.Value != new Counts(0, 0, 0, 0, 0, 0))
            .OrderBy(kv => kv.Key.Community).ThenBy(kv => kv.Key.Day)
            .Select(kv => $"{kv.Key.Community} {kv.Key.Day:yyyy-MM-dd} {kv.Value}"));
        return (Lines(recount), Lines(stored));
    }
}
