using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Platform.Exports;

namespace Shequn.Features.Campaigns;

/// <summary>A signup-chain campaign's clean lists, parsed from the log when asked.</summary>
public sealed record SignupChainsDto(Guid CampaignId, int Messages, IReadOnlyList<SignupChain> Chains);

/// <summary>
/// Reads a 接龙 campaign's lists on demand: the members' and staff's messages posted in its communities during its period
/// (the event log, in sequence order; senders mapped to members through their platform identities) go through
/// <see cref="SignupChainParser"/>. Nothing is stored: the log is the record, so a late message or a fixed parser rule
/// shows at the next read. Participant rows are not written from here (a read stays a read).
/// </summary>
public sealed class SignupChainReader(AppDbContext db)
{
    /// <summary>More messages than this in one campaign are not read: the chat would be far beyond a 接龙.</summary>
    public const int MaxMessages = 20_000;

    public async Task<SignupChainsDto?> ReadAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var campaign = await db.Set<Campaign>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (campaign is null || campaign.Kind != CampaignKind.SignupChain || !CampaignDesk.Sees(me, campaign.CommunityIdsValue()))
            return null;
        var ws = campaign.WorkspaceId;
        var communities = campaign.CommunityIdsValue().Where(c => me.SeesAllCommunities || me.Sees(c)).ToList();
        var rows = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.WorkspaceId == ws && e.Kind == EventKind.MessagePosted && e.CommunityId != null && communities.Contains(e.CommunityId.Value)
                && e.OccurredAt >= campaign.StartsAt && e.OccurredAt < campaign.EndsAt && e.Text != null)
            .OrderBy(e => e.Seq).Take(MaxMessages)
            .Select(e => new { e.Seq, e.Platform, e.UserId, e.UserName, e.OccurredAt, e.Text })
            .ToListAsync(ct);
        var userIds = rows.Where(r => r.UserId != null).Select(r => r.UserId!).Distinct().ToList();
        var identities = await db.Set<MemberIdentity>().AsNoTracking().Where(i => userIds.Contains(i.UserId))
            .Select(i => new { i.Platform, i.UserId, i.MemberId }).ToListAsync(ct);
        var memberOf = identities.GroupBy(i => (i.Platform, i.UserId)).ToDictionary(g => g.Key, g => g.First().MemberId);
        var messages = rows.Select(r => new ChainMessage(r.Seq,
            r.UserId is null ? null : memberOf.TryGetValue((r.Platform, r.UserId), out var m) ? m : null,
            r.UserName ?? "", r.OccurredAt, r.Text!)).ToList();
        return new SignupChainsDto(id, messages.Count, SignupChainParser.Parse(messages));
    }

    /// <summary>One chain as CSV (UTF-8 with a byte-order mark, which spreadsheets need to read Chinese): the one titled
    /// <paramref name="title"/>, else the first; null when there is none. The export is audited.</summary>
    public async Task<(byte[] Content, string FileName)?> CsvAsync(Guid id, string? title, CancellationToken ct = default)
    {
        var read = await ReadAsync(id, ct);
        if (read is null)
            return null;
        var chain = string.IsNullOrWhiteSpace(title)
            ? (read.Chains.Count > 0 ? read.Chains[0] : null)
            : read.Chains.FirstOrDefault(c => string.Equals(c.Title.Trim(), title.Trim(), StringComparison.Ordinal));
        if (chain is null)
            return null;
        var content = SignupChainExport.Csv(chain);
        await ExportAudit.RecordAsync(db, "SignupChain", id, "csv", chain.Entries.Count + chain.Withdrawals.Count,
            new Dictionary<string, object?> { ["title"] = chain.Title }, ct);
        return (content, FileName(chain.Title));
    }

    /// <summary>The title as a file name: characters a file system refuses become "_".</summary>
    public static string FileName(string title)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['/', '\\', ':', '*', '?', '"', '<', '>', '|']).ToHashSet();
        var name = new string([.. (title ?? "").Trim().Select(c => invalid.Contains(c) || char.IsControl(c) ? '_' : c)]);
        if (name.Length == 0)
            name = "signup-chain";
        if (name.Length > 80)
            name = name[..80];
        return name + ".csv";
    }
}
