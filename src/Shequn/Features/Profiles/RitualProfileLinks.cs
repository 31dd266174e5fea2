using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Scripts;

namespace Shequn.Features.Profiles;

/// <summary>
/// The joining ritual's <c>{profile_link}</c>: one form link per newcomer named in a welcome (made only when the welcome's
/// texts use the variable). One newcomer: the URL; several: a line "name: URL" each. The links are added to the
/// processor's context (saved with its checkpoint) and tied to the welcome action, so a welcome rewritten while still
/// queued (a burst growing) replaces the links of the text that never went out.
/// </summary>
public static class RitualProfileLinks
{
    public static bool Uses(params string?[] texts) =>
        texts.Any(t => t is not null && t.Contains("{" + ScriptText.ProfileLink + "}", StringComparison.Ordinal));

    public static async Task<(string? Text, List<ProfileLink> Links)> MakeAsync(
        ProfileLinks links, AppDbContext db, Guid ws, IReadOnlyList<(ChatPlatform Platform, string UserId, string Name)> newcomers, DateTime now,
        IReadOnlyDictionary<(Guid Workspace, ChatPlatform Platform, string UserId), Guid> known, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(newcomers);
        var made = new List<ProfileLink>();
        var lines = new List<(string Name, string Url)>();
        foreach (var (platform, userId, name) in newcomers.DistinctBy(n => (n.Platform, n.UserId)))
        {
            // The batch's newcomers are members the effects made or found (maybe not saved yet); earlier ones are in the log.
            var memberId = known.TryGetValue((ws, platform, userId), out var m) ? m : await db.Set<MemberIdentity>().IgnoreQueryFilters().Where(i => i.WorkspaceId == ws && i.Platform == platform && i.UserId == userId)
                .Select(i => (Guid?)i.MemberId).FirstOrDefaultAsync(ct);
            if (memberId is null)
                continue;
            var (link, token) = links.Add(db, ws, memberId.Value, null, now);
            made.Add(link);
            lines.Add((name, links.Url(token)));
        }
        var text = lines.Count switch
        {
            0 => null,
            1 => lines[0].Url,
            _ => string.Join("\n", lines.Select(l => $"{l.Name}: {l.Url}")),
        };
        return (text, made);
    }

    /// <summary>The welcome went out as <paramref name="actionId"/>: its links say so; older unused ones of the same welcome (a text replaced before it went out) go.</summary>
    public static async Task AttachAsync(AppDbContext db, Guid ws, List<ProfileLink> made, Guid actionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(made);
        await db.Set<ProfileLink>().Where(l => l.WorkspaceId == ws && l.WelcomeActionId == actionId && l.UsedAt == null).ExecuteDeleteAsync(ct);
        foreach (var link in made)
            link.WelcomeActionId = actionId;
    }

    /// <summary>Links made for a text that was not used.</summary>
    public static void Discard(AppDbContext db, List<ProfileLink> made)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(made);
        foreach (var link in made)
            db.Set<ProfileLink>().Remove(link);
        made.Clear();
    }
}
