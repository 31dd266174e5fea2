using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

/// <summary>
/// One member of the ranking. <paramref name="Score"/> is the PageRank (all scores of the range sum to 1);
/// <paramref name="Relative"/> is the score times the number of members in the graph (1 = an average member).
/// <paramref name="Engagers"/>: distinct members who replied to or mentioned them (in-degree); <paramref name="Engaged"/>:
/// distinct members they replied to or mentioned (out-degree).
/// </summary>
public sealed record KocRankDto(int Rank, Guid MemberId, string Name, MemberLayer Layer, double Score, double Relative,
    int Messages, int RepliesReceived, int MentionsReceived, int Engagers, int Engaged);

public sealed record KocRankingDto(DateOnly From, DateOnly To, string TimeZone, Guid? CommunityId, int Members, int Iterations,
    IReadOnlyList<KocRankDto> Items);

public sealed record KocRankingResult(EditOutcome Outcome, KocRankingDto? Value, Validation Validation);

/// <summary>PageRank over a weighted directed graph of nodes 0..n-1.</summary>
public static class PageRank
{
    public const double Damping = 0.85;
    public const double Tolerance = 1e-6;
    public const int MaxIterations = 100;

    /// <summary>
    /// Scores summing to 1: each round a node keeps (1-d)/n, and passes d times its score along its out-edges in proportion
    /// to their weights; a node with no out-edge (dangling) spreads its share evenly over all nodes. Stops when the scores
    /// move less than <see cref="Tolerance"/> in total (L1) or after <see cref="MaxIterations"/> rounds.
    /// Edges with a non-positive weight and self-loops are ignored.
    /// </summary>
    public static (double[] Scores, int Iterations) Compute(int n, IEnumerable<(int From, int To, double Weight)> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        if (n == 0)
            return ([], 0);
        var outWeight = new double[n];
        var list = edges.Where(e => e.Weight > 0 && e.From != e.To).ToArray();
        foreach (var (from, _, w) in list)
            outWeight[from] += w;
        var scores = Enumerable.Repeat(1.0 / n, n).ToArray();
        var next = new double[n];
        var iterations = 0;
        while (iterations < MaxIterations)
        {
            iterations++;
            var dangling = 0.0;
            for (var i = 0; i < n; i++)
            {
                if (outWeight[i] == 0)
                    dangling += scores[i];
            }
            var baseline = (1 - Damping) / n + Damping * dangling / n;
            Array.Fill(next, baseline);
            foreach (var (from, to, w) in list)
                next[to] += Damping * scores[from] * w / outWeight[from];
            var change = 0.0;
            for (var i = 0; i < n; i++)
                change += Math.Abs(next[i] - scores[i]);
            (scores, next) = (next, scores);
            if (change < Tolerance)
                break;
        }
        return (scores, iterations);
    }
}

/// <summary>
/// The KOC ranking (issue 15), shared by the API and the console page: over the communities the viewer sees (or one of
/// them) and a range of the workspace's days (default the last 30, to today), the stored interaction edges are summed into
/// a weighted directed graph (weight = replies + mentions) and ranked by <see cref="PageRank"/>. Members who only posted
/// are nodes too (with no edges). Reads only <see cref="InteractionEdge"/> rows, never messages. KOCs may not read it.
/// </summary>
public sealed class KocRanking(AppDbContext db, WorkspaceZones zones, TimeProvider time)
{
    public const int DefaultDays = 30;
    public const int MaxDays = 366;
    public const int DefaultTop = 50;
    public const int MaxTop = 500;

