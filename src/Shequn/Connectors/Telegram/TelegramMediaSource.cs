using Shequn.Features.Communities;
using Shequn.Features.Images;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace Shequn.Connectors.Telegram;

/// <summary>
/// Telegram photos as the Bot API gives them out: <c>getFile</c> with the message's <c>file_id</c> names a path, then the
/// bytes are downloaded from <c>{ApiBaseUrl}/file/bot{token}/{file_path}</c> (platforms.md C1), through the workspace's
/// bot. A file larger than the decoder accepts is refused from <c>file_size</c> before downloading, and a download
/// that runs past it is cut off.
/// </summary>
public sealed class TelegramMediaSource(ITelegramBots bots) : IMediaSource
{
    public ChatPlatform Platform => ChatPlatform.Telegram;

    public async Task<byte[]> FetchAsync(MediaRequest request, CancellationToken ct)
    {
        var bot = (request.CommunityId is { } community ? await bots.ForCommunityAsync(request.WorkspaceId, community, ct) : null)
            ?? throw new InvalidOperationException("No connected Telegram bot serves this chat (yet).");
        try
        {
            var file = await bot.GetFile(request.MediaId, ct);
            if (file.FileSize > request.MaxBytes)
                throw new MediaUnavailableException($"{file.FileSize:N0} bytes (at most {request.MaxBytes:N0})");
            if (string.IsNullOrEmpty(file.FilePath))
                throw new MediaUnavailableException("Telegram gave no file path (the file cannot be downloaded)");
            using var bytes = new CappedStream(request.MaxBytes);
            await bot.DownloadFile(file.FilePath, bytes, ct);
            return bytes.ToArray();
        }
        catch (ApiRequestException e) when (e.ErrorCode == 400)
        {
            // "Bad Request: file is too big", "wrong file_id": asking again gives the same answer.
            throw new MediaUnavailableException($"Telegram {e.ErrorCode}: {e.Message}");
        }
    }

    /// <summary>A memory stream that refuses to grow past a limit (a server that sends more than it announced).</summary>
    private sealed class CappedStream(long max) : MemoryStream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Check(count);
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }

        private void Check(int adding)
        {
            if (Length + adding > max)
                throw new MediaUnavailableException($"the download is over {max:N0} bytes");
        }
    }
}
