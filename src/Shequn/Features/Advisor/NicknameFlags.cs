using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Members;
using Shequn.Features.Ritual;

namespace Shequn.Features.Advisor;

/// <summary>
/// Per membership, whether its nickname breaks its community's nickname format (<see cref="Membership.NicknameBreaksFormat"/>),
/// so that the advisor counts the breakers by community in the database instead of checking every current nickname on
/// each run (issue 15: a second at 200,000 members). A flag is relative to the format recorded on its community
/// (<see cref="Community.NicknameFormatChecked"/>):
/// <list type="bullet">
/// <item>every save of a membership whose nickname is new or changed sets its flag against that format (null when the
/// community has none recorded);</item>
/// <item><see cref="RefreshAsync"/> rechecks the memberships of each community whose format now is not the one recorded,
/// and records it, run by <see cref="NicknameFlagRefresh"/> in the background only: at start (the backfill of existing
/// rows), at once after a rule set is saved, assigned, deleted or made the default on this node, and now and then
/// (changes made on another node). Never in the editor's request: at scale it takes minutes.</item>
/// </list>
/// The advisor trusts the flags only of communities whose recorded format is their format now, and checks the other
/// communities' nicknames (and unflagged ones) itself: until the recheck is done the advice is the same, only slower.
/// </summary>
public static class NicknameFlags
{
    /// <summary>The usable nickname format each community follows now (its rule set's, else the workspace default's);
    /// null: none. An unreadable rule set asks nothing, as in the enforcer.</summary>
    public static async Task<Dictionary<Guid, string?>> FormatsAsync(AppDbContext db, IEnumerable<(Guid Id, Guid? RuleSetId)> communities, CancellationToken ct)
    {
        var sets = await db.Set<RuleSet>().AsNoTracking().Select(r => new { r.Id, r.IsDefault, r.Spec }).ToListAsync(ct);
        var formats = new Dictionary<Guid, string?>();
        string? fallback = null;
        foreach (var s in sets)
        {
            string? format;
            try
            {
                format = RitualEditor.UsableFormat(RuleSetSpec.FromJson(s.Spec).NicknameFormat);
            }
            catch (System.Text.Json.JsonException)
            {
                format = null;
            }
            formats[s.Id] = format;
            if (s.IsDefault)
                fallback = format;
        }
        return communities.ToDictionary(c => c.Id, c => c.RuleSetId is { } r && formats.TryGetValue(r, out var f) ? f : fallback);
    }

    /// <summary>Whether a nickname breaks a format as the advisor counts it: a nickname that does not follow a format that parses.</summary>
    public static bool Breaks(NicknameFormat? format, string? nickname) => format is not null && !format.Matches(nickname);

    public static NicknameFormat? Parse(string format) => NicknameFormat.TryParse(format, out var parsed, out _) ? parsed : null;

    /// <summary>A membership entry about to be saved whose nickname is new or changed.</summary>
    internal static bool NicknameChanged(EntityEntry entry) => entry.State switch
    {
        EntityState.Added => true,
        EntityState.Modified => entry.Property(nameof(Membership.Nickname)) is { IsModified: true } p && !Equals(p.OriginalValue, p.CurrentValue),
        _ => false,
    };

    /// <summary>Sets the flag of memberships being saved with a new or changed nickname, against their community's recorded format.</summary>
    internal static async Task SetAsync(AppDbContext db, List<EntityEntry>? named, CancellationToken ct)
    {
        if (named is null)
            return;
        var ids = named.Select(e => ((Membership)e.Entity).CommunityId).Distinct().ToList();
        // The recorded formats are read under a lock the recheck's claim (an update of the community) waits for, and
        // which waits for a claim made first, held to the save's commit (SaveWithFlagsAsync): on PostgreSQL a share lock
        // on the communities' rows; SQLite has one writer, so the save takes the write lock before it reads.
        List<RecordedFormat> recorded;
        if (db.Database.IsNpgsql())
        {
            recorded = await db.Database.SqlQuery<RecordedFormat>(
                $"""SELECT "Id", "NicknameFormatChecked" FROM "Communities" WHERE "Id" = ANY({ids.ToArray()}) ORDER BY "Id" FOR SHARE""").ToListAsync(ct);
        }
        else
        {
            await db.Database.ExecuteSqlRawAsync("""UPDATE "Communities" SET "NicknameFormatChecked" = "NicknameFormatChecked" WHERE 0""", ct);
            recorded = await db.Communities.IgnoreQueryFilters().AsNoTracking().Where(c => ids.Contains(c.Id))
                .Select(c => new RecordedFormat { Id = c.Id, NicknameFormatChecked = c.NicknameFormatChecked }).ToListAsync(ct);
        }
        var formats = recorded.Where(c => c.NicknameFormatChecked is not null).ToDictionary(c => c.Id, c => Parse(c.NicknameFormatChecked!));
        foreach (var entry in named)
        {
            var m = (Membership)entry.Entity;
            bool? breaks = m.Nickname is not null && formats.TryGetValue(m.CommunityId, out var format) ? Breaks(format, m.Nickname) : null;
            // Through the entry, so that the change is seen where changes are no longer detected (the set-wise save).
            var flag = entry.Property(nameof(Membership.NicknameBreaksFormat));
            if (!Equals(flag.CurrentValue, breaks))
                flag.CurrentValue = breaks;
        }
    }

