using Microsoft.AspNetCore.Identity;
using Shequn.Data;
using Shequn.Features.Staff;

namespace Shequn.Features.Demo;

/// <summary>The demo's communities, staff, members and tags, generated from a fixed seed.</summary>
public static class DemoData
{
    public static Task SeedAsync(AppDbContext db, UserManager<StaffUser> users, Guid workspaceId, CancellationToken ct) =>
        Task.CompletedTask;
}
