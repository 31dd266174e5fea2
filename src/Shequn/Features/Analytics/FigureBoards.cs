using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Profiles;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Analytics;

/// <summary>Makes the figure readers for a database context: console pages use a context of their own per load.</summary>
public sealed class FigureBoards(ResponseBoards responses, WorkspaceZones zones, TimeProvider time, PostSchedulerSignal signal, IOptions<ProfilesOptions> profiles)
{
    public CommunityPeriod Period(AppDbContext db) => new(db, responses, zones, time, signal, profiles);

    public CommunityHealth Health(AppDbContext db) => new(Period(db), db);

    public CommunityScores Scores(AppDbContext db) => new(db, Period(db), time);

    public StaffKpis Staff(AppDbContext db) => new(db, Period(db), responses);

    public FigureTable Table(AppDbContext db) => new(db, Period(db), responses, time);
}
