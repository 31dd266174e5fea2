namespace Shequn.Features.Acquisition;

/// <summary>A route as the picker sees it: how full it is counted, its cap, and whether it can take anyone now.</summary>
public sealed class RouteSeat
{
    public required Guid Id { get; init; }
    public int Position { get; init; }
    public string? Choice { get; init; }
    public int Filled { get; set; }
    /// <summary>The lower of the code's operating limit and the community's own capacity.</summary>
    public int Cap { get; init; }
    /// <summary>The community is active and the route has a way in (a link, an unexpired QR, a WeCom config).</summary>
    public bool Open { get; init; }

    public bool HasRoom => Open && Filled < Cap;
}

/// <summary>
/// The routing policies (issue 14), pure: given the routes in order and how full each is counted, which one takes the
/// next visitor. The caller holds the routes' rows locked and writes back <see cref="RouteSeat.Filled"/> and the
/// round-robin position, so a pick is only ever made against the database's own counts.
/// </summary>
public static class RoutePicker
{
    /// <summary>The route taking the visitor (its <see cref="RouteSeat.Filled"/> already counted up), or null when none has room.</summary>
    /// <param name="routes">In <see cref="RouteSeat.Position"/> order.</param>
    /// <param name="next">Round robin's next position; moved past the route picked.</param>
    public static RouteSeat? Pick(IReadOnlyList<RouteSeat> routes, RoutingPolicy policy, int target, string? choice, ref int next)
    {
        var picked = policy switch
        {
            RoutingPolicy.LeastFull => LeastFull(routes, _ => true),
            RoutingPolicy.ByChoice => ByChoice(routes, target, choice),
            RoutingPolicy.RoundRobin => RoundRobin(routes, ref next),
            _ => FillToTarget(routes, target, _ => true),
        };
        if (picked is not null)
            picked.Filled++;
        return picked;
    }

    /// <summary>Each in order up to the target; past every target, the least full still below its cap.</summary>
    private static RouteSeat? FillToTarget(IReadOnlyList<RouteSeat> routes, int target, Func<RouteSeat, bool> allowed)
    {
        foreach (var r in routes)
        {
            if (allowed(r) && r.HasRoom && r.Filled < target)
                return r;
        }
        return LeastFull(routes, allowed);
    }

    private static RouteSeat? LeastFull(IReadOnlyList<RouteSeat> routes, Func<RouteSeat, bool> allowed)
    {
        RouteSeat? best = null;
        foreach (var r in routes)
        {
            if (allowed(r) && r.HasRoom && (best is null || r.Filled < best.Filled))
                best = r;
        }
        return best;
    }

    /// <summary>
    /// The routes labelled with the visitor's answer, least full first; none with room (or no answer): the routes with no
    /// label (general groups), filled in order. A visitor who chose 上海 is never sent to a group labelled 北京.
    /// </summary>
    private static RouteSeat? ByChoice(IReadOnlyList<RouteSeat> routes, int target, string? choice)
    {
        var wanted = choice?.Trim();
        if (!string.IsNullOrEmpty(wanted) && LeastFull(routes, r => Matches(r.Choice, wanted)) is { } match)
            return match;
        return FillToTarget(routes, target, r => string.IsNullOrWhiteSpace(r.Choice));
    }

    public static bool Matches(string? label, string choice) =>
        label is not null && string.Equals(label.Trim(), choice, StringComparison.OrdinalIgnoreCase);

    private static RouteSeat? RoundRobin(IReadOnlyList<RouteSeat> routes, ref int next)
    {
        if (routes.Count == 0)
            return null;
        var start = routes.Count;
        for (var i = 0; i < routes.Count; i++)
        {
            if (routes[i].Position >= next)
            {
                start = i;
                break;
            }
        }
        for (var k = 0; k < routes.Count; k++)
        {
            var r = routes[(start + k) % routes.Count];
            if (r.HasRoom)
            {
                next = r.Position + 1;
                return r;
            }
        }
        return null;
    }
}
