using Microsoft.AspNetCore.Identity;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;

namespace Shequn.Features.Demo;

/// <summary>The demo's communities, staff, members and tags, generated from a fixed seed (<see cref="DemoPlan"/>).</summary>
public static class DemoData
{
    private const int BatchSize = 1000;

    /// <summary>The staff accounts the demo creates besides the owner.</summary>
    public static IEnumerable<(string Email, StaffRole Role, string DisplayName)> StaffAccounts =>
        DemoCatalog.Staff.Select(s => (s.Email, s.Role, s.DisplayName));

    /// <summary>
    /// Writes the demo into an existing workspace whose context acts as that workspace. The caller runs this
    /// once, inside the transaction that created the workspace, so a failure leaves nothing behind.
    /// </summary>
    public static async Task SeedAsync(AppDbContext db, UserManager<StaffUser> users, Guid workspaceId, string staffPassword, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var plan = DemoPlan.Generate(workspaceId, now);

        // Communities, staff and tags are what an owner sets up by hand, so they take the normal audited
        // path: the demo's audit log starts with how the workspace was built.
        db.Communities.AddRange(plan.Communities);
        db.Tags.AddRange(plan.Tags);
        foreach (var (name, color, communities) in DemoCatalog.CommunityTags)
        {
            var tag = new CommunityTag { WorkspaceId = workspaceId, Name = name, NormalizedName = CommunityTag.Normalize(name), Color = color, CreatedAt = now.AddDays(-60) };
            db.Add(tag);
            foreach (var community in communities.Select(plan.CommunityNamed))
                community.Tags.Add(new CommunityTagLink { CommunityId = community.Id, TagId = tag.Id, TaggedAt = tag.CreatedAt });
        }
        await db.SaveChangesAsync(ct);

        // All demo staff share the one printed password. Hash it once: PBKDF2 is slow on purpose, and ten
        // hashes of the same password would be most of the seeding time.
        string? passwordHash = null;
        foreach (var spec in DemoCatalog.Staff)
        {
            var joined = now.AddDays(-spec.JoinedDaysAgo);
            var user = new StaffUser
            {
                WorkspaceId = workspaceId, UserName = spec.Email, Email = spec.Email, DisplayName = spec.DisplayName, Role = spec.Role,
                EmailConfirmed = true, CreatedAt = joined,
            };
            passwordHash ??= users.PasswordHasher.HashPassword(user, staffPassword);
            user.PasswordHash = passwordHash;
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
                throw new InvalidOperationException($"Demo staff {spec.Email} could not be created: " + string.Join("; ", created.Errors.Select(e => e.Description)));
            foreach (var (name, role) in spec.Assignments)
            {
                var community = plan.CommunityNamed(name);
                db.CommunityStaff.Add(new CommunityStaff
                {
                    CommunityId = community.Id, StaffUserId = user.Id, Role = role,
                    AssignedAt = joined > community.CreatedAt ? joined : community.CreatedAt,
                });
            }
        }
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        // Members arrive from the platforms, not from staff edits: write them in batches without audit rows
        // (see SaveChangesWithoutAuditAsync). Members first, so memberships can point at any inviter.
        await InsertAsync(db, plan.Members, ct);
        await InsertAsync(db, plan.Memberships, ct);
        await InsertAsync(db, plan.MemberTags, ct);
    }

    private static async Task InsertAsync<T>(AppDbContext db, IEnumerable<T> rows, CancellationToken ct) where T : class
    {
        foreach (var batch in rows.Chunk(BatchSize))
        {
            db.Set<T>().AddRange(batch);
            await db.SaveChangesWithoutAuditAsync(ct);
            // A growing change tracker makes every later batch slower.
            db.ChangeTracker.Clear();
        }
    }
}
