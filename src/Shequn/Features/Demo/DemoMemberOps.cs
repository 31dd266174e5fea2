using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Points;
using Shequn.Features.Tags;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's member operations as a brand would set them up: point levels with their rights (seed 002) and two
/// auto-tag rules (a keyword the live traffic says, and activity over a week), so the points page and the tag rules and
/// review pages have something to work with. The rules are made through the editor, with its checks. Runs on every
/// start: a workspace that has levels or tag rules already gets nothing more.
/// </summary>
public static class DemoMemberOps
{
    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (!await db.Set<PointLevel>().AnyAsync(l => l.WorkspaceId == workspaceId, ct))
        {
            db.Set<PointLevel>().AddRange(
                new PointLevel { WorkspaceId = workspaceId, Name = "铜牌会员", Threshold = 50, Rights = "生日优惠券" },
                new PointLevel { WorkspaceId = workspaceId, Name = "银牌会员", Threshold = 200, Rights = "新品免费试用" },
                new PointLevel { WorkspaceId = workspaceId, Name = "金牌会员", Threshold = 500, Rights = "专属客服；线下活动优先报名" });
            await db.SaveChangesAsync(ct);
        }
        if (await db.Set<TagRule>().AnyAsync(r => r.WorkspaceId == workspaceId, ct))
            return;
        var editor = new TagRuleEditor(db);
        (string Tag, string Name, string Kind, TagRuleSpec Spec)[] rules =
        [
            ("营养咨询", "问过营养问题", nameof(TagRuleKind.Keyword), new TagRuleSpec(Keyword: "营养")),
            ("活跃7天", "近 7 天有 3 天发言", nameof(TagRuleKind.Active), new TagRuleSpec(Days: 3, WithinDays: 7)),
        ];
        foreach (var (tagName, name, kind, spec) in rules)
        {
            var tag = await db.Tags.FirstOrDefaultAsync(t => t.WorkspaceId == workspaceId && t.Name == tagName, ct);
            if (tag is null)
            {
                tag = new Tag { WorkspaceId = workspaceId, Name = tagName };
                db.Tags.Add(tag);
                await db.SaveChangesAsync(ct);
            }
            var made = await editor.CreateAsync(new TagRuleInput(name, tag.Id, kind, spec), ct);
            if (made.Outcome != EditOutcome.Saved)
                throw new InvalidOperationException($"The demo's tag rule '{name}' could not be made: " + string.Join("; ", made.Validation.Errors.SelectMany(e => e.Value)));
        }
    }
}