    public static bool MaySee(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    public async Task<KocRankingResult> RankAsync(string? communityId, string? from, string? to, string? top, CancellationToken ct)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MaySee(me))
            return new(EditOutcome.Forbidden, null, validation);
        var ws = db.CurrentWorkspaceId;
        var zone = await zones.GetAsync(ws, ct);
        Guid? community = null;
        if (!string.IsNullOrWhiteSpace(communityId))
        {
            if (Guid.TryParse(communityId.Trim(), out var c))
                community = c;
            else
                validation.Add("communityId", "Malformed", "'communityId' must be a community id (a GUID).");
        }
        var period = DayPeriod.Read(validation, from, to, zone, time.GetUtcNow().UtcDateTime, lastDay => lastDay.AddDays(-(DefaultDays - 1)),
            CommunityPeriod.PeriodCode, MaxDays, anchorOnLast: true);
        var (first, last) = (period.First, period.Last);
        var count = DefaultTop;
        if (!string.IsNullOrWhiteSpace(top) && (!int.TryParse(top.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxTop))
            validation.Add("top", "OutOfRange", $"'top' must be a whole number from 1 to {MaxTop}.", 1, MaxTop);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var visible = db.Visible(me);
        if (community is { } only)
        {
            if (!await visible.AnyAsync(c => c.Id == only, ct))
                return new(EditOutcome.NotFound, null, validation);
            visible = visible.Where(c => c.Id == only);
        }
        var communities = await visible.Select(c => c.Id).ToListAsync(ct);
        // Summed per pair in the database: a pair's days and communities come back as one row.
        var pairs = communities.Count == 0 ? [] : await db.Set<InteractionEdge>().AsNoTracking()
            .Where(e => e.WorkspaceId == ws && communities.Contains(e.CommunityId) && e.Day >= first && e.Day <= last)
            .GroupBy(e => new { e.FromMemberId, e.ToMemberId })
            .Select(g => new { g.Key.FromMemberId, g.Key.ToMemberId, Replies = g.Sum(e => e.Replies), Mentions = g.Sum(e => e.Mentions), Messages = g.Sum(e => e.Messages) })
            .ToListAsync(ct);

        // A member merged into another counts as that one (the edges stay as stored, so an unmerge splits them again); an
        // edge between the two becomes a self-edge and drops out like any other.
        var into = (await db.Set<Members.MemberMerge>().AsNoTracking().Where(m => m.UnmergedAt == null)
            .Select(m => new { m.MergedMemberId, m.IntoMemberId }).ToListAsync(ct)).ToDictionary(m => m.MergedMemberId, m => m.IntoMemberId);
        Guid Kept(Guid member)
        {
            for (var hops = 0; hops < 16 && into.TryGetValue(member, out var next); hops++)
                member = next;
            return member;
        }
        if (into.Count > 0)
        {
            pairs = [.. pairs.GroupBy(p => (From: Kept(p.FromMemberId), To: Kept(p.ToMemberId)))
                .Select(g => new { FromMemberId = g.Key.From, ToMemberId = g.Key.To, Replies = g.Sum(p => p.Replies), Mentions = g.Sum(p => p.Mentions), Messages = g.Sum(p => p.Messages) })];
        }

        var index = new Dictionary<Guid, int>();
        var ids = new List<Guid>();
        int Node(Guid member)
        {
            if (!index.TryGetValue(member, out var i))
            {
                index[member] = i = ids.Count;
                ids.Add(member);
            }
            return i;
        }
        var edges = new List<(int, int, double)>();
        foreach (var p in pairs)
        {
            var f = Node(p.FromMemberId);
            var t = Node(p.ToMemberId);
            if (f != t && p.Replies + p.Mentions > 0)
                edges.Add((f, t, p.Replies + p.Mentions));
        }
        var n = ids.Count;
        var (scores, iterations) = PageRank.Compute(n, edges);
        var messages = new int[n];
        var replies = new int[n];
        var mentions = new int[n];
        var engagers = new int[n];
        var engaged = new int[n];
        foreach (var p in pairs)
        {
            var f = index[p.FromMemberId];
            var t = index[p.ToMemberId];
            if (f == t)
            {
                messages[f] += p.Messages;
                continue;
            }
            replies[t] += p.Replies;
            mentions[t] += p.Mentions;
            if (p.Replies + p.Mentions > 0)
            {
                engagers[t]++;
                engaged[f]++;
            }
        }

        // Ties (the many who only posted) by engagers, then messages, then name.
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenByDescending(i => engagers[i]).ThenByDescending(i => messages[i]).ToList();
        var wanted = order.Take(count + 32).Select(i => ids[i]).ToList();
        var people = await db.Members.AsNoTracking().Where(m => wanted.Contains(m.Id))
            .Select(m => new { m.Id, m.DisplayName, m.Layer }).ToDictionaryAsync(m => m.Id, ct);
        // A member since erased or merged away has no row: left out, the rest keep their order.
        var items = order.Where(i => people.ContainsKey(ids[i])).Take(count)
            .Select((i, k) => new KocRankDto(k + 1, ids[i], people[ids[i]].DisplayName, people[ids[i]].Layer, Math.Round(scores[i], 8),
                Math.Round(scores[i] * n, 4), messages[i], replies[i], mentions[i], engagers[i], engaged[i]))
            .ToList();
        return new(EditOutcome.Saved, new KocRankingDto(first, last, zone.Id, community, n, iterations, items), validation);
    }
}

public static class KocRankingEndpoints
{
    public static RouteGroupBuilder MapKocRankingEndpoints(this RouteGroupBuilder api)
    {
        api.MapGroup("/analytics").WithTags("Analytics").MapGet("/koc", Rank).WithName("GetKocRanking")
            .WithDescription("Members ranked by PageRank over who replies to and mentions whom (weight = replies + mentions), over the "
                + "communities the viewer sees or one (communityId), for the days from..to (yyyy-MM-dd in the workspace's time zone; default "
                + "the last 30 days), the first `top` (default 50, at most 500). Staff are not members of the graph. KOCs may not read it.");
        return api;
    }

    public static async Task<Results<Ok<KocRankingDto>, ValidationProblem, NotFound, ProblemHttpResult>> Rank(
        AppDbContext db, WorkspaceZones zones, TimeProvider time, string? communityId, string? from, string? to, string? top, CancellationToken ct)
    {
        var result = await new KocRanking(db, zones, time).RankAsync(communityId, from, to, top, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Value!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs do not read the KOC ranking."),
        };
    }
}

public static class KocRankingSetup
{
    /// <summary>The interaction graph's reaction (after the others: it only counts).</summary>
    public static IHostApplicationBuilder AddShequnKocRanking(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IBatchReaction, InteractionGraphReaction>();
        return builder;
    }
}
