using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Calendar;

/// <summary>A marketing date as the API gives it: named in the caller's language.</summary>
public sealed record MarketingDateDto(string Key, string Name, MarketingDateKind Kind, DateOnly Day, DateOnly? Until);

/// <summary>The annual marketing calendar: holidays, festivals and shopping festivals of a year, for every staff member.</summary>
public static class CalendarEndpoints
{
    public static RouteGroupBuilder MapCalendarEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/calendar").WithTags("Marketing calendar");
        group.MapGet("/dates", Dates).WithName("GetMarketingDates");
        return group;
    }

    /// <summary>The year's dates (this year in China's time when none is given), in date order.</summary>
    public static Results<Ok<List<MarketingDateDto>>, ValidationProblem> Dates(IStringLocalizer<Strings> l, TimeProvider time, int? year)
    {
        var y = year ?? time.GetUtcNow().ToOffset(TimeSpan.FromHours(8)).Year;
        if (y < MarketingDates.MinYear || y > MarketingDates.MaxYear)
        {
            return new Validation().Add("year", "Calendar.YearOutOfRange",
                $"'year' must be from {MarketingDates.MinYear} to {MarketingDates.MaxYear} (got {y}).", MarketingDates.MinYear, MarketingDates.MaxYear, y).Problem();
        }
        return TypedResults.Ok(MarketingDates.For(y).Select(d => new MarketingDateDto(d.Key, l["Calendar." + d.Key], d.Kind, d.Day, d.Until)).ToList());
    }
}
