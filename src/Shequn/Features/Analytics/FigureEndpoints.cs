using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Analytics;

/// <summary>Health, rankings and competitions, staff KPIs and the figures table under <c>/api/analytics</c> (issue 15).</summary>
public static class FigureEndpoints
{
    private const string Period = "Period: period=week (Monday to Sunday) or month (the calendar month) holding `to` (default today), "
        + "or from..to (yyyy-MM-dd, workspace days).";

    public static void MapFigureEndpoints(RouteGroupBuilder analytics)
    {
        ArgumentNullException.ThrowIfNull(analytics);
        analytics.MapGet("/health", CommunityHealth.Get).WithName("GetCommunityHealth")
            .WithDescription("A 0-100 health score per community the caller sees (or one, communityId) over from..to (yyyy-MM-dd, workspace days; "
                + "default the last 30), with its parts: activity, growth, retention, response, content, enforcement, fill, each with weight, raw "
                + "figure and score (null when not measurable; its weight is then left out). Weakest first. Formula in docs/figures.md. 403 for KOCs.");

        analytics.MapGet("/rankings/settings", Settings).WithName("GetRankingWeights")
            .WithDescription("The workspace's ranking weights (0-100 each: newMembers, activeMembers, memberMessages, responseRate, orders, revenue, "
                + "campaignAchievement) and whether the caller may change them. Owners, sub-owners and admins.");
        analytics.MapPut("/rankings/settings", SaveSettings).WithName("PutRankingWeights")
            .WithDescription("Sets the ranking weights (owners only; audited). Each weight a whole number 0-100, not all 0; a missing weight is 0.");
        analytics.MapGet("/rankings", Ranking).WithName("GetCommunityRanking")
            .WithDescription("Communities the caller sees ranked by the weighted score: each figure over the best community's times 100, weighted mean. "
                + Period + " Default: this week. Owners, sub-owners and admins.");
        analytics.MapGet("/competitions", Competitions).WithName("ListCompetitions")
            .WithDescription("Competitions between communities with at least one community the caller sees.");
        analytics.MapPost("/competitions", CreateCompetition).WithName("CreateCompetition")
            .WithDescription("Creates a competition: name, from, to (yyyy-MM-dd), communityIds (at least 2), optional weights of its own. Owners only; audited.");
        analytics.MapGet("/competitions/{id:guid}", Standing).WithName("GetCompetition")
            .WithDescription("A competition and its standing (ranking and leader) over its communities the caller sees.");
        analytics.MapDelete("/competitions/{id:guid}", DeleteCompetition).WithName("DeleteCompetition")
            .WithDescription("Deletes a competition. Owners only; audited.");

        analytics.MapGet("/staff", Staff).WithName("GetStaffKpis")
            .WithDescription("KPIs per staff member for their role (product.md section 1): owner, sub-owner, admin, operator, KOC. " + Period
                + " Default: this month. Owners see everyone, sub-owners themselves and their communities' staff, others themselves; 403 for KOCs.");

        analytics.MapGet("/figures", Figures).WithName("GetFigureTable")
            .WithDescription("Figures by day, week (Monday to Sunday) or month in the workspace's zone for scope=workspace|community|staff (id of the "
                + "community or staff member): new communities, new members, leaves, active members, messages (member/staff), topic sessions, "
                + "questions, response rate, median first answer, tags added and auto-tag accuracy, key customers (VIP candidates invited), orders, net revenue (fen), campaign "
                + "achievement, cost (fen). from..to (yyyy-MM-dd) widened to whole periods; default the last 30 days, 12 weeks or 6 months; "
                + $"at most {FigureTable.MaxRows} rows. 403 for KOCs.");
    }

    private static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: detail);

    private static async Task<Results<Ok<ScoreSettingsDto>, ProblemHttpResult>> Settings(CommunityScores scores, CancellationToken ct) =>
        await scores.SettingsAsync(ct) is { } s ? TypedResults.Ok(s) : Forbidden("Owners, sub-owners and admins read the rankings.");

    private static async Task<Results<Ok<ScoreSettingsDto>, ValidationProblem, ProblemHttpResult>> SaveSettings(
        CommunityScores scores, ScoreWeightsInput? input, CancellationToken ct)
    {
        var r = await scores.SaveSettingsAsync(input, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(r.Value!),
            EditOutcome.Invalid => r.Validation.Problem(),
            _ => Forbidden("Only the workspace owner sets the ranking weights."),
        };
    }

    private static async Task<Results<Ok<RankingDto>, ValidationProblem, ProblemHttpResult>> Ranking(
        CommunityScores scores, string? period, string? from, string? to, CancellationToken ct)
    {
        var r = await scores.RankingAsync(period, from, to, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(r.Value!),
            EditOutcome.Invalid => r.Validation.Problem(),
            _ => Forbidden("Owners, sub-owners and admins read the rankings."),
        };
    }

    private static async Task<Results<Ok<IReadOnlyList<CompetitionDto>>, ProblemHttpResult>> Competitions(CommunityScores scores, CancellationToken ct) =>
        await scores.CompetitionsAsync(ct) is { } list ? TypedResults.Ok(list) : Forbidden("Owners, sub-owners and admins read the competitions.");

    private static async Task<Results<Created<CompetitionDto>, ValidationProblem, ProblemHttpResult>> CreateCompetition(
        CommunityScores scores, CompetitionInput? input, CancellationToken ct)
    {
        var r = await scores.CreateCompetitionAsync(input, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/analytics/competitions/{r.Value!.Id}", r.Value),
            EditOutcome.Invalid => r.Validation.Problem(),
            _ => Forbidden("Only the workspace owner sets up competitions."),
        };
    }

    private static async Task<Results<Ok<CompetitionStandingDto>, NotFound, ProblemHttpResult>> Standing(CommunityScores scores, Guid id, CancellationToken ct)
    {
        var r = await scores.StandingAsync(id, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(r.Value!),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden("Owners, sub-owners and admins read the competitions."),
        };
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteCompetition(CommunityScores scores, Guid id, CancellationToken ct) =>
        await scores.DeleteCompetitionAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden("Only the workspace owner removes competitions."),
        };

    private static async Task<Results<Ok<StaffKpiReport>, ValidationProblem, ProblemHttpResult>> Staff(
        StaffKpis kpis, string? period, string? from, string? to, CancellationToken ct)
    {
        var r = await kpis.ReportAsync(period, from, to, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(r.Value!),
            EditOutcome.Invalid => r.Validation.Problem(),
            _ => Forbidden("KOCs do not read staff KPIs."),
        };
    }

    private static async Task<Results<Ok<FigureTableDto>, ValidationProblem, NotFound, ProblemHttpResult>> Figures(
        FigureTable table, string? scope, string? id, string? by, string? from, string? to, CancellationToken ct)
    {
        var r = await table.ReadAsync(scope, id, by, from, to, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(r.Value!),
            EditOutcome.Invalid => r.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => Forbidden("KOCs do not read the figures."),
        };
    }
}
