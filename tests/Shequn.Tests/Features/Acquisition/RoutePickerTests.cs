using Shequn.Features.Acquisition;

namespace Shequn.Tests.Features.Acquisition;

/// <summary>The routing policies' edge cases: full, over the operating limit, closed, all full, choices and the round-robin turn.</summary>
public sealed class RoutePickerTests
{
    private static List<RouteSeat> Seats(params (int Filled, int Cap, string? Choice, bool Open)[] rows) =>
        [.. rows.Select((r, i) => new RouteSeat { Id = Guid.NewGuid(), Position = i, Filled = r.Filled, Cap = r.Cap, Choice = r.Choice, Open = r.Open })];

    private static int? Pick(List<RouteSeat> seats, RoutingPolicy policy, int target = 150, string? choice = null)
    {
        var next = 0;
        return Pick(seats, policy, ref next, target, choice);
    }

    private static int? Pick(List<RouteSeat> seats, RoutingPolicy policy, ref int next, int target = 150, string? choice = null) =>
        RoutePicker.Pick(seats, policy, target, choice, ref next) is { } s ? seats.IndexOf(s) : null;

    [Fact]
    public void FillToTarget_FillsEachInOrderToTheTarget_ThenTheLeastFullBelowItsCap()
    {
        var seats = Seats((148, 200, null, true), (10, 200, null, true));
        Assert.Equal(0, Pick(seats, RoutingPolicy.FillToTarget));
        Assert.Equal(0, Pick(seats, RoutingPolicy.FillToTarget));
        Assert.Equal(150, seats[0].Filled);
        // The first reached its target: the second takes the next visitors until it does too.
        Assert.Equal(1, Pick(seats, RoutingPolicy.FillToTarget));
        seats[1].Filled = 150;
        // Both at the target: the least full below the cap (ties go to the first).
        Assert.Equal(0, Pick(seats, RoutingPolicy.FillToTarget));
        Assert.Equal(1, Pick(seats, RoutingPolicy.FillToTarget));
    }

    [Fact]
    public void ARouteAtItsCap_OrClosed_IsSkipped_AndAllFullGivesNobody()
    {
        var seats = Seats((200, 200, null, true), (3, 200, null, false), (199, 200, null, true));
        Assert.Equal(2, Pick(seats, RoutingPolicy.FillToTarget));
        Assert.Equal(200, seats[2].Filled);
        Assert.Null(Pick(seats, RoutingPolicy.FillToTarget));
        Assert.Null(Pick(seats, RoutingPolicy.LeastFull));
        Assert.Null(Pick(seats, RoutingPolicy.RoundRobin));
        Assert.Null(Pick(seats, RoutingPolicy.ByChoice, choice: "上海"));
        Assert.Equal([200, 3, 200], seats.Select(s => s.Filled));
    }

    [Fact]
    public void LeastFull_TakesTheEmptiest_AndAGroupPastTheOperatingLimitIsNeverPicked()
    {
        // The third is over its cap (a group that grew past 350 by invitations): less full than nothing.
        var seats = Seats((120, 150, null, true), (90, 150, null, true), (400, 350, null, true));
        Assert.Equal(1, Pick(seats, RoutingPolicy.LeastFull));
        for (var i = 0; i < 29; i++)
            Pick(seats, RoutingPolicy.LeastFull);
        Assert.Equal(120, seats[1].Filled);
        Assert.Equal(120, seats[0].Filled);
        Assert.Equal(400, seats[2].Filled);
    }

    [Fact]
    public void ByChoice_RoutesToTheChosenLabel_FallsBackToUnlabelledGroups_NeverToAnotherLabel()
    {
        var seats = Seats((0, 2, "上海", true), (0, 2, "北京", true), (0, 2, null, true), (1, 2, "上海", true));
        Assert.Equal(0, Pick(seats, RoutingPolicy.ByChoice, choice: " 上海 "));
        Assert.Equal(0, Pick(seats, RoutingPolicy.ByChoice, choice: "上海"));
        Assert.Equal(3, Pick(seats, RoutingPolicy.ByChoice, choice: "上海"));
        // Shanghai's groups are full: the general group, not Beijing's.
        Assert.Equal(2, Pick(seats, RoutingPolicy.ByChoice, choice: "上海"));
        Assert.Equal(2, Pick(seats, RoutingPolicy.ByChoice, choice: null));
        Assert.Null(Pick(seats, RoutingPolicy.ByChoice, choice: "上海"));
        Assert.Equal(1, Pick(seats, RoutingPolicy.ByChoice, choice: "北京"));
    }

    [Fact]
    public void RoundRobin_TakesTurns_SkippingFullAndClosedRoutes_AndWrapsAround()
    {
        var seats = Seats((0, 10, null, true), (10, 10, null, true), (0, 10, null, false), (0, 10, null, true));
        var next = 0;
        var order = Enumerable.Range(0, 5).Select(_ => Pick(seats, RoutingPolicy.RoundRobin, ref next)).ToList();
        Assert.Equal([0, 3, 0, 3, 0], order);
        Assert.Equal(1, next);
    }
}
