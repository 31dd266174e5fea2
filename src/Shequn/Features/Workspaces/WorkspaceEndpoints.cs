using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;

namespace Shequn.Features.Workspaces;

public static class WorkspaceEndpoints
{
    public static RouteGroupBuilder MapWorkspaceEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/workspace", Get).WithTags("Workspace").WithName("GetWorkspace")
            .WithSummary("The workspace: its name, time zone (IANA id) and the current time there, the member lifecycle thresholds and the members' language");
        api.MapPut("/workspace", Put).WithTags("Workspace").WithName("UpdateWorkspace")
            .WithSummary("Change the workspace's time zone, member lifecycle thresholds or members' language (owner only); a field left out stays")
            .WithDescription("Daily figures are bucketed by the workspace's zone as events are processed: a change applies to " +
                "events processed from then on; days already counted are not recounted. The console shows times in the new zone at once. " +
                "lifecycle {newDays, silentDays, churnDays} (1–365 days, churnDays > silentDays) applies at the next hourly computation of members' stages. " +
                "language (zh-CN, the default, or en) words what Shequn writes to members where no script gives the words: a VIP invitation's " +
                "private message, the profile form (the member can still switch). " +
                "keepMessageTextDays (0 = keep, 1–3650) clears members' raw message text, media ids and case and question texts older than that " +
                "many days, hourly; counts and figures stay.");
        api.MapPost("/workspace/purge", RequestPurge).WithTags("Workspace").WithName("RequestWorkspacePurge")
            .WithSummary("Ask for the whole workspace to be deleted after the grace period (owner only; confirmName must be the workspace's name)")
            .WithDescription("Every row of the workspace in every table is deleted when the grace period (7 days by default) is over; " +
                "until then DELETE /api/workspace/purge cancels. Asking again changes nothing. Audited as a security event.");
        api.MapDelete("/workspace/purge", CancelPurge).WithTags("Workspace").WithName("CancelWorkspacePurge")
            .WithSummary("Cancel a pending purge (owner only); 404 when none is pending");
        return api;
    }

    public static async Task<Results<Ok<WorkspaceDto>, NotFound>> Get(WorkspaceSettings settings, CancellationToken ct) =>
        await settings.ReadAsync(ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Ok<WorkspaceDto>, ValidationProblem, NotFound, ProblemHttpResult>> Put(
        WorkspaceSettings settings, WorkspaceInput input, CancellationToken ct)
    {
        var result = await settings.UpdateAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await settings.ReadAsync(ct))!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<WorkspacePurgeDto>, ValidationProblem, NotFound, ProblemHttpResult>> RequestPurge(
        WorkspacePurge purge, WorkspacePurgeInput input, CancellationToken ct)
    {
        var result = await purge.RequestAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Purge!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> CancelPurge(WorkspacePurge purge, CancellationToken ct)
    {
        var result = await purge.CancelAsync(ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }
}
