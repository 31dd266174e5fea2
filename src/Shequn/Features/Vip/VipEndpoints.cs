using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Platform.Api;

namespace Shequn.Features.Vip;

/// <summary>VIP eligibility rules, candidates and invitations over HTTP (see <see cref="VipCandidates"/>).</summary>
public static class VipEndpoints
{
    public static RouteGroupBuilder MapVipEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/vip").WithTags("VIP");
        group.MapGet("/rules", Rules).WithName("GetVipRules");
        group.MapPut("/rules", SaveRules).WithName("SaveVipRules")
            .WithDescription("Body: {payingTagId?, answersMin, answersDays, tenureDays}. A candidate has been in a general community (comprehensive, "
                + "regional, category) for tenureDays and carries the paying tag or answered answersMin questions of others in answersDays.");
        group.MapGet("/candidates", Candidates).WithName("ListVipCandidates")
            .WithDescription("Members who meet the rules and are not VIP yet, with their reasons; invited ones carry their invitation.");
        group.MapPost("/candidates/{memberId:guid}/invite", Invite).WithName("InviteVipCandidate")
            .WithDescription("Body: {communityId} of a VIP community. Queues a one-person invite link there (a staff task where the platform "
                + "cannot make one) and records the invitation; 409 when the candidate was already invited. Joining makes the member VIP.");
        return group;
    }

    public static async Task<Ok<VipRulesDto>> Rules(VipCandidates vip, CancellationToken ct) => TypedResults.Ok(await vip.RulesAsync(ct));

    public static async Task<Results<Ok<VipRulesDto>, ValidationProblem, ProblemHttpResult>> SaveRules(VipCandidates vip, VipRulesDto input, CancellationToken ct)
    {
        var result = await vip.SaveRulesAsync(input, ct);
        return result.Outcome switch
        {
            VipOutcome.Done => TypedResults.Ok(result.Value!),
            VipOutcome.Invalid => result.Validation.Problem(),
            _ => Forbidden(),
        };
    }

    public static async Task<Results<Ok<List<VipCandidateDto>>, ProblemHttpResult>> Candidates(VipCandidates vip, CancellationToken ct)
    {
        var result = await vip.ListAsync(ct);
        return result.Outcome == VipOutcome.Done ? TypedResults.Ok(result.Value!) : Forbidden();
    }

    public static async Task<Results<Ok<VipInvitationDto>, ValidationProblem, NotFound, ProblemHttpResult>> Invite(
        VipCandidates vip, Guid memberId, VipInviteInput input, CancellationToken ct)
    {
        var result = await vip.InviteAsync(memberId, input, ct);
        return result.Outcome switch
        {
            VipOutcome.Done => TypedResults.Ok(result.Value!),
            VipOutcome.Invalid => result.Validation.Problem(),
            VipOutcome.NotFound => TypedResults.NotFound(),
            VipOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                detail: "The candidate was already invited to a VIP community."),
            _ => Forbidden(),
        };
    }

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Your role does not allow this.");
}
