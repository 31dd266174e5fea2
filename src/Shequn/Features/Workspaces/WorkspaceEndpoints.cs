using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;

namespace Shequn.Features.Workspaces;

public static class WorkspaceEndpoints
{
    public static RouteGroupBuilder MapWorkspaceEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/workspace", Get).WithTags("Workspace").WithName("GetWorkspace")
            .WithSummary("The workspace: its name and time zone (IANA id), and the current time there");
        api.MapPut("/workspace", Put).WithTags("Workspace").WithName("UpdateWorkspace")
            .WithSummary("Change the workspace's time zone (owner only)")
            .WithDescription("Daily figures are bucketed by the workspace's zone as events are processed: a change applies to " +
                "events processed from then on; days already counted are not recounted. The console shows times in the new zone at once.");
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
}
