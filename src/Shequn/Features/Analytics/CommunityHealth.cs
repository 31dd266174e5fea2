using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

/// <summary>
/// One part of a health score: its weight (of 100), the raw figure behind it and its score 0–100; both null when the
/// part cannot be measured (no members, no questions asked, no capacity set), in which case its weight is left out.
/// </summary>
public sealed record HealthPartDto(string Key, int Weight, double? Raw, double? Score);

/// <summary>A community's health: the weighted mean of its measurable parts (null when none is).</summary>
public sealed record CommunityHealthDto(Guid CommunityId, string Name, CommunityState State, double? Score, IReadOnlyList<HealthPartDto> Parts);

public sealed record CommunityHealthReport(DateOnly From, DateOnly To, string TimeZone, IReadOnlyList<CommunityHealthDto> Items);

public sealed record HealthResult(EditOutcome Outcome, CommunityHealthReport? Value, Validation Validation);

/// <summary>
/// The community health score (issue 15; formula in docs/figures.md): seven parts over a period of the workspace's days
/// (default the last 30), each scored 0–100, combined by fixed weights. Everything comes from
/// <see cref="CommunityPeriod"/> (stored daily figures, memberships, questions, moderation cases), never message text.
/// </summary>
public sealed class CommunityHealth(CommunityPeriod period, AppDbContext db)
{
    public const int DefaultDays = 30;

    /// <summary>Average daily speakers ÷ members that scores 100 (one member in ten speaks on an average day).</summary>
    public const double FullActivityRate = 0.10;

    /// <summary>Members ÷ capacity that scores 100: the seeds split groups past 350 of 500.</summary>
    public const double BestFill = 0.70;

    public static readonly (string Key, int Weight)[] Weights =
    [
        ("activity", 25), ("growth", 10), ("retention", 10), ("response", 20), ("content", 15), ("enforcement", 10), ("fill", 10),
    ];

    public static bool MayRead(StaffProfile? me) => Responses.ResponseBoard.MaySeeFigures(me);

    /// <summary>The parts and the score of one community's period (pure: the tests compute it by hand).</summary>
    public static (double? Score, IReadOnlyList<HealthPartDto> Parts) Score(CommunityPeriodRow r)
    {
        ArgumentNullException.ThrowIfNull(r);
        static double Clamp(double x) => Math.Round(Math.Clamp(x, 0, 100), 2);
        (double?, double?) None = (null, null);
        var parts = new List<HealthPartDto>();
        foreach (var (key, weight) in Weights)
        {
            var (raw, score) = key switch
            {
                "activity" => r.MembersAtEnd == 0 ? None : Part(r.ActivityRate, Clamp(100 * r.ActivityRate / FullActivityRate)),
                // Net growth over the members at the start: flat scores 50, +10 % or more 100, −10 % or less 0.
                "growth" => r.MembersAtStart == 0 ? None : Growth((double)(r.MembersAtEnd - r.MembersAtStart) / r.MembersAtStart),
                // Share of those present at the start or joining during the period who did not leave.
                "retention" => r.MembersAtStart + r.Joins == 0 ? None : Retention(1 - (double)r.Leaves / (r.MembersAtStart + r.Joins)),
                "response" => r.ResponseRate is { } rate ? Part(rate, Clamp(100 * rate)) : None,
                // Share of the period's days on which staff posted at least once.
                "content" => r.Days == 0 ? None : Share((double)r.DaysWithStaffMessages / r.Days),
                // Moderation cases per 100 member messages: none 100, each case per 100 messages costs 20 points.
                "enforcement" => Enforcement(100.0 * r.ModerationCases / Math.Max(1, r.MemberMessages)),
                "fill" => r.Capacity <= 0 ? None : Fill((double)r.MembersAtEnd / r.Capacity),
                _ => None,
            };
            parts.Add(new HealthPartDto(key, weight, raw is null ? null : Math.Round(raw.Value, 4), score));
        }
        var scored = parts.Where(p => p.Score is not null).ToList();
        var total = scored.Sum(p => p.Weight);
        double? result = total == 0 ? null : Math.Round(scored.Sum(p => p.Weight * p.Score!.Value) / total, 1);
        return (result, parts);

        static (double?, double?) Part(double raw, double score) => (raw, score);
        static (double?, double?) Growth(double g) => (g, Clamp(50 + 500 * g));
        static (double?, double?) Retention(double k) => (k, Clamp(100 * k));
        static (double?, double?) Share(double s) => (s, Clamp(100 * s));
        static (double?, double?) Enforcement(double per100) => (per100, Clamp(100 - 20 * per100));
        // Up to the best fill the score rises; past it, a group heading for full loses up to 40 points at capacity.
        static (double?, double?) Fill(double f) => (f, Clamp(f <= BestFill ? 100 * f / BestFill : 100 - 40 * (f - BestFill) / (1 - BestFill)));
    }

    public async Task<HealthResult> ReportAsync(string? from, string? to, string? communityId, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var (first, last, v) = await period.PeriodAsync(null, from, to, DefaultDays, ct);
        Guid? only = null;
        if (!string.IsNullOrWhiteSpace(communityId))
        {
            if (Guid.TryParse(communityId.Trim(), out var c))
                only = c;
            else
                v.Add("communityId", "Malformed", "'communityId' must be a community id (a GUID).");
        }
        if (!MayRead(me))
            return new(EditOutcome.Forbidden, null, v);
        if (!v.IsValid)
            return new(EditOutcome.Invalid, null, v);
        if (only is { } id && !await db.Visible(me).AnyAsync(x => x.Id == id, ct))
            return new(EditOutcome.NotFound, null, v);
        var rows = await period.ReadAsync(me, first, last, only is null ? null : [only.Value], ct) ?? [];
        var items = rows.Select(r =>
        {
            var (score, parts) = Score(r);
            return new CommunityHealthDto(r.CommunityId, r.Name, r.State, score, parts);
        })
            // Weakest first: the page is read to find the groups that need help.
            .OrderBy(x => x.Score ?? double.MaxValue).ThenBy(x => x.Name, StringComparer.Ordinal).ToList();
        var zone = await period.ZoneAsync(ct);
        return new(EditOutcome.Saved, new CommunityHealthReport(first, last, zone.Id, items), v);
    }

    public static async Task<Results<Ok<CommunityHealthReport>, ValidationProblem, NotFound, ProblemHttpResult>> Get(
        CommunityHealth health, string? from, string? to, string? communityId, CancellationToken ct)
    {
        var result = await health.ReportAsync(from, to, communityId, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Value!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "KOCs do not read community health."),
        };
    }
}