    /// <summary>A community's recorded format, as read for a save.</summary>
    internal sealed class RecordedFormat
    {
        public Guid Id { get; set; }
        public string? NicknameFormatChecked { get; set; }
    }

    /// <summary>Distinct nicknames per statement when rewriting a community's flags.</summary>
    internal const int BatchSize = 500;

    /// <summary>
    /// Rechecks the nicknames of every community of the acting workspace whose format now is not the one recorded, and
    /// records it; returns how many communities this call rechecked. One transaction per community, which first records
    /// the format by an update conditioned on the recorded one: a second node doing the same community at once waits
    /// for the first's commit, then updates nothing and skips it, so each community is rewritten by one pass.
    /// </summary>
    public static async Task<int> RefreshAsync(AppDbContext db, CancellationToken ct)
    {
        var communities = await db.Communities.AsNoTracking()
            .Select(c => new { c.Id, c.RuleSetId, c.NicknameFormatChecked }).ToListAsync(ct);
        var formats = await FormatsAsync(db, communities.Select(c => (c.Id, c.RuleSetId)), ct);
        var rechecked = 0;
        foreach (var c in communities)
        {
            var format = formats[c.Id];
            if (format == c.NicknameFormatChecked)
                continue;
            var own = db.Database.CurrentTransaction is null;
            await using var tx = own ? await db.Database.BeginTransactionAsync(ct) : null;
            // The claim: the row stays locked until the commit, so the flags and the format recorded become visible together.
            var claimed = await db.Communities.Where(x => x.Id == c.Id && x.NicknameFormatChecked != format)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NicknameFormatChecked, format), ct);
            if (claimed == 0)
                continue; // another pass did it since this one read the communities (the transaction rolls back, empty)
            if (format is not null)
                await RewriteAsync(db, c.Id, Parse(format), ct);
            if (tx is not null)
                await tx.CommitAsync(ct);
            rechecked++;
        }
        return rechecked;
    }

    /// <summary>
    /// Sets the flags of a community's memberships against a format. Set-wise by nickname value (the distinct names are
    /// read, never the entities): a nickname saved meanwhile keeps the flag its save set, as the update matches the names
    /// read; and only flags that change are written.
    /// </summary>
    private static async Task RewriteAsync(AppDbContext db, Guid communityId, NicknameFormat? format, CancellationToken ct)
    {
        var names = await db.Memberships.AsNoTracking().Where(m => m.CommunityId == communityId && m.Nickname != null)
            .Select(m => m.Nickname!).Distinct().ToListAsync(ct);
        var (breaking, following) = (new List<string>(), new List<string>());
        foreach (var name in names)
            (Breaks(format, name) ? breaking : following).Add(name);
        foreach (var chunk in breaking.Chunk(BatchSize))
            await db.Memberships.Where(m => m.CommunityId == communityId && chunk.Contains(m.Nickname!) && m.NicknameBreaksFormat != true)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NicknameBreaksFormat, true), ct);
        foreach (var chunk in following.Chunk(BatchSize))
            await db.Memberships.Where(m => m.CommunityId == communityId && chunk.Contains(m.Nickname!) && m.NicknameBreaksFormat != false)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NicknameBreaksFormat, false), ct);
    }
}
