using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's Manual group (a personal WeChat group the boss runs with an operator) and two open staff tasks in it,
/// made the way the dispatcher makes them: a removal for the owner, already overdue, and a send for the operator.
/// Kept outside <see cref="DemoCatalog"/> so that the generated members and their history stay as they were.
/// </summary>
public static class DemoTasks
{
    public const string CommunityName = "老客户微信群";
    public const int Communities = 1;
    public const int Assignments = 2;
    private const string OperatorEmail = "zheng.xue@demo.shequn.local";
    private const string Removed = "刘大海";
    private const string RemovedUserId = "wxid_liudahai";

    public static async Task SeedAsync(AppDbContext db, TaskOpener opener, Guid workspaceId, Guid ownerId, DateTime now, CancellationToken ct)
    {
        var community = new Community
        {
            WorkspaceId = workspaceId, Name = CommunityName, Platform = ChatPlatform.Manual, Type = CommunityType.Service,
            SubType = CommunitySubType.AfterSale, Tier = CommunityTier.VipPaying, Capacity = 200, CreatedAt = now.AddDays(-30),
            Purpose = "个人微信老客户群：无法接入 API，操作由员工按任务手动完成",
        };
        db.Communities.Add(community);
        var op = await db.Users.Where(u => u.WorkspaceId == workspaceId && u.Email == OperatorEmail).Select(u => u.Id).SingleAsync(ct);
        db.CommunityStaff.Add(new CommunityStaff { CommunityId = community.Id, StaffUserId = ownerId, Role = CommunityRole.SubOwner, AssignedAt = community.CreatedAt });
        db.CommunityStaff.Add(new CommunityStaff { CommunityId = community.Id, StaffUserId = op, Role = CommunityRole.Operator, AssignedAt = community.CreatedAt });
        var member = await db.Members.Where(m => m.DisplayName == Removed).OrderBy(m => m.CreatedAt).Select(m => m.Id).FirstAsync(ct);
        db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = workspaceId, Platform = ChatPlatform.Manual, UserId = RemovedUserId, MemberId = member });
        await db.SaveChangesAsync(ct);

        // Managing the group falls to its sub-owner (the boss), speaking in it to its operator (TaskRouting).
        var removal = await OpenAsync(db, opener, workspaceId, community.Id, ownerId, ActionKind.Remove, new ActionPayload(UserId: RemovedUserId), now.AddHours(-3), 1, ct);
        await OpenAsync(db, opener, workspaceId, community.Id, ownerId, ActionKind.Send,
            new ActionPayload(Text: "各位老客户好！本周六上午 10 点在群里直播讲解鱼油怎么选，欢迎提前把问题发在群里～"), now.AddMinutes(-10), 2, ct);
        // The removal was asked for three hours ago and was due within half an hour: overdue.
        removal.CreatedAt = now.AddHours(-3);
        removal.DueAt = now.AddHours(-2.5);
        await db.SaveChangesWithoutAuditAsync(ct);
    }

    private static async Task<StaffTask> OpenAsync(AppDbContext db, TaskOpener opener, Guid workspaceId, Guid communityId, Guid ownerId,
        ActionKind kind, ActionPayload payload, DateTime at, int n, CancellationToken ct)
    {
        var action = OutboundAction.Create(workspaceId, communityId, kind, payload, $"demo:manual:{n}");
        action.CausedByStaffId = ownerId;
        action.CreatedAt = at;
        db.Set<OutboundAction>().Add(action);
        await db.SaveChangesAsync(ct);
        return await opener.OpenAsync(db, action, payload, at, text => db.Set<OutboundAction>().Where(a => a.Id == action.Id).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Status, ActionStatus.Task).SetProperty(a => a.Payload, (payload with { TaskText = text }).ToJson())
            .SetProperty(a => a.CompletedAt, at), ct), ct) ?? throw new InvalidOperationException("The demo's task was not opened.");
    }
}
