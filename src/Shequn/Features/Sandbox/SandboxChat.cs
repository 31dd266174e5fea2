using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Features.Sandbox;

public sealed record ChatLine(long Seq, DateTime At, EventKind Kind, string? UserId, string? Name, bool FromStaff, MessageKind? MessageKind, string? Text, string? MessageId = null)
{
    /// <summary>A messageDeleted event names this message.</summary>
    public bool Deleted { get; init; }

    /// <summary>An image's inspection, once done: what its QR codes say (one per line; empty: none).</summary>
    public ImageInspection? Inspection { get; init; }
}

/// <param name="Codes">What the image's QR codes say, one per line (empty: none found).</param>
/// <param name="NotRead">Why the image could not be read, when it could not.</param>
public sealed record ImageInspection(string Codes, string? NotRead);

/// <param name="MutedUntil">The end of the member's latest restriction, while it lasts.</param>
public sealed record ChatMember(string UserId, string Name, DateTime? MutedUntil = null);

/// <summary>
/// The Sandbox platform's chat: what the live chat page shows and does. Acting as a member produces the same events
/// a platform connector would, through the same ingestor, so everything downstream (memberships, figures, later
/// moderation and welcomes) sees the Sandbox as just another platform.
/// </summary>
public sealed class SandboxChat(IDbContextFactory<AppDbContext> dbFactory, EventIngestor ingestor)
{
    /// <summary>The community, if the acting staff member may see it and it is a Sandbox community.</summary>
    public async Task<Community?> FindAsync(Guid communityId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var me = await db.Current.GetProfileAsync(db, ct);
        return await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId && c.Platform == ChatPlatform.Sandbox, ct);
    }

    /// <summary>The latest messages, joins and leaves, oldest first. Read from the log, so a post shows at once.</summary>
    public async Task<IReadOnlyList<ChatLine>> RecentAsync(Guid communityId, int count, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var lines = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == db.CurrentWorkspaceId && e.CommunityId == communityId
                && (e.Kind == EventKind.MessagePosted || e.Kind == EventKind.MemberJoined || e.Kind == EventKind.MemberLeft || e.Kind == EventKind.MemberRemoved
                    || e.Kind == EventKind.MemberRestricted))
            .OrderByDescending(e => e.Seq).Take(count)
            .Select(e => new ChatLine(e.Seq, e.OccurredAt, e.Kind, e.UserId, e.UserName, e.FromStaff, e.MessageKind, e.Text, e.MessageId))
            .ToListAsync(ct);
        var ids = lines.Where(l => l.MessageId is not null).Select(l => l.MessageId!).ToList();
        var deleted = (await db.Set<CommunityEvent>().AsNoTracking()
                .Where(e => e.WorkspaceId == db.CurrentWorkspaceId && e.CommunityId == communityId && e.Kind == EventKind.MessageDeleted && ids.Contains(e.MessageId!))
                .Select(e => e.MessageId!)
                .ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        var images = lines.Where(l => l.MessageKind == MessageKind.Image && l.MessageId is not null).Select(l => l.MessageId!).ToList();
        var inspections = images.Count == 0 ? [] : (await db.Set<CommunityEvent>().AsNoTracking()
                .Where(e => e.WorkspaceId == db.CurrentWorkspaceId && e.CommunityId == communityId && e.Kind == EventKind.MessageInspected && images.Contains(e.MessageId!))
                .Select(e => new { e.MessageId, e.Text, e.Channel })
                .ToListAsync(ct))
            .DistinctBy(e => e.MessageId).ToDictionary(e => e.MessageId!, e => new ImageInspection(e.Text ?? "", e.Channel), StringComparer.Ordinal);
        lines.Reverse();
        return [.. lines.Select(l => l with
        {
            Deleted = l.MessageId is { } id && deleted.Contains(id),
            Inspection = l.MessageId is { } image && inspections.TryGetValue(image, out var found) ? found : null,
        })];
    }

    /// <summary>Current members with their Sandbox identity (members without one cannot be acted as), and who is muted.</summary>
    public async Task<IReadOnlyList<ChatMember>> MembersAsync(Guid communityId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var members = await (from m in db.Memberships
                             where m.CommunityId == communityId && m.LeftAt == null
                             join i in db.Set<MemberIdentity>() on m.MemberId equals i.MemberId
                             where i.Platform == ChatPlatform.Sandbox && i.WorkspaceId == db.CurrentWorkspaceId
                             orderby m.Member!.DisplayName
                             select new ChatMember(i.UserId, m.Nickname ?? m.Member!.DisplayName, null))
            .Distinct().ToListAsync(ct);
        var restrictions = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == db.CurrentWorkspaceId && e.CommunityId == communityId && e.Kind == EventKind.MemberRestricted)
            .OrderBy(e => e.Seq).Select(e => new { e.UserId, e.Text }).ToListAsync(ct);
        var until = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var r in restrictions.Where(r => r.UserId is not null))
            until[r.UserId!] = MutedUntil(r.Text) ?? DateTime.MaxValue;
        var now = DateTime.UtcNow;
        return [.. members.Select(m => until.TryGetValue(m.UserId, out var end) && end > now ? m with { MutedUntil = end } : m)];
    }

    /// <summary>The end of a restriction as a memberRestricted event states it; null when it has none (until lifted).</summary>
    public static DateTime? MutedUntil(string? text) =>
        DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at : null;

    /// <summary>A new person joins under the given nickname; returns their Sandbox user id.</summary>
    public async Task<string> JoinAsync(Guid communityId, string nickname, string? channel, CancellationToken ct = default)
    {
        var userId = "sbx-" + Guid.NewGuid().ToString("N")[..12];
        var e = await NewAsync(communityId, EventKind.MemberJoined, userId, nickname.Trim());
        e.Channel = channel;
        await ingestor.IngestAsync([e], ct);
        return userId;
    }

    public async Task PostAsync(Guid communityId, string userId, string name, string text, bool fromStaff, CancellationToken ct = default)
    {
        var e = await NewAsync(communityId, EventKind.MessagePosted, userId, name);
        e.Text = EventEffects.Clip(text, CommunityEvent.TextMaxLength);
        e.MessageKind = text.Contains("http", StringComparison.OrdinalIgnoreCase) ? MessageKind.Link : MessageKind.Text;
        e.MessageId = e.PlatformEventId;
        e.FromStaff = fromStaff;
        await ingestor.IngestAsync([e], ct);
    }

    /// <summary>
    /// A member posts an image (with an optional caption): the bytes are stored as a <see cref="SandboxUpload"/> and the
    /// message names it, as Telegram's does its photo. Whatever the bytes are, they are kept: the image inspector decides
    /// whether they are an image. Empty or larger than <see cref="SandboxUpload.MaxBytes"/>: refused (null).
    /// </summary>
    public async Task<CommunityEvent?> PostImageAsync(Guid communityId, string userId, string name, string fileName, string? contentType, byte[] bytes,
        string? caption, bool fromStaff, CancellationToken ct = default)
    {
        if (bytes.Length == 0 || bytes.Length > SandboxUpload.MaxBytes)
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var upload = new SandboxUpload
        {
            WorkspaceId = db.CurrentWorkspaceId,
            CommunityId = communityId,
            FileName = EventEffects.Clip(string.IsNullOrWhiteSpace(fileName) ? "image" : Path.GetFileName(fileName), 200)!,
            ContentType = EventEffects.Clip(string.IsNullOrWhiteSpace(contentType) ? "application/octet-stream" : contentType, 100)!,
            Bytes = bytes,
        };
        db.Add(upload);
        // An upload is chat content, like a message, not a staff change: no audit row.
        await db.SaveChangesWithoutAuditAsync(ct);
        var e = New(db.CurrentWorkspaceId, communityId, EventKind.MessagePosted, userId, name);
        e.MessageKind = MessageKind.Image;
        e.MessageId = e.PlatformEventId;
        e.MediaId = upload.MediaId;
        e.Text = EventEffects.Clip(string.IsNullOrWhiteSpace(caption) ? null : caption, CommunityEvent.TextMaxLength);
        e.FromStaff = fromStaff;
        await ingestor.IngestAsync([e], ct);
        return e;
    }

    public async Task LeaveAsync(Guid communityId, string userId, string name, CancellationToken ct = default) =>
        await ingestor.IngestAsync([await NewAsync(communityId, EventKind.MemberLeft, userId, name)], ct);

    private async Task<CommunityEvent> NewAsync(Guid communityId, EventKind kind, string userId, string name)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return New(db.CurrentWorkspaceId, communityId, kind, userId, name);
    }

    internal static CommunityEvent New(Guid workspaceId, Guid communityId, EventKind kind, string userId, string name) => new()
    {
        WorkspaceId = workspaceId,
        Platform = ChatPlatform.Sandbox,
        PlatformEventId = "sbx-" + Guid.CreateVersion7().ToString("N"),
        Kind = kind,
        OccurredAt = DateTime.UtcNow,
        CommunityId = communityId,
        UserId = userId,
        UserName = EventEffects.Clip(name, CommunityEvent.NameMaxLength),
    };
}
