using Shequn.Features.Acquisition;

namespace Shequn.Features.Advisor;

/// <summary><c>/api/advisor</c>: what to do, with why and the numbers behind it (issue 15).</summary>
public static class AdvisorEndpoints
{
    public static void MapAdvisorEndpoints(RouteGroupBuilder api)
    {
        var advisor = api.MapGroup("/advisor").WithTags("Advisor");
        advisor.MapGet("/", async (AdviceDesk desk, bool? includeDismissed, CancellationToken ct) => TypedResults.Ok(await desk.ListAsync(includeDismissed == true, ct)))
            .WithName("ListAdvice")
            .WithDescription("Advice for the caller's communities (the owner: the workspace), most severe first: rule, subject (kind, id, name), severity, why "
                + "(key, English, args), numbers, fingerprint, actions and link; silent communities list their core members. Dismissed advice is left out "
                + "unless includeDismissed=true (then marked dismissed). Every role reads; rules about money follow the budget's roles.");
        advisor.MapPost("/dismiss", async (AdviceDesk desk, DismissInput? input, CancellationToken ct) => AcquisitionEndpoints.Answer(await desk.DismissAsync(input, ct)))
            .WithName("DismissAdvice")
            .WithDescription("Hides an advice (rule, subjectId, fingerprint as listed) until its facts change, i.e. until the advisor finds another fingerprint. "
                + "409 when the fingerprint is no longer the current one. Owners, sub-owners and admins.");
        advisor.MapPost("/undismiss", async (AdviceDesk desk, UndismissInput? input, CancellationToken ct) => AcquisitionEndpoints.Answer(await desk.UndismissAsync(input, ct)))
            .WithName("UndismissAdvice")
            .WithDescription("Shows a dismissed advice (rule, subjectId as listed) again now: its dismissal is deleted (audited). An advice that is not "
                + "dismissed is returned unchanged; 404 for an advice the caller does not see. Owners, sub-owners and admins.");
        advisor.MapPost("/freeze", async (AdviceDesk desk, FreezeInput? input, CancellationToken ct) => AcquisitionEndpoints.Answer(await desk.FreezeAsync(input, ct)))
            .WithName("FreezeAdvisedCommunity")
            .WithDescription("The silent-community advice's one-click action: sets the community (communityId) to frozen through the community editor "
                + "(audited). Owners, sub-owners and admins.");
        advisor.MapPost("/stop-routing", async (AdviceDesk desk, AcquisitionDesk liveCodes, StopRoutingInput? input, CancellationToken ct) =>
                AcquisitionEndpoints.Answer(await desk.StopRoutingAsync(input, liveCodes, ct)))
            .WithName("StopRoutingToAdvisedCommunity")
            .WithDescription("The oversized-community advice's one-click action: takes the community (communityId) off every live code that is not archived "
                + "and has another route, each saved through the live code editor (positions, validation and the audit are the editor's). Answers the codes "
                + "changed and those left: routing only to it (onlyRoute: add another community first), refused by the editor (refused, with why), or not "
                + "editable by the caller (notEditable, unnamed). 404 for a community the caller does not see. Owners, sub-owners and admins.");
    }
}
