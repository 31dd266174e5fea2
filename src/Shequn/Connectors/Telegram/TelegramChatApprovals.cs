using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Connectors.Telegram;

/// <summary>What the event processor asks the connector about Telegram groups it has no community mapping for.</summary>
public static class TelegramChatApprovals
{
    /// <summary>
    /// For each chat id (as events spell it) that a connected bot reported: the approved group's community, or null
    /// while it is pending or ignored. Chat ids no bot reported are absent (the ordinary rules apply to them).
    /// </summary>
    public static async Task<Dictionary<string, Guid?>> ResolveAsync(AppDbContext db, Guid ws, IReadOnlyList<string> chatIds, CancellationToken ct)
    {
        var result = new Dictionary<string, Guid?>(StringComparer.Ordinal);
        var ids = chatIds.Select(c => long.TryParse(c, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) ? id : (long?)null)
            .Where(id => id is not null).Select(id => id!.Value).ToList();
        if (ids.Count == 0)
            return result;
        var rows = await db.Set<TelegramChat>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.WorkspaceId == ws && (ids.Contains(c.ChatId) || (c.MigratedFromChatId != null && ids.Contains(c.MigratedFromChatId.Value))))
            .Select(c => new { c.ChatId, c.MigratedFromChatId, c.Approval, c.CommunityId })
            .ToListAsync(ct);
        foreach (var row in rows)
        {
            var community = row.Approval == TelegramChatApproval.Approved ? row.CommunityId : null;
            result[row.ChatId.ToString(CultureInfo.InvariantCulture)] = community;
            if (row.MigratedFromChatId is { } old)
                result[old.ToString(CultureInfo.InvariantCulture)] = community;
        }
        return result;
    }
}
