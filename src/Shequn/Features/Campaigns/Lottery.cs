using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Members;

namespace Shequn.Features.Campaigns;

/// <summary>
/// A lottery's commit/reveal state, one row per published lottery campaign (docs/lottery.md). The seed is made when the
/// campaign is published and stays unreadable until <see cref="DrawnAt"/> is set; only its <see cref="Commitment"/> is
/// shown before. Not audited on purpose: an audit row would publish the seed early. <see cref="EntryCount"/> hands out
/// entry numbers (incremented only while <see cref="DrawnAt"/> is null, so the draw closes entries); setting
/// <see cref="DrawnAt"/> from null is the one conditional update that makes a draw happen once.
/// </summary>
public sealed class CampaignLottery : IWorkspaceOwned
{
    public const int HashLength = 64;
    public const int TextMaxLength = 500;

    public Guid CampaignId { get; set; }
    public Guid WorkspaceId { get; set; }
    /// <summary>32 random bytes; secret until the draw.</summary>
    public required byte[] Seed { get; set; }
    /// <summary>SHA-256 of the seed as lower-case hex, public from publishing on.</summary>
    public required string Commitment { get; set; }
    /// <summary>The last entry number handed out.</summary>
    public int EntryCount { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>When entries closed and the seed was revealed (with or without winners).</summary>
    public DateTime? DrawnAt { get; set; }
    public string? EntriesHash { get; set; }
    /// <summary><see cref="LotteryWinner"/>s as JSON, in draw order.</summary>
    public string Winners { get; set; } = "[]";
    /// <summary>Why the draw gave less than promised (more prizes than entrants), or why there was none (no entrants).</summary>
    public string? Warning { get; set; }

    public IReadOnlyList<LotteryWinner> WinnersValue() => JsonSerializer.Deserialize<List<LotteryWinner>>(Winners, CampaignJson.Options) ?? [];
}

/// <summary>
/// One member's entry in a lottery (unique per campaign and member): a stable number in order of entry and the line
/// published for it, <c>{number}:{masked name}</c>, fixed when entered so the published list never changes.
/// </summary>
public sealed class LotteryEntry : IWorkspaceOwned
{
    public const int EntryMaxLength = 120;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public int Number { get; set; }
    public required string Entry { get; set; }
    public Guid? CommunityId { get; set; }
    /// <summary>The keyword message in the event log, when entered from the group.</summary>
    public long? EventSeq { get; set; }
    public DateTime EnteredAt { get; set; }
}

internal sealed class CampaignLotteryConfiguration : IEntityTypeConfiguration<CampaignLottery>
{
    public void Configure(EntityTypeBuilder<CampaignLottery> b)
    {
        b.ToTable("CampaignLotteries");
        b.HasKey(l => l.CampaignId);
        b.Property(l => l.Commitment).HasMaxLength(CampaignLottery.HashLength);
        b.Property(l => l.EntriesHash).HasMaxLength(CampaignLottery.HashLength);
        b.Property(l => l.Warning).HasMaxLength(CampaignLottery.TextMaxLength);
        b.HasIndex(l => new { l.DrawnAt, l.WorkspaceId });
        b.HasOne<Campaign>().WithOne().HasForeignKey<CampaignLottery>(l => l.CampaignId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LotteryEntryConfiguration : IEntityTypeConfiguration<LotteryEntry>
{
    public void Configure(EntityTypeBuilder<LotteryEntry> b)
    {
        b.ToTable("LotteryEntries");
        b.HasKey(e => e.Id);
        b.Property(e => e.Entry).HasMaxLength(LotteryEntry.EntryMaxLength);
        b.HasIndex(e => new { e.CampaignId, e.MemberId }).IsUnique();
        b.HasIndex(e => new { e.CampaignId, e.Number }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(e => e.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Why an entry was not taken.</summary>
public enum LotteryRefusal
{
    None = 0,
    NotRunning = 1,
    Drawn = 2,
    JoinedAfterStart = 3,
    Silent = 4,
}

/// <summary>
/// The lottery's writes shared by the API, the group reaction and the draw: opening (seed and commitment), entering
/// once, and masking names for publication.
/// </summary>
public static class Lotteries
{
    /// <summary>The word members post in the group to enter when the rules name none.</summary>
    public const string DefaultKeyword = "抽奖";

    /// <summary>A fresh seed and its commitment for a lottery being published.</summary>
    public static CampaignLottery Open(Campaign campaign, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        var seed = LotteryDraw.NewSeed();
        return new CampaignLottery { CampaignId = campaign.Id, WorkspaceId = campaign.WorkspaceId, Seed = seed, Commitment = LotteryDraw.Commitment(seed), CreatedAt = now };
    }

    public static string Keyword(Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        return campaign.RulesValue().Keyword is { Length: > 0 } k && !string.IsNullOrWhiteSpace(k) ? k.Trim() : DefaultKeyword;
    }

    /// <summary>
    /// A name as published: its first character and one star per further character, at most three (张三 → 张*, Alice →
    /// A***), so a member recognises their line and nobody else learns the name. Line breaks never survive.
    /// </summary>
    public static string Mask(string? name)
    {
        var clean = new string((name ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (clean.Length == 0)
            return "*";
        var elements = StringInfo.GetTextElementEnumerator(clean);
        elements.MoveNext();
        var first = (string)elements.Current;
        var rest = new StringInfo(clean).LengthInTextElements - 1;
        return first + new string('*', Math.Clamp(rest, 1, 3));
    }

    public static string EntryText(int number, string? name) => string.Create(CultureInfo.InvariantCulture, $"{number}:{Mask(name)}");

    /// <summary>The entries in published order.</summary>
    public static async Task<List<LotteryEntry>> EntriesAsync(AppDbContext db, Guid campaignId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.Set<LotteryEntry>().IgnoreQueryFilters().AsNoTracking().Where(e => e.CampaignId == campaignId).OrderBy(e => e.Number).ToListAsync(ct);
    }

    /// <summary>
    /// Enters a member once: an existing entry is returned as it is (a replay, a double click); otherwise the campaign
    /// must be running and its draw not made, and the rules' exclusions hold. The number comes from a conditional
    /// increment of <see cref="CampaignLottery.EntryCount"/> in the caller's transaction, so two entries never share one
    /// and none is taken once the draw has begun. The caller saves; a unique-key failure means a concurrent same entry.
    /// </summary>
    public static async Task<(LotteryEntry? Entry, bool Created, LotteryRefusal Refusal)> EnterAsync(
        AppDbContext db, Campaign campaign, Guid memberId, Guid? communityId, long? eventSeq, DateTime at, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(campaign);
        var tracked = db.ChangeTracker.Entries<LotteryEntry>().Select(x => x.Entity).FirstOrDefault(e => e.CampaignId == campaign.Id && e.MemberId == memberId);
        var existing = tracked ?? await db.Set<LotteryEntry>().IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(e => e.CampaignId == campaign.Id && e.MemberId == memberId, ct);
        if (existing is not null)
            return (existing, false, LotteryRefusal.None);
        if (campaign.PhaseAt(at) != CampaignPhase.Running)
            return (null, false, LotteryRefusal.NotRunning);
        if (await ExcludedAsync(db, campaign, memberId, eventSeq is null ? null : at, ct) is { } excluded)
            return (null, false, excluded);
        var taken = await db.Set<CampaignLottery>().IgnoreQueryFilters()
            .Where(l => l.CampaignId == campaign.Id && l.DrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.EntryCount, l => l.EntryCount + 1), ct);
        if (taken == 0)
            return (null, false, LotteryRefusal.Drawn);
        var number = await db.Set<CampaignLottery>().IgnoreQueryFilters().Where(l => l.CampaignId == campaign.Id).Select(l => l.EntryCount).SingleAsync(ct);
        var name = await db.Members.IgnoreQueryFilters().Where(m => m.Id == memberId).Select(m => m.DisplayName).SingleOrDefaultAsync(ct);
        var entry = new LotteryEntry
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, MemberId = memberId, Number = number, Entry = EntryText(number, name),
            CommunityId = communityId, EventSeq = eventSeq, EnteredAt = at,
        };
        db.Add(entry);
        await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, memberId, communityId, at, ct);
        return (entry, true, LotteryRefusal.None);
    }

    /// <summary>The rules' anti-abuse (<see cref="CampaignExclusions"/>); entering by the word in the group, only speaking before it counts.</summary>
    private static async Task<LotteryRefusal?> ExcludedAsync(AppDbContext db, Campaign campaign, Guid memberId, DateTime? keywordAt, CancellationToken ct) =>
        await CampaignExclusions.DecideAsync(db, campaign, campaign.RulesValue(), memberId, keywordAt, ct) switch
        {
            ExclusionReason.JoinedAfterStart => LotteryRefusal.JoinedAfterStart,
            ExclusionReason.Silent => LotteryRefusal.Silent,
            _ => null,
        };

    /// <summary>The announcement of the winners to one community, in the members' language.</summary>
    public static string Announcement(Campaign campaign, IReadOnlyList<LotteryWinner> winners, string drawUrl, bool english)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(winners);
        var head = english ? $"🎉 {campaign.Name}: the winners" : $"🎉 {campaign.Name} 开奖结果";
        var tail = (english ? "Check the draw yourself: " : "公开核对抽奖：") + drawUrl;
        var text = new StringBuilder(head).Append('\n');
        foreach (var prize in winners.GroupBy(w => (w.PrizeIndex, w.Prize)).OrderBy(g => g.Key.PrizeIndex))
        {
            var line = prize.Key.Prize + (english ? ": " : "：") + string.Join(english ? ", " : "、", prize.Select(w => w.Entry));
            // Keep the link whatever happens: a very long list is cut, the page has it in full.
            if (text.Length + line.Length + tail.Length + 3 > Outbox.OutboundAction.TextMaxLength)
            {
                text.Append("…\n");
                break;
            }
            text.Append(line).Append('\n');
        }
        return text.Append(tail).ToString();
    }
}
