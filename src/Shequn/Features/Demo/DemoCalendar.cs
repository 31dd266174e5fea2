using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Calendar;
using Shequn.Features.Communities;
using Shequn.Features.Staff;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's content plan: a weekly SOP (seed 001 §5: a morning knowledge slot, an afternoon topic, an evening product
/// of the day) applied to three communities, and two posts of its own, one of them a promotion at noon so the lint has
/// something to say. Runs on every start: a workspace with a template already gets nothing more.
/// </summary>
public static class DemoCalendar
{
    public const string TemplateName = "每周推送节奏";

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<SopTemplate>().AnyAsync(t => t.WorkspaceId == workspaceId, ct))
            return;
        var owner = await db.Users.Where(u => u.WorkspaceId == workspaceId && u.Role == StaffRole.Owner).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync(ct);
        var communities = await db.Communities.Where(c => c.WorkspaceId == workspaceId && c.State == CommunityState.Active && c.Platform == ChatPlatform.Sandbox)
            .OrderBy(c => c.Name).Take(3).ToListAsync(ct);
        if (communities.Count == 0)
            return;
        var weekdays = new[] { DayOfWeek.Monday, DayOfWeek.Wednesday, DayOfWeek.Friday };
        var template = new SopTemplate
        {
            WorkspaceId = workspaceId, Name = TemplateName, Trigger = SopTrigger.Weekdays, WeeksAhead = 3,
            Steps = JsonSerializer.Serialize(new List<SopStep>
            {
                new("早安小知识", "早上好，{community} 的朋友们！今天聊聊鱼油怎么吃更好吸收：随餐吃，别空腹。", ContentType.Knowledge, "09:30", Weekdays: weekdays),
                new("下午话题", "今日话题：你每天几点吃保健品？在群里说说你的习惯～", ContentType.Topic, "15:00", Weekdays: [DayOfWeek.Tuesday, DayOfWeek.Thursday]),
                new("今晚爆品", "今晚 8 点爆品：深海鱼油 2 瓶装，群内专享价，限量 50 份。", ContentType.ProductOfTheDay, "20:00", Weekdays: weekdays),
            }, PostPlanner.Json),
        };
        db.Add(template);
        foreach (var c in communities)
            db.Add(new SopApplication { WorkspaceId = workspaceId, TemplateId = template.Id, CommunityId = c.Id, AppliedByStaffId = owner });
        // Two posts of the plan's own: the Double 12 campaign, and a promotion placed at noon (the lint flags it).
        var zone = await scope.ServiceProvider.GetRequiredService<Workspaces.WorkspaceZones>().GetAsync(workspaceId, ct);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, zone));
        (string Title, string Text, ContentType Type, DateOnly Day, TimeOnly At)[] posts =
        [
            ("双12 预告", "{community} 双12 会员专场明晚开启，提前加购不迷路！", ContentType.Campaign, today.AddDays(2), new TimeOnly(19, 30)),
            ("午间秒杀", "午间秒杀：维生素 D3 第二件半价，仅限今天中午。", ContentType.ProductOfTheDay, today.AddDays(1), new TimeOnly(12, 0)),
        ];
        foreach (var (title, text, type, day, at) in posts)
        {
            var due = TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(at), zone);
            var post = new Post
            {
                WorkspaceId = workspaceId, Title = title, Text = text, ContentType = type, DueAt = due, Status = PostStatus.Approved,
                Targets = JsonSerializer.Serialize(new PostTargets([communities[0].Id]), PostPlanner.Json),
                CreatedByStaffId = owner, ApprovedByStaffId = owner, ApprovedAt = DateTime.UtcNow,
            };
            db.Add(post);
            db.Add(new PostDelivery { WorkspaceId = workspaceId, PostId = post.Id, CommunityId = communities[0].Id, DueAt = due, State = DeliveryState.Scheduled });
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await ActivatorUtilities.CreateInstance<SopPlanner>(scope.ServiceProvider).SyncAsync(template, ct);
        await tx.CommitAsync(ct);
    }
}
