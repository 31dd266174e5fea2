using Microsoft.EntityFrameworkCore;
using Shequn.Data;

namespace Shequn.Features.Events;

/// <summary>
/// A lease on an <see cref="EventCheckpoint"/> row, so that one app process at a time runs a background job: claimed
/// by a conditional update (free, already ours, or expired), released by the holder with the time it finished.
/// </summary>
public static class CheckpointLease
{
    public static async Task<bool> TryClaimAsync(AppDbContext db, string name, string node, DateTime now, TimeSpan lease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.Set<EventCheckpoint>()
            .Where(c => c.Name == name && (c.LeaseOwner == null || c.LeaseOwner == node || c.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, node).SetProperty(c => c.LeaseUntil, now + lease), ct) == 1;
    }

    /// <summary>Gives the lease back (never cancelled: a job stopped half-way must still free it).</summary>
    public static Task ReleaseAsync(AppDbContext db, string name, string node, DateTime finishedAt)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Set<EventCheckpoint>().Where(c => c.Name == name && c.LeaseOwner == node)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, (string?)null).SetProperty(c => c.LeaseUntil, (DateTime?)null)
                .SetProperty(c => c.UpdatedAt, finishedAt), CancellationToken.None);
    }
}
