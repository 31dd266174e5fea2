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
/// then records it: after a rule set is saved, assigned or made the default, and by <see cref="NicknameFlagRefresh"/>
/// at start (the backfill of existing rows) and now and then (changes made on another node).</item>
/// </list>
/// The advisor trusts the flags only of communities whose recorded format is their format now, and checks the other
/// communities' nicknames (and unflagged ones) itself: a format changed by a path that does not refresh gives the same
/// advice, only slower.
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
        var recorded = await db.Communities.IgnoreQueryFilters().AsNoTracking()
            .Where(c => ids.Contains(c.Id) && c.NicknameFormatChecked != null)
            .Select(c => new { c.Id, c.NicknameFormatChecked }).ToListAsync(ct);
        var formats = recorded.ToDictionary(c => c.Id, c => Parse(c.NicknameFormatChecked!));
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

    /// <summary>
    /// Rechecks the nicknames of every community of the acting workspace whose format now is not the one recorded, and
    /// records it; returns how many communities were rechecked. Safe on two nodes at once: both write the same flags.
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
            await using var tx = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(ct) : null;
            if (format is not null)
            {
                var parsed = Parse(format);
                var names = await db.Memberships.AsNoTracking().Where(m => m.CommunityId == c.Id && m.Nickname != null)
                    .Select(m => new { m.Id, m.Nickname }).ToListAsync(ct);
                var breaking = names.Where(n => Breaks(parsed, n.Nickname)).Select(n => n.Id).ToList();
                await db.Memberships.Where(m => m.CommunityId == c.Id && m.Nickname != null)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.NicknameBreaksFormat, false), ct);
                foreach (var chunk in breaking.Chunk(500))
                    await db.Memberships.Where(m => chunk.Contains(m.Id)).ExecuteUpdateAsync(s => s.SetProperty(m => m.NicknameBreaksFormat, true), ct);
            }
            await db.Communities.Where(x => x.Id == c.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.NicknameFormatChecked, format), ct);
            if (tx is not null)
                await tx.CommitAsync(ct);
            rechecked++;
        }
        return rechecked;
    }
}
