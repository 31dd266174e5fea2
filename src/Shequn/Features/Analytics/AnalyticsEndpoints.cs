namespace Shequn.Features.Analytics;

/// <summary><c>/api/analytics</c>: figures measured across communities (issue 15).</summary>
public static class AnalyticsEndpoints
{
    public static void MapAnalyticsEndpoints(RouteGroupBuilder api)
    {
        var analytics = api.MapGroup("/analytics").WithTags("Analytics");
        analytics.MapGet("/cohorts", Cohorts).WithName("GetRetentionCohorts")
            .WithDescription("Retention cohorts by join week or by channel (by=week|channel) for the weeks holding from..to (yyyy-MM-dd, workspace days, weeks from "
                + "Monday; default the last 12 complete weeks and the current one), optionally one community (communityId). For 1, 2, 4, 8 and 12 weeks: the "
                + "joins counted (base: those whose join week is that many weeks past), those still in the community at join + N weeks through any of their "
                + "memberships there, and those who spoke there in the 7 days before that day; null where no join has reached the offset. From stored rows "
                + "over the communities the caller sees; 403 for KOCs.");
        FigureEndpoints.MapFigureEndpoints(analytics);
    }

    private static async Task<IResult> Cohorts(RetentionCohorts cohorts, string? by, string? from, string? to, string? communityId, CancellationToken ct)
    {
        var (first, last, v) = await cohorts.PeriodAsync(from, to, ct);
        var group = v.ParseEnum<CohortBy>("by", by) ?? CohortBy.Week;
        var community = await cohorts.CommunityAsync(communityId, v, ct);
        if (!v.IsValid)
            return v.Problem();
        return await cohorts.ReportAsync(group, first, last, community, ct) is { } report
            ? TypedResults.Ok(report)
            : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs do not read retention cohorts.");
    }
}
