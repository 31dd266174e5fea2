using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Platform.Api;

namespace Shequn.Features.Acquisition;

/// <summary>Friend-add pacing (加好友节奏) under <c>/api/friend-adds</c>: accounts, the queue, the daily plan and outcomes.</summary>
public static class FriendAddEndpoints
{
    public static RouteGroupBuilder MapFriendAddEndpoints(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var group = api.MapGroup("/friend-adds").WithTags("Friend adds");
        group.MapGet("/accounts", ListAccounts).WithName("ListFriendAccounts")
            .WithDescription("Accounts that add customers as friends: all of them for owners, sub-owners and admins; your own for anyone else. KOCs: 403.");
        group.MapPost("/accounts", CreateAccount).WithName("CreateFriendAccount")
            .WithDescription("Creates an account (owners, sub-owners, admins): name, staffUserId (default: you), dailyLimit (1–50, default 20), "
                + "windowStartHour/windowEndHour (workspace time, default 9–21; the window must hold the limit's adds 10 minutes apart), active.");
        group.MapPut("/accounts/{id:guid}", UpdateAccount).WithName("UpdateFriendAccount").WithDescription("Changes the fields given; the others stay.");
        group.MapDelete("/accounts/{id:guid}", DeleteAccount).WithName("DeleteFriendAccount")
            .WithDescription("Deletes an account; its planned leads go back to the queue.");
        group.MapGet("/leads", ListLeads).WithName("ListFriendLeads")
            .WithDescription("The queue and its history. Filters: status (queued, planned, added, refused, noAnswer, skipped), source (order, phoneInvitation, "
                + "campaignLead, manual, other), q (name; phone digits for owners and sub-owners). Phones are masked except for owners and sub-owners.");
        group.MapGet("/leads/counts", Counts).WithName("CountFriendLeads").WithDescription("How many wait, by source, and how many are planned.");
        group.MapPost("/leads", AddLead).WithName("AddFriendLead")
            .WithDescription("Queues a person: name, phone (or memberId), source (default manual), sourceRef, note. A phone or member already queued, planned "
                + "or added answers 409 naming it.");
        group.MapPost("/leads/import", Import).WithName("ImportFriendLeads").Accepts<string>("text/csv")
            .WithDescription("Queues the rows of a CSV body (UTF-8; header: name, phone, source, note). A bad row or a duplicate phone is reported by line "
                + "and nothing is imported.");
        group.MapPost("/leads/from-campaign/{campaignId:guid}", FromCampaign).WithName("ImportFriendLeadsFromCampaign")
            .WithDescription("Queues the phones members left on a campaign's page (owners and sub-owners); phones and members already queued are skipped.");
        group.MapPost("/leads/{id:guid}/outcome", Outcome).WithName("RecordFriendOutcome")
            .WithDescription("Records what happened: outcome (added, refused, noAnswer, skipped) and an optional note. Planned leads take any outcome, queued "
                + "ones only skipped. A lead with an outcome answers 409.");
        group.MapPost("/plan", Plan).WithName("PlanFriendAdds")
            .WithDescription("Plans the day (yyyy-MM-dd in the workspace's zone; default today): each active account gets queued leads, oldest first, up to "
                + "its daily limit, at spread times with varied greetings. Safe to repeat: only free slots still ahead are filled. Leads of earlier days "
                + "without an outcome go back to the queue first.");
        group.MapGet("/today", Today).WithName("GetFriendPlan")
            .WithDescription("The plan of a day (default today) for your accounts (all=true: every account you see): time, person, greeting, outcome.");
        return group;
    }

    private static ProblemHttpResult Koc() => CommunityEndpoints.Forbidden(FriendAccounts.KocRefusal);

    public static async Task<Results<Ok<IReadOnlyList<FriendAccountDto>>, ProblemHttpResult>> ListAccounts(FriendAccounts accounts, CancellationToken ct) =>
        await accounts.ListAsync(ct) is { } list ? TypedResults.Ok(list) : Koc();

    public static async Task<Results<Created<FriendAccountDto>, ValidationProblem, ProblemHttpResult>> CreateAccount(
        FriendAccounts accounts, FriendAccountInput input, CancellationToken ct)
    {
        var result = await accounts.CreateAsync(input, ct);
        return result.Status switch
        {
            FriendEditStatus.Saved => TypedResults.Created($"/api/friend-adds/accounts/{result.Value!.Id}", result.Value),
            FriendEditStatus.Invalid => result.Validation.Problem(),
            _ => CommunityEndpoints.Forbidden(FriendAccounts.ManageRefusal),
        };
    }

