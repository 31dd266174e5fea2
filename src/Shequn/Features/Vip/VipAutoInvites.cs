using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Platform.Auth;

namespace Shequn.Features.Vip;

/// <summary>
/// VIP auto-invites (off by default): for each workspace whose rules name an auto-invite community
/// (<see cref="VipRules.AutoInviteCommunityId"/>), the candidates not invited yet are invited there the way staff invite
/// from <c>/vip</c> (<see cref="VipCandidates.AutoInviteAsync"/>: the invite action and the invitation in one audited save,
/// the system as the actor). Run by the daily job (<see cref="Tags.AutoTagJob"/>) under its lease, after the auto-tags it
/// evaluates, so one process invites at a time; an invitation is one per member, so a second run invites nobody twice.
/// </summary>
public static class VipAutoInvites
{
    public static async Task<int> RunAsync(IServiceScopeFactory scopes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        List<Guid> workspaces;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            workspaces = await db.Set<VipRules>().IgnoreQueryFilters().AsNoTracking()
                .Where(r => r.AutoInviteCommunityId != null).Select(r => r.WorkspaceId).ToListAsync(ct);
        }
        var invited = 0;
        foreach (var ws in workspaces)
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentStaff>().ActAsSystem(ws);
            invited += await scope.ServiceProvider.GetRequiredService<VipCandidates>().AutoInviteAsync(ct);
        }
        return invited;
    }
}
