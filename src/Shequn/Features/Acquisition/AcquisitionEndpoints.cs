using Microsoft.AspNetCore.Http.HttpResults;
using Shequn.Platform;

namespace Shequn.Features.Acquisition;

public sealed record CodeStateInput(string? State);

/// <summary><c>/api/channels</c> and <c>/api/live-codes</c>: the channel registry, live codes and their funnels.</summary>
public static class AcquisitionEndpoints
{
    public static void MapAcquisitionEndpoints(RouteGroupBuilder api, IEndpointRouteBuilder app)
    {
        var channels = api.MapGroup("/channels").WithTags("Acquisition");
        channels.MapGet("/", (AcquisitionDesk desk, bool? archived, CancellationToken ct) => desk.ChannelsAsync(archived == true, ct))
            .WithName("ListChannels").WithDescription("The channel registry (公众号, 直播间, package cards …) with cost and owner; archived ones with archived=true. KOCs get an empty list.");
        channels.MapPost("/", async (AcquisitionDesk desk, ChannelInput? input, CancellationToken ct) => Answer(await desk.SaveChannelAsync(null, input, ct), created: true))
            .WithName("CreateChannel").WithDescription("Adds a channel: name (unique), kind, ownerStaffId, cost (yuan) per costUnit (month, join, total), note. Owners, sub-owners and admins.");
        channels.MapPut("/{id:guid}", async (AcquisitionDesk desk, Guid id, ChannelInput? input, CancellationToken ct) => Answer(await desk.SaveChannelAsync(id, input, ct)))
            .WithName("UpdateChannel").WithDescription("Changes a channel (all fields).");
        channels.MapDelete("/{id:guid}", async (AcquisitionDesk desk, Guid id, CancellationToken ct) => Answer(await desk.ArchiveChannelAsync(id, ct)))
            .WithName("ArchiveChannel").WithDescription("Archives a channel; 409 while live codes of it are active.");

        var codes = api.MapGroup("/live-codes").WithTags("Acquisition");
        codes.MapGet("/", (AcquisitionDesk desk, Guid? channelId, bool? archived, CancellationToken ct) => desk.CodesAsync(channelId, archived == true, ct))
            .WithName("ListLiveCodes").WithDescription("Live codes routing only to communities the caller sees, newest first, with each route's fill and cap.");
        codes.MapGet("/{id:guid}", async (AcquisitionDesk desk, Guid id, CancellationToken ct) =>
                await desk.CodeAsync(id, ct) is { } dto ? Results.Ok(dto) : Results.NotFound())
            .WithName("GetLiveCode");
        codes.MapPost("/", async (AcquisitionDesk desk, LiveCodeInput? input, CancellationToken ct) => Answer(await desk.SaveCodeAsync(null, input, ct), created: true))
            .WithName("CreateLiveCode").WithDescription("Makes a live code: name, channelId, policy (fillToTarget, leastFull, byChoice, roundRobin), target, limit (operating "
                + "limit), landing page (title, intro, choiceQuestion, needQuestion, collectPhone), joinRequests (Telegram), logoImageId, routes [{communityId, choice}]. "
                + "The short link /j/{code} and the QR images never change.");
        codes.MapPut("/{id:guid}", async (AcquisitionDesk desk, Guid id, LiveCodeInput? input, CancellationToken ct) => Answer(await desk.SaveCodeAsync(id, input, ct)))
            .WithName("UpdateLiveCode").WithDescription("Changes a live code; routes kept keep their counts.");
        codes.MapPost("/{id:guid}/state", async (AcquisitionDesk desk, Guid id, CodeStateInput? input, CancellationToken ct) => Answer(await desk.SetStateAsync(id, input?.State, ct)))
            .WithName("SetLiveCodeState").WithDescription("active, paused (the link shows that it is not in use) or archived.");
        api.MapGet("/acquisition/funnel", Funnel).WithTags("Acquisition").WithName("GetAcquisitionFunnel")
            .WithDescription("The AARRR funnel per channel, live code or campaign (by=channel|liveCode|campaign) for from..to (workspace days, default the last 30): "
                + "scans, routed, joins, active in the first 7 days, still there after 30 days (of retainedBase joins old enough), first purchase, referrals, "
                + "spend and cost per join. Counted from stored rows over the communities the caller sees.");
        channels.MapGet("/{id:guid}/daily", Daily).WithName("GetChannelDaily").WithDescription("A channel's scans and joins per workspace day, for its chart.");
        codes.MapPost("/{id:guid}/routes/{routeId:guid}/qr", UploadQrAsync).WithBodyLimit(Calendar.PostImage.MaxBytes + BodyLimits.FormRoom)
            .WithName("UploadLiveCodeGroupQr").WithSummary("Upload a personal WeChat group's QR code for a route (multipart: file, optional expiresAt)")
            .WithDescription("Only for routes to personal WeChat (manual) communities. The image must hold a WeChat group QR code (https://weixin.qq.com/g/…); "
                + "it is refused naming 'file' when it is not an image, holds no QR code or holds another kind. The route takes visitors until expiresAt "
                + "(in the future, within 7 days) or 7 days from now; staff are asked for a fresh one a day before.");
        _ = app;
    }

    private static async Task<IResult> Funnel(AcquisitionFunnel funnel, string? by, string? from, string? to, CancellationToken ct)
    {
        var (start, end, v) = await funnel.PeriodAsync(from, to, ct);
        var group = v.ParseEnum<FunnelBy>("by", by) ?? FunnelBy.Channel;
        if (!v.IsValid)
            return v.Problem();
        return TypedResults.Ok(await funnel.RowsAsync(group, start, end, ct));
    }

    private static async Task<IResult> Daily(AcquisitionFunnel funnel, Guid id, string? from, string? to, CancellationToken ct)
    {
        var (start, end, v) = await funnel.PeriodAsync(from, to, ct);
        if (!v.IsValid)
            return v.Problem();
        return await funnel.DailyAsync(id, start, end, ct) is { } days ? TypedResults.Ok(days) : TypedResults.NotFound();
    }

    private static async Task<IResult> UploadQrAsync(HttpRequest request, AcquisitionDesk desk, Guid id, Guid routeId, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: "Send multipart/form-data with the QR image in 'file'.");
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        byte[]? bytes = null;
        if (file is not null && file.Length is > 0 and <= Calendar.PostImage.MaxBytes)
        {
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }
        else if (file is not null && file.Length > Calendar.PostImage.MaxBytes)
            return new Platform.Api.Validation().Add("file", "FileTooLarge", $"'file' is {file.Length:N0} bytes; at most {Calendar.PostImage.MaxBytes:N0}.",
                Calendar.PostImage.MaxBytes, file.Length).Problem();
        return Answer(await desk.UploadQrAsync(id, routeId, file?.FileName, bytes, form["expiresAt"].ToString(), ct));
    }

    internal static IResult Answer<T>(DeskResult<T> r, bool created = false) => r.Outcome switch
    {
        DeskOutcome.Saved when created => TypedResults.Json(r.Value, statusCode: StatusCodes.Status201Created),
        DeskOutcome.Saved => TypedResults.Ok(r.Value),
        DeskOutcome.Invalid => r.Validation.Problem(),
        DeskOutcome.NotFound => TypedResults.NotFound(),
        DeskOutcome.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: r.Detail),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: r.Detail),
    };
}
