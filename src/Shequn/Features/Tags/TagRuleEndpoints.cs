using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Tags;

/// <summary>Auto-tag rules (<c>/api/tag-rules</c>) and the review of the tags they give (confirm, reject).</summary>
public static class TagRuleEndpoints
{
    public static RouteGroupBuilder MapTagRuleEndpoints(this RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/tag-rules").WithTags("Tag rules");
        rules.MapGet("/", List).WithName("ListTagRules");
        rules.MapGet("/{id:guid}", Get).WithName("GetTagRule");
        rules.MapPost("/", Create).WithName("CreateTagRule")
            .WithDescription("Body: {tagId, kind, spec, name?, enabled?}. Kinds and their spec: channel {channel, communityId?}; keyword {keyword, "
                + "regex?, communityId?}; community {communityId}; active {days, withinDays} (spoke on at least days of the last withinDays); "
                + "silent {days}; profileField {field: city|industry|layer|needs, value}. Channel, keyword and community are decided on "
                + "events, the others daily. The tags a rule gives are suggestions for staff to confirm or reject.");
        rules.MapPut("/{id:guid}", Update).WithName("UpdateTagRule");
        rules.MapDelete("/{id:guid}", Delete).WithName("DeleteTagRule");

        var review = api.MapGroup("/").WithTags("Tag rules");
        review.MapGet("/tags/{id:guid}/auto-tags", TagAutoTags).WithName("ListTagAutoTags")
            .WithDescription("The tag's auto-tags on members the caller sees, newest first; state=suggested|confirmed|rejected filters.");
        review.MapGet("/members/{id:guid}/auto-tags", MemberAutoTags).WithName("ListMemberAutoTags");
        review.MapPost("/tags/{tagId:guid}/members/{memberId:guid}/confirm", Confirm).WithName("ConfirmAutoTag");
        review.MapPost("/tags/{tagId:guid}/members/{memberId:guid}/reject", Reject).WithName("RejectAutoTag")
            .WithDescription("The tag leaves the member and no rule gives it back (tagging the member by hand still does).");
        return rules;
    }

    public static async Task<Ok<List<TagRuleDto>>> List(TagRuleEditor editor, CancellationToken ct) =>
        TypedResults.Ok(await editor.ListAsync(ct));

    public static async Task<Results<Ok<TagRuleDto>, NotFound>> Get(TagRuleEditor editor, Guid id, CancellationToken ct) =>
        await editor.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Created<TagRuleDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(
        TagRuleEditor editor, TagRuleInput input, CancellationToken ct)
    {
        var result = await editor.CreateAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/tag-rules/{result.Rule!.Id}", result.Rule),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<TagRuleDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        TagRuleEditor editor, Guid id, TagRuleInput input, CancellationToken ct)
    {
        var result = await editor.UpdateAsync(id, input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(result.Rule!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Delete(TagRuleEditor editor, Guid id, CancellationToken ct) =>
        await editor.DeleteAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };

    public static async Task<Results<Ok<List<AutoTagDto>>, ValidationProblem, NotFound>> TagAutoTags(TagReview review, Guid id, string? state, CancellationToken ct)
    {
        var v = new Validation();
        var s = v.ParseEnum<MemberTagState>("state", state);
        if (!v.IsValid)
            return v.Problem();
        return await review.ListAsync(id, null, s, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<List<AutoTagDto>>, ValidationProblem, NotFound>> MemberAutoTags(TagReview review, Guid id, string? state, CancellationToken ct)
    {
        var v = new Validation();
        var s = v.ParseEnum<MemberTagState>("state", state);
        if (!v.IsValid)
            return v.Problem();
        return await review.ListAsync(null, id, s, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<AutoTagDto>, ValidationProblem, NotFound, ProblemHttpResult>> Confirm(
        TagReview review, Guid tagId, Guid memberId, CancellationToken ct) => Answer(await review.ConfirmAsync(tagId, memberId, ct));

    public static async Task<Results<Ok<AutoTagDto>, ValidationProblem, NotFound, ProblemHttpResult>> Reject(
        TagReview review, Guid tagId, Guid memberId, CancellationToken ct) => Answer(await review.RejectAsync(tagId, memberId, ct));

    private static Results<Ok<AutoTagDto>, ValidationProblem, NotFound, ProblemHttpResult> Answer(TagReviewResult result) => result.Outcome switch
    {
        EditOutcome.Saved => TypedResults.Ok(result.Tag!),
        EditOutcome.Invalid => result.Validation.Problem(),
        EditOutcome.NotFound => TypedResults.NotFound(),
        _ => CommunityEndpoints.Forbidden(),
    };
}
