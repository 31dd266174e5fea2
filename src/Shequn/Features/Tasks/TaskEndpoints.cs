using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Platform.Api;

namespace Shequn.Features.Tasks;

public static class TaskEndpoints
{
    public static RouteGroupBuilder MapTaskEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tasks").WithTags("Tasks");
        group.MapGet("/", List).WithName("ListTasks")
            .WithDescription("Staff tasks (what a platform cannot do, done by hand). Filters: scope (mine, myCommunities, all; default all: "
                + "everything you may see), status (open, done, couldNot), overdue (true: open and past due), communityId. Open tasks first, "
                + "soonest due first. Paged with page and pageSize. KOCs have no tasks (403).");
        group.MapGet("/{id:guid}", Get).WithName("GetTask");
        group.MapPost("/{id:guid}/done", Done).WithName("CompleteTask")
            .WithDescription("Marks an open task done, with an optional note; its action becomes done. A closed task answers 409.");
        group.MapPost("/{id:guid}/could-not", CouldNot).WithName("GiveUpTask")
            .WithDescription("Marks an open task as could not be done; the note (why) is required. Its action becomes failed. A closed task answers 409.");
        return group;
    }

    public static async Task<Results<Ok<Page<TaskDto>>, ValidationProblem, ProblemHttpResult>> List(
        TaskInbox inbox, string? scope, string? status, bool? overdue, Guid? communityId, int? page, int? pageSize, CancellationToken ct)
    {
        var validation = new Validation();
        var scopeValue = TaskScope.All;
        if (!string.IsNullOrWhiteSpace(scope) && !EventInputs.TryParseEnum(scope, out scopeValue))
            validation.Add("scope", "UnknownValue", $"'scope' has an unknown value '{scope}'; expected one of {EventInputs.Spellings<TaskScope>()}.", scope);
        StaffTaskStatus? statusValue = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (EventInputs.TryParseEnum<StaffTaskStatus>(status, out var s))
                statusValue = s;
            else
                validation.Add("status", "UnknownValue", $"'status' has an unknown value '{status}'; expected one of {EventInputs.Spellings<StaffTaskStatus>()}.", status);
        }
        if (!validation.IsValid)
            return validation.Problem();
        var rows = await inbox.ListAsync(new TaskFilter(scopeValue, statusValue, overdue, communityId), page, pageSize, ct);
        return rows is null ? CommunityEndpoints.Forbidden(TaskInbox.KocRefusal) : TypedResults.Ok(rows);
    }

    public static async Task<Results<Ok<TaskDto>, NotFound>> Get(TaskInbox inbox, Guid id, CancellationToken ct) =>
        await inbox.GetAsync(id, ct) is { } task ? TypedResults.Ok(task) : TypedResults.NotFound();

    public static Task<Results<Ok<TaskDto>, ValidationProblem, NotFound, ProblemHttpResult>> Done(TaskInbox inbox, Guid id, TaskCloseInput? input, CancellationToken ct) =>
        CloseAsync(inbox, id, StaffTaskStatus.Done, input, ct);

    public static Task<Results<Ok<TaskDto>, ValidationProblem, NotFound, ProblemHttpResult>> CouldNot(TaskInbox inbox, Guid id, TaskCloseInput? input, CancellationToken ct) =>
        CloseAsync(inbox, id, StaffTaskStatus.CouldNot, input, ct);

    private static async Task<Results<Ok<TaskDto>, ValidationProblem, NotFound, ProblemHttpResult>> CloseAsync(
        TaskInbox inbox, Guid id, StaffTaskStatus outcome, TaskCloseInput? input, CancellationToken ct)
    {
        var result = await inbox.CloseAsync(id, outcome, input?.Note, ct);
        return result.Outcome switch
        {
            TaskCloseOutcome.Closed => TypedResults.Ok(result.Task!),
            TaskCloseOutcome.Invalid => result.Validation.Problem(),
            TaskCloseOutcome.NotFound => TypedResults.NotFound(),
            TaskCloseOutcome.AlreadyClosed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Task already closed",
                detail: $"This task was already closed ({Spelling(result.Task!.Status)}) by {result.Task.ClosedByName ?? "another staff member"} "
                    + $"at {result.Task.ClosedAt:yyyy-MM-ddTHH:mm:ssZ}; it cannot be closed again."),
            _ => CommunityEndpoints.Forbidden(TaskInbox.KocRefusal),
        };
    }

    private static string Spelling(StaffTaskStatus status) => status == StaffTaskStatus.CouldNot ? "could not" : "done";
}
