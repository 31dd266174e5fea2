using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Features.Communities;

namespace Shequn.Connectors.Telegram;

public static class TelegramEndpoints
{
    public static RouteGroupBuilder MapTelegramEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/telegram").WithTags("Telegram");
        group.MapGet("/bots", List).WithName("ListTelegramBots")
            .WithSummary("Connected bots (token masked, connection status) and the groups they were added to, with their approval");
        group.MapPost("/bots", Connect).WithName("ConnectTelegramBot")
            .WithSummary("Connect a bot by its token (owner, sub-owner, admin)")
            .WithDescription("The token is checked with getMe. mode: webhook (default; needs Telegram:PublicBaseUrl; setWebhook with a random " +
                "secret_token) or polling (getUpdates from this server). Connecting the same bot again replaces its token (after a revoke).");
        group.MapDelete("/bots/{id:guid}", Disconnect).WithName("DisconnectTelegramBot");
        group.MapPost("/bots/{id:guid}/check", Check).WithName("CheckTelegramBot").WithSummary("Ask Telegram now whether the token still works");
        group.MapPost("/chats/{id:guid}/approve", Approve).WithName("ApproveTelegramGroup")
            .WithSummary("Manage a group the bot was added to: it becomes a community; its events apply from now on");
        group.MapPost("/chats/{id:guid}/ignore", Ignore).WithName("IgnoreTelegramGroup")
            .WithSummary("Do not manage a group the bot was added to; its events stay in the log unapplied");
        return group;
    }

    public static async Task<Ok<TelegramConnectionDto>> List(TelegramConnections connections, CancellationToken ct) =>
        TypedResults.Ok(await connections.ReadAsync(ct));

    public static async Task<Results<Created<TelegramBotDto>, ValidationProblem, ProblemHttpResult>> Connect(
        TelegramConnections connections, TelegramBotInput input, CancellationToken ct)
    {
        var result = await connections.ConnectAsync(input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/telegram/bots/{result.Bot!.Id}", result.Bot),
            EditOutcome.Invalid => result.Validation.Problem(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Disconnect(TelegramConnections connections, Guid id, CancellationToken ct) =>
        await connections.DisconnectAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };

    public static async Task<Results<Ok<TelegramBotDto>, NotFound>> Check(TelegramConnections connections, Guid id, CancellationToken ct) =>
        await connections.CheckAsync(id, ct) is { } bot ? TypedResults.Ok(bot) : TypedResults.NotFound();

    public static async Task<Results<Ok<TelegramChatDto>, NotFound, ProblemHttpResult>> Approve(TelegramConnections connections, Guid id, CancellationToken ct)
    {
        var (outcome, _) = await connections.ApproveAsync(id, ct);
        return outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await connections.ReadAsync(ct)).Chats.Single(c => c.Id == id)),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Ignore(TelegramConnections connections, Guid id, CancellationToken ct) =>
        await connections.IgnoreAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            EditOutcome.Invalid => TypedResults.Problem("The group is already managed; disconnecting it is not done here.", statusCode: 409),
            _ => CommunityEndpoints.Forbidden(),
        };
}
