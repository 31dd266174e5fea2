using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Localization;
using Shequn.Data;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A quiz submission from the public page: the member's token, one list of chosen option indexes per question, the page's
/// request id, and the invite token of a share link the page was opened through (<c>?i=</c>).
/// </summary>
public sealed record PublicQuizInput(string? Token = null, string? RequestId = null, IReadOnlyList<IReadOnlyList<int>?>? Answers = null, string? Inviter = null);

/// <summary>
/// 比 问答 换: leaderboards (<c>/api/campaigns/{id}/leaderboard</c>, its progress post and settlement), quizzes
/// (<c>/api/campaigns/{id}/quiz</c>) and swap boards (<c>/api/campaigns/{id}/swap…</c>) for staff; their public pages
/// <c>/c/{slug}/board</c>, <c>/c/{slug}/quiz</c> and <c>/c/{slug}/swap</c> with the members' posts (personal token).
/// </summary>
public static class CampaignBoardEndpoints
{
    public static void MapCampaignBoardEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(app);
        var g = api.MapGroup("/campaigns").WithTags("Campaigns");
        g.MapGet("/{id:guid}/leaderboard", Leaderboard).WithName("GetCampaignLeaderboard")
            .WithDescription("A leaderboard's standings computed from the event log under rules.scoring: members, or communities when rules.betweenCommunities "
                + "(score = total points, or points per current member with scoring.communityBasis perMember). Ties: whoever reached the score first, then name. "
                + "Staff and the bot never score. Grants made at settlement are listed.");
        g.MapPost("/{id:guid}/leaderboard/post", PostStandings).WithName("PostCampaignLeaderboard")
            .WithDescription("Queues the current standings in each of the campaign's communities (one outbound action each). 'round' names the post (blank: the "
                + "current hour, UTC): the same round again queues nothing.");
        g.MapPost("/{id:guid}/leaderboard/settle", Settle).WithName("SettleCampaignLeaderboard")
            .WithDescription("After the end (owner or sub-owner): the top ranks get the rewards in order (each reward's quantity of ranks), one grant per rank under "
                + "key rank:{n}. Settling again adds nothing. Communities competing: 409 (staff hand those rewards over).");
        g.MapGet("/{id:guid}/quiz", Quiz).WithName("GetCampaignQuiz")
            .WithDescription("A quiz's submissions: score, pass, and per question how many answered right.");
        g.MapGet("/{id:guid}/swap", SwapItems).WithName("ListCampaignSwapItems")
            .WithDescription("A swap board's items with their offers, hidden ones included (hiddenAt, hiddenReason).");
        g.MapPost("/{id:guid}/swap/items/{itemId:guid}/hide", HideItem).WithName("HideCampaignSwapItem")
            .WithDescription("Hides an item from the page, with a reason (required); hiding it again answers it as it stands.");
        g.MapPost("/{id:guid}/swap/offers/{offerId:guid}/hide", HideOffer).WithName("HideCampaignSwapOffer")
            .WithDescription("Hides an offer (it can no longer be accepted), with a reason (required).");

