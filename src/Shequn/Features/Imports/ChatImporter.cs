using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Imports;

/// <summary>
/// Imports a chat export into one community: the whole file is read and checked first, and a file with any error
/// is refused with every error's place and nothing stored; a good file goes through the event log in batches
/// (so memberships and figures follow by the usual processing) and its event ids make a second import a no-op.
/// Used by the console upload and by the CLI (`import telegram|csv FILE --community ID`).
/// </summary>
public sealed class ChatImporter(AppDbContext db, EventIngestor ingestor, WorkspaceZones zones)
{
    public const int BatchSize = 2000;

    /// <summary>The community, when the acting staff member may see it and edit communities.</summary>
    public async Task<Community?> FindCommunityAsync(Guid communityId, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanEditCommunities)
            return null;
        return await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct);
    }

    public async Task<ImportResult> ImportAsync(
        Community community, ChatImportFormat format, Stream file, TimeSpan? localOffset, IProgress<(int Done, int Total)>? progress, CancellationToken ct)
    {
        var zone = localOffset is { } offset ? ChatImportOptions.FixedOffset(offset) : await zones.GetAsync(community.WorkspaceId, ct);
        var options = new ChatImportOptions(community.WorkspaceId, community.Id, zone);
        var parsed = format == ChatImportFormat.Telegram ? TelegramExportReader.Read(file, options) : CsvChatReader.Read(file, options);
        if (!parsed.IsValid)
            return new ImportResult(0, 0, 0, parsed.Errors);

        if (parsed.ChatId is { } chatId)
        {
            // Later live events from the same Telegram chat then land in this community too.
            var platform = format == ChatImportFormat.Telegram ? ChatPlatform.Telegram : ChatPlatform.Manual;
            if (!await db.Set<PlatformChat>().AnyAsync(p => p.WorkspaceId == community.WorkspaceId && p.Platform == platform && p.ChatId == chatId, ct))
            {
                db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = community.WorkspaceId, Platform = platform, ChatId = chatId, CommunityId = community.Id });
                await db.SaveChangesWithoutAuditAsync(ct);
            }
        }

        var accepted = 0;
        var done = 0;
        progress?.Report((0, parsed.Events.Count));
        foreach (var batch in parsed.Events.Chunk(BatchSize))
        {
            var statuses = await ingestor.IngestAsync(batch, ct);
            accepted += statuses.Count(s => s == IngestStatus.Accepted);
            done += batch.Length;
            progress?.Report((done, parsed.Events.Count));
        }
        return new ImportResult(parsed.Events.Count, accepted, parsed.Events.Count - accepted, []);
    }
}