    public static async Task<Results<Ok<FriendAccountDto>, ValidationProblem, NotFound, ProblemHttpResult>> UpdateAccount(
        FriendAccounts accounts, Guid id, FriendAccountInput input, CancellationToken ct)
    {
        var result = await accounts.UpdateAsync(id, input, ct);
        return result.Status switch
        {
            FriendEditStatus.Saved => TypedResults.Ok(result.Value!),
            FriendEditStatus.Invalid => result.Validation.Problem(),
            FriendEditStatus.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(FriendAccounts.ManageRefusal),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteAccount(FriendAccounts accounts, Guid id, CancellationToken ct) =>
        await accounts.DeleteAsync(id, ct) switch
        {
            FriendEditStatus.Saved => TypedResults.NoContent(),
            FriendEditStatus.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(FriendAccounts.ManageRefusal),
        };

    public static async Task<Results<Ok<Page<FriendLeadDto>>, ValidationProblem, ProblemHttpResult>> ListLeads(
        FriendLeads queue, string? status, string? source, string? q, int? page, int? pageSize, CancellationToken ct)
    {
        var validation = new Validation();
        var statusValue = validation.ParseEnum<FriendLeadStatus>("status", status);
        var sourceValue = validation.ParseEnum<FriendLeadSource>("source", source);
        if (!validation.IsValid)
            return validation.Problem();
        return await queue.ListAsync(new FriendLeadFilter(statusValue, sourceValue, q), page, pageSize, ct) is { } rows ? TypedResults.Ok(rows) : Koc();
    }

    public static async Task<Results<Ok<FriendQueueCounts>, ProblemHttpResult>> Counts(FriendLeads queue, CancellationToken ct) =>
        await queue.CountsAsync(ct) is { } counts ? TypedResults.Ok(counts) : Koc();

    public static async Task<Results<Created<FriendLeadDto>, ValidationProblem, ProblemHttpResult>> AddLead(FriendLeads queue, FriendLeadInput input, CancellationToken ct)
    {
        var result = await queue.AddAsync(input, ct);
        return result.Status switch
        {
            FriendEditStatus.Saved => TypedResults.Created($"/api/friend-adds/leads/{result.Value!.Id}", result.Value),
            FriendEditStatus.Invalid => result.Validation.Problem(),
            FriendEditStatus.Conflict => Duplicate(result.Conflict!),
            _ => Koc(),
        };
    }

    public static async Task<Results<Ok<FriendImportResult>, ValidationProblem, ProblemHttpResult>> Import(FriendLeads queue, HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
        return ImportAnswer(await queue.ImportCsvAsync(text, ct));
    }

    public static async Task<Results<Ok<FriendImportResult>, ValidationProblem, NotFound, ProblemHttpResult>> FromCampaign(FriendLeads queue, Guid campaignId, CancellationToken ct)
    {
        var result = await queue.FromCampaignAsync(campaignId, ct);
        return result.Status switch
        {
            FriendEditStatus.Saved => TypedResults.Ok(result.Value!),
            FriendEditStatus.NotFound => TypedResults.NotFound(),
            FriendEditStatus.Conflict => Duplicate(result.Conflict!),
            FriendEditStatus.Invalid => result.Validation.Problem(),
            _ => CommunityEndpoints.Forbidden("Only owners and sub-owners read a campaign's phones."),
        };
    }

    private static Results<Ok<FriendImportResult>, ValidationProblem, ProblemHttpResult> ImportAnswer(FriendEditResult<FriendImportResult> result) => result.Status switch
    {
        FriendEditStatus.Saved => TypedResults.Ok(result.Value!),
        FriendEditStatus.Invalid => result.Validation.Problem(),
        FriendEditStatus.Conflict => Duplicate(result.Conflict!),
        _ => Koc(),
    };

    private static ProblemHttpResult Duplicate(Reason why) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already in the queue", detail: why.English);

    public static async Task<Results<Ok<FriendLeadStatusDto>, ValidationProblem, NotFound, ProblemHttpResult>> Outcome(
        FriendPlanner planner, Guid id, FriendOutcomeInput input, CancellationToken ct)
    {
        var result = await planner.RecordOutcomeAsync(id, input, ct);
        return result.Status switch
        {
            FriendOutcomeStatus.Recorded => TypedResults.Ok(FriendLeadStatusDto.Of(result.Lead!)),
            FriendOutcomeStatus.Invalid => result.Validation.Problem(),
            FriendOutcomeStatus.NotFound => TypedResults.NotFound(),
            FriendOutcomeStatus.AlreadyRecorded => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Outcome already recorded",
                detail: $"This lead's outcome was already recorded ({result.Lead!.Status.ToString().ToLowerInvariant()}) at {result.Lead.OutcomeAt:yyyy-MM-ddTHH:mm:ssZ}; it cannot be recorded again."),
            FriendOutcomeStatus.NotPlanned => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not planned",
                detail: "This lead is waiting in the queue (not planned, or its day ended without an outcome): only 'skipped' applies until it is planned."),
            _ => CommunityEndpoints.Forbidden("Only the account's holder, owners, sub-owners and admins record outcomes; KOCs take no part."),
        };
    }

    public static async Task<Results<Ok<FriendPlanResult>, ValidationProblem, ProblemHttpResult>> Plan(
        AppDbContext db, FriendPlanner planner, string? day, CancellationToken ct)
    {
        if (!FriendAccounts.MayUse(await db.Current.GetProfileAsync(db, ct)))
            return Koc();
        var validation = new Validation();
        var d = validation.ParseDay("day", day) ?? await planner.TodayAsync(ct);
        if (validation.IsValid)
            await planner.CheckDayAsync(validation, d, ct);
        if (!validation.IsValid)
            return validation.Problem();
        return TypedResults.Ok(await planner.PlanAsync(d, ct));
    }

    public static async Task<Results<Ok<FriendDayDto>, ValidationProblem, ProblemHttpResult>> Today(
        AppDbContext db, FriendPlanner planner, string? day, bool? all, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!FriendAccounts.MayUse(me))
            return Koc();
        var validation = new Validation();
        var d = validation.ParseDay("day", day) ?? await planner.TodayAsync(ct);
        if (!validation.IsValid)
            return validation.Problem();
        return TypedResults.Ok(await planner.DayAsync(me!, d, mineOnly: all != true, ct));
    }
}

public sealed record FriendLeadStatusDto(Guid Id, FriendLeadStatus Status, DateTime? OutcomeAt, string? OutcomeNote)
{
    public static FriendLeadStatusDto Of(FriendLead lead)
    {
        ArgumentNullException.ThrowIfNull(lead);
        return new(lead.Id, lead.Status, lead.OutcomeAt, lead.OutcomeNote);
    }
}