        app.MapGet("/c/{slug}/board", BoardPage).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/c/{slug}/quiz", QuizPage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/c/{slug}/quiz", SubmitQuiz).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapGet("/c/{slug}/swap", SwapPage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/c/{slug}/swap/items", ListItem).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/swap/items/{itemId:guid}/offers", Offer).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost("/c/{slug}/swap/items/{itemId:guid}/accept", Accept).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    public static async Task<Results<Ok<LeaderboardDto>, NotFound>> Leaderboard(LeaderboardDesk desk, Guid id, CancellationToken ct) =>
        await desk.GetAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Ok<LeaderboardPostDto>, ValidationProblem, NotFound, ProblemHttpResult>> PostStandings(
        LeaderboardDesk desk, Guid id, LeaderboardPostInput? input, CancellationToken ct) =>
        Map(await desk.PostAsync(id, input?.Round, ct));

    public static async Task<Results<Ok<LeaderboardDto>, ValidationProblem, NotFound, ProblemHttpResult>> Settle(LeaderboardDesk desk, Guid id, CancellationToken ct) =>
        Map(await desk.SettleAsync(id, ct));

    public static async Task<Results<Ok<QuizSummaryDto>, NotFound>> Quiz(Quizzes quizzes, Guid id, CancellationToken ct) =>
        await quizzes.SummaryAsync(id, ct) is { } dto ? TypedResults.Ok(dto) : TypedResults.NotFound();

    public static async Task<Results<Ok<IReadOnlyList<SwapItemDto>>, NotFound>> SwapItems(Swaps swaps, Guid id, CancellationToken ct) =>
        await swaps.StaffItemsAsync(id, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();

    public static async Task<Results<Ok<SwapItemDto>, ValidationProblem, NotFound, ProblemHttpResult>> HideItem(Swaps swaps, Guid id, Guid itemId, SwapHideInput? input, CancellationToken ct) =>
        Map(await swaps.HideAsync(id, itemId, null, input?.Reason, ct));

    public static async Task<Results<Ok<SwapItemDto>, ValidationProblem, NotFound, ProblemHttpResult>> HideOffer(Swaps swaps, Guid id, Guid offerId, SwapHideInput? input, CancellationToken ct) =>
        Map(await swaps.HideAsync(id, null, offerId, input?.Reason, ct));

    private static Results<Ok<T>, ValidationProblem, NotFound, ProblemHttpResult> Map<T>(MechanicResult<T> result) => result switch
    {
        { Outcome: CampaignOutcome.Saved } => TypedResults.Ok(result.Value!),
        { Outcome: CampaignOutcome.Invalid } => result.Validation.Problem(),
        { Outcome: CampaignOutcome.NotFound } => TypedResults.NotFound(),
        { Outcome: CampaignOutcome.Conflict } => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: result.Conflict),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: result.Conflict ?? "Your role does not allow this."),
    };

    // The public pages.

    private static async Task<IResult> BoardPage(HttpContext http, CampaignSnapshots snapshots, LeaderboardReader reader, IStringLocalizer<Strings> l, string slug, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.Leaderboard)
            return Html(CampaignPageView.NotFound(l), StatusCodes.Status404NotFound);
        var board = await reader.ReadAsync(s.Campaign, ct);
        return Html(BoardPages.Board(l, s, board, Culture()));
    }

    private static async Task<IResult> QuizPage(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, Quizzes quizzes, IStringLocalizer<Strings> l, TimeProvider time,
        string slug, string? m, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.Quiz)
            return Html(CampaignPageView.NotFound(l), StatusCodes.Status404NotFound);
        var member = await links.VerifyAsync(s.Campaign.Id, m, ct);
        var result = member is { } who ? await quizzes.ResultAsync(s, who, ct) : null;
        return Html(BoardPages.Quiz(l, s, result, time.GetUtcNow().UtcDateTime, Culture()));
    }

    private static async Task<IResult> SubmitQuiz(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, Quizzes quizzes, IStringLocalizer<Strings> l, string slug,
        PublicQuizInput? input, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.Quiz)
            return Refusal(l, StatusCodes.Status404NotFound, "notFound");
        input ??= new PublicQuizInput();
        if (string.IsNullOrEmpty(input.Token))
            return TypedResults.ValidationProblem(new Validation().Add("token", "Required", "'token' is required: open the page through your personal link.").Localized(l));
        if (await links.VerifyAsync(s.Campaign.Id, input.Token, ct) is not { } member)
            return Refusal(l, StatusCodes.Status403Forbidden, "unknownMember");
        var answer = await quizzes.SubmitAsync(s, member, input.Answers, input.RequestId, ct);
        if (answer.Outcome == QuizOutcome.Done)
            await CampaignInvites.RecordFromPageAsync(http, links, s.Campaign.Id, member, input.Inviter, ct);
        return answer.Outcome switch
        {
            QuizOutcome.Done => TypedResults.Ok(new { result = answer.Result, message = QuizMessage(l, answer.Result!) }),
            QuizOutcome.Invalid => TypedResults.ValidationProblem(answer.Validation!.Localized(l)),
            QuizOutcome.NotInAudience => Refusal(l, StatusCodes.Status403Forbidden, "notInAudience"),
            QuizOutcome.Excluded => FlashSaleEndpoints.Excluded(l, answer.Excluded),
            _ => Refusal(l, StatusCodes.Status409Conflict, "notRunning"),
        };
    }

    internal static string QuizMessage(IStringLocalizer l, QuizResultDto r) =>
        r.PassMark is null ? l["Boards.Quiz.Scored", r.Score, r.Total] : l[r.Passed ? "Boards.Quiz.Passed" : "Boards.Quiz.Failed", r.Score, r.Total, r.PassMark];

    private static async Task<IResult> SwapPage(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, Swaps swaps, IStringLocalizer<Strings> l, TimeProvider time,
        string slug, string? m, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        if (s is null || s.Campaign.Kind != CampaignKind.Swap)
            return Html(CampaignPageView.NotFound(l), StatusCodes.Status404NotFound);
        var member = await links.VerifyAsync(s.Campaign.Id, m, ct);
        var items = await swaps.PublicItemsAsync(s, ct);
        return Html(BoardPages.Swap(l, s, items, member, time.GetUtcNow().UtcDateTime, Culture()));
    }

    private static async Task<IResult> ListItem(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, Swaps swaps, IStringLocalizer<Strings> l, string slug,
        SwapItemInput? input, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        var (member, refusal) = await MemberAsync(s, snapshots, links, l, input?.Token, CampaignKind.Swap, ct);
        if (refusal is not null)
            return refusal;
        return await AnsweredAsync(http, links, l, s!, member!.Value, input!.Inviter, await swaps.ListAsync(s!, member!.Value, input!, ct), ct);
    }

    private static async Task<IResult> Offer(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, Swaps swaps, IStringLocalizer<Strings> l, string slug, Guid itemId,
        SwapOfferInput? input, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        var (member, refusal) = await MemberAsync(s, snapshots, links, l, input?.Token, CampaignKind.Swap, ct);
        if (refusal is not null)
            return refusal;
        return await AnsweredAsync(http, links, l, s!, member!.Value, input!.Inviter, await swaps.OfferAsync(s!, member!.Value, itemId, input!, ct), ct);
    }

    private static async Task<IResult> Accept(HttpContext http, CampaignSnapshots snapshots, CampaignLinks links, Swaps swaps, IStringLocalizer<Strings> l, string slug, Guid itemId,
        SwapAcceptInput? input, CancellationToken ct)
    {
        var s = await snapshots.FindAsync(slug, ct);
        Speak(http, s);
        var (member, refusal) = await MemberAsync(s, snapshots, links, l, input?.Token, CampaignKind.Swap, ct);
        if (refusal is not null)
            return refusal;
        return await AnsweredAsync(http, links, l, s!, member!.Value, input!.Inviter, await swaps.AcceptAsync(s!, member!.Value, itemId, input!.OfferId, ct), ct);
    }

    /// <summary>
    /// The member a swap action's token names, or the refusal: no such campaign, no token, an unknown member, or one the
    /// campaign's anti-abuse settings leave out (403 <c>excluded</c>: an account made for the board neither lists, offers nor accepts).
    /// After a successful action, the inviter a share link (<c>?i=</c>) names becomes who brought the member (<see cref="CampaignInvites"/>).
    /// </summary>
    private static async Task<(Guid? Member, IResult? Refusal)> MemberAsync(CampaignSnapshot? s, CampaignSnapshots snapshots, CampaignLinks links, IStringLocalizer l,
        string? token, CampaignKind kind, CancellationToken ct)
    {
        if (s is null || s.Campaign.Kind != kind)
            return (null, Refusal(l, StatusCodes.Status404NotFound, "notFound"));
        if (string.IsNullOrEmpty(token))
            return (null, TypedResults.ValidationProblem(new Validation().Add("token", "Required", "'token' is required: open the page through your personal link.").Localized(l)));
        if (await links.VerifyAsync(s.Campaign.Id, token, ct) is not { } member)
            return (null, Refusal(l, StatusCodes.Status403Forbidden, "unknownMember"));
        if (await snapshots.ExclusionAsync(s, member, ct) is not ExclusionReason.None and var excluded)
            return (null, FlashSaleEndpoints.Excluded(l, excluded));
        return (member, null);
    }

    /// <summary>A swap action's answer; after a success, the inviter a share link names becomes who brought the member.</summary>
    private static async Task<IResult> AnsweredAsync<T>(HttpContext http, CampaignLinks links, IStringLocalizer l, CampaignSnapshot s, Guid member, string? inviter,
        SwapResult<T> r, CancellationToken ct)
    {
        if (r.Outcome == SwapOutcome.Done)
            await CampaignInvites.RecordFromPageAsync(http, links, s.Campaign.Id, member, inviter, ct);
        return Answer(l, r);
    }

    private static IResult Answer<T>(IStringLocalizer l, SwapResult<T> r) => r.Outcome switch
    {
        SwapOutcome.Done => TypedResults.Ok(r.Value),
        SwapOutcome.Invalid => TypedResults.ValidationProblem(r.Validation!.Localized(l)),
        SwapOutcome.NotFound => Refusal(l, StatusCodes.Status404NotFound, "notFound"),
        SwapOutcome.NotInAudience => Refusal(l, StatusCodes.Status403Forbidden, "notInAudience"),
        SwapOutcome.NotRunning => Refusal(l, StatusCodes.Status409Conflict, "notRunning"),
        _ => Refusal(l, StatusCodes.Status409Conflict, r.Code ?? "conflict"),
    };

    /// <summary>A refusal the page shows as is: ProblemDetails with a stable <c>code</c> and the words in the page's language.</summary>
    private static ProblemHttpResult Refusal(IStringLocalizer l, int status, string code) =>
        TypedResults.Problem(statusCode: status, title: code, detail: l[$"Boards.Refusal.{code}"].Value, extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>The members' language (the workspace's) unless the visitor chose one with <c>?culture=</c>; set in the handler so it flows on.</summary>
    private static void Speak(HttpContext http, CampaignSnapshot? s)
    {
        if (s is null || Cultures.Supported.Contains(http.Request.Query["culture"].ToString(), StringComparer.OrdinalIgnoreCase))
            return;
        var culture = CultureInfo.GetCultureInfo(s.Language);
        (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, culture);
    }

    private static string Culture() => Cultures.Normalize(CultureInfo.CurrentUICulture.Name);

    private static ContentHttpResult Html(string html, int status = 200) => TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
}
