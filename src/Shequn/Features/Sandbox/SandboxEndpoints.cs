using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform;

namespace Shequn.Features.Sandbox;

/// <summary>An image posted in the Sandbox: the message's id and the upload its <c>mediaId</c> names.</summary>
public sealed record SandboxImageDto(string MessageId, string MediaId, Guid CommunityId);

/// <summary>The Sandbox chat over the API, for what the console's chat page does and <c>POST /api/events</c> cannot carry (an image's bytes).</summary>
public static class SandboxEndpoints
{
    public static RouteGroupBuilder MapSandboxEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/communities/{id:guid}/sandbox/images", PostImage).WithTags("Sandbox").WithName("PostSandboxImage")
            .WithBodyLimit(SandboxUpload.MaxBytes + BodyLimits.FormRoom)
            .WithSummary("Post an image in a Sandbox chat as a member (multipart: file, userId, name, caption?, staff?)")
            .WithDescription("Stores the file and appends an image message; once processed, Shequn looks for QR codes in it and appends a " +
                "messageInspected event with what they say. At most 20 MB. Any bytes are accepted: a file that is not an image is " +
                "inspected as unreadable.");
        return api;
    }

    public static async Task<Results<Accepted<SandboxImageDto>, ValidationProblem, NotFound, ProblemHttpResult>> PostImage(
        Guid id, HttpRequest request, AppDbContext db, SandboxChat chat, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || me.Role == StaffRole.Koc)
            return CommunityEndpoints.Forbidden();
        if (await chat.FindAsync(id, ct) is null)
            return TypedResults.NotFound();
        if (!request.HasFormContentType)
            return TypedResults.Problem(statusCode: 400, title: "Bad request", detail: "Send multipart/form-data with the image in 'file'.");

        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
            errors["file"] = ["'file' (the image) is required and must not be empty."];
        else if (file.Length > SandboxUpload.MaxBytes)
            errors["file"] = [$"'file' is {file.Length:N0} bytes; at most {SandboxUpload.MaxBytes:N0}."];
        string? userId = form["userId"], name = form["name"], caption = form["caption"];
        if (string.IsNullOrWhiteSpace(userId))
            errors["userId"] = ["'userId' (the Sandbox member who posts) is required."];
        else if (userId.Length > Events.CommunityEvent.IdMaxLength)
            errors["userId"] = [$"'userId' is at most {Events.CommunityEvent.IdMaxLength} characters."];
        if (string.IsNullOrWhiteSpace(name))
            errors["name"] = ["'name' (the member's nickname) is required."];
        else if (name.Length > Events.CommunityEvent.NameMaxLength)
            errors["name"] = [$"'name' is at most {Events.CommunityEvent.NameMaxLength} characters."];
        if (caption is { Length: > Events.CommunityEvent.TextMaxLength })
            errors["caption"] = [$"'caption' is at most {Events.CommunityEvent.TextMaxLength} characters."];
        var staff = false;
        if (form["staff"] is { Count: > 0 } s && !bool.TryParse(s, out staff))
            errors["staff"] = ["'staff' must be true or false."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors, title: "The image was not posted.");

        using var buffer = new MemoryStream((int)file!.Length);
        await file.CopyToAsync(buffer, ct);
        var posted = await chat.PostImageAsync(id, userId!.Trim(), name!.Trim(), file.FileName, file.ContentType, buffer.ToArray(), caption, staff, ct);
        return TypedResults.Accepted((string?)null, new SandboxImageDto(posted!.MessageId!, posted.MediaId!, id));
    }
}
