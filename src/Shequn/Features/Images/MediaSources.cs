using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Sandbox;

namespace Shequn.Features.Images;

/// <summary>Which picture to fetch: an image message's <see cref="CommunityEvent.MediaId"/> and where it was posted.</summary>
public sealed record MediaRequest(Guid WorkspaceId, Guid? CommunityId, string? ChatId, string MediaId, long MaxBytes);

/// <summary>
/// A fetch that will not succeed by trying again (the platform says the file is gone or too big, the upload does not
/// exist): the image is marked as inspected with this reason instead of being retried.
/// </summary>
public sealed class MediaUnavailableException(string reason) : Exception(reason);

/// <summary>
/// Fetches the bytes of an image a platform holds, the way that platform gives them out (Telegram: <c>getFile</c>,
/// then the file URL; the Sandbox: its stored upload). One per platform; a platform without one has no images read.
/// Any other exception is taken as passing (the platform is down) and the fetch is tried again later.
/// </summary>
public interface IMediaSource
{
    ChatPlatform Platform { get; }

    Task<byte[]> FetchAsync(MediaRequest request, CancellationToken ct);
}

/// <summary>Sandbox images are the uploads the Sandbox chat stored (<see cref="SandboxUpload"/>).</summary>
public sealed class SandboxMediaSource(IServiceScopeFactory scopes) : IMediaSource
{
    public ChatPlatform Platform => ChatPlatform.Sandbox;

    public async Task<byte[]> FetchAsync(MediaRequest request, CancellationToken ct)
    {
        var id = SandboxUpload.IdOf(request.MediaId) ?? throw new MediaUnavailableException($"'{request.MediaId}' is not a Sandbox upload");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.Set<SandboxUpload>().IgnoreQueryFilters()
                .Where(u => u.Id == id && u.WorkspaceId == request.WorkspaceId).Select(u => u.Bytes).SingleOrDefaultAsync(ct)
            ?? throw new MediaUnavailableException("the upload no longer exists");
    }
}
