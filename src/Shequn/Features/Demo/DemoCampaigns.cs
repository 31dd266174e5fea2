using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's campaigns, made through the same desk staff use: a running flash sale with its page and announcement,
/// a running group buy with a cheaper five-person tier, seed 004's invite-5-friends red packet and 7-day photo-sharing coupon, and a check-in draft. Runs on every start: a
/// workspace with a campaign already gets nothing more.
/// </summary>
public static class DemoCampaigns
{
    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<Campaign>().AnyAsync(ct))
            return;
        var communities = await db.Communities.Where(c => c.State == CommunityState.Active && c.Platform == ChatPlatform.Sandbox)
            .OrderBy(c => c.Name).Select(c => c.Id).Take(2).ToListAsync(ct);
        if (communities.Count == 0)
            return;
        var desk = ActivatorUtilities.CreateInstance<CampaignDesk>(scope.ServiceProvider);
        var now = DateTimeOffset.UtcNow;
        var audience = new CampaignAudience(communities);
        CampaignInput[] drafts =
        [
            new("双12 深海鱼油秒杀", CampaignKind.FlashSale, "群内专享：深海鱼油 2 瓶装 99 元，每人限购 1 份。", now.AddHours(-2), now.AddDays(3), audience,
                GoalMetric.Completions, 50, 2_000_00, Rules: new CampaignRules { PriceFen = 99_00, OriginalPriceFen = 199_00, Stock = 50, PerPersonLimit = 1, Sku = "FISH-OIL-2" },
                Page: [
                    new(PageBlockKind.Hero, "鱼油 2 瓶装 99 元", "双12 群内专享价，限量 50 份，先到先得。"),
                    new(PageBlockKind.Proof, "品质保障", "每批次第三方检测，检测报告可在群公告查看。"),
                    new(PageBlockKind.Review, "群友评价", "“吃了三个月，体检血脂正常了。”——王阿姨"),
                    new(PageBlockKind.CallToAction, "马上抢购", "每人限购 1 份，付款后 48 小时内发货。"),
                ]),
            new("邀请 5 位好友得红包", CampaignKind.Invitation, "邀请 5 位好友入群并留满 7 天，得 8 元红包（seed 004）。", now.AddDays(-1), now.AddDays(29), audience,
                GoalMetric.Completions, 40, 5_000_00, Rewards: [new(RewardKind.RedPacket, "8 元红包", 8_00, 8_00, 100)],
                Rules: new CampaignRules { InviteesNeeded = 5, StayDays = 7 }),
            new("连续 7 天晒图返券", CampaignKind.PhotoShare, "每天在群里晒一张吃鱼油的照片，审核通过连续 7 天返 10 元券。", now.AddDays(-1), now.AddDays(13), audience,
                GoalMetric.Completions, 30, 1_000_00, Rewards: [new(RewardKind.Coupon, "10 元券", 10_00, 10_00, 60)], Rules: new CampaignRules { DaysInRow = 7 }),
            new("车厘子三人团", CampaignKind.GroupBuy, "3 人成团 59 元一盒，5 人团全团 49 元；开团后 24 小时内有效，未成团全额退款。", now.AddHours(-3), now.AddDays(5), audience,
                GoalMetric.Orders, 60, Rules: new CampaignRules
                {
                    PriceFen = 59_00, OriginalPriceFen = 89_00, GroupSize = 3, GroupHours = 24, Tiers = [new GroupTier(5, 49_00)], Stock = 200, PerPersonLimit = 2,
                },
                Page: [
                    new(PageBlockKind.Hero, "智利车厘子 3 人团 59 元", "拉上群友一起拼，5 人团全团再降到 49 元。"),
                    new(PageBlockKind.Proof, "产地直发", "JJ 级果径，冷链到家，坏果包赔。"),
                    new(PageBlockKind.CallToAction, "开团或参团", "未成团自动全额退款，放心拼。"),
                ]),
            new("21 天早起打卡", CampaignKind.CheckIn, "每天早上在群里发“早安打卡”，坚持 7 天、21 天各有积分奖励，可补签 1 次。", now.AddDays(3), now.AddDays(25), audience,
                GoalMetric.Participants, 100, Rewards: [new(RewardKind.Points, "7 天 50 积分", 50, 0, 200), new(RewardKind.Points, "21 天 200 积分", 200, 0, 200)],
                Rules: new CampaignRules { Keyword = "早安打卡", Milestones = [7, 21], MakeUpCards = 1 }),
        ];
        foreach (var (input, i) in drafts.Select((d, i) => (d, i)))
        {
            var made = await desk.CreateAsync(input, ct);
            if (made.Campaign is not { } c || i == drafts.Length - 1)
                continue;
            await desk.PublishAsync(c.Id, ct);
            if (i == 0)
                await desk.AnnounceAsync(c.Id, new AnnounceInput(DueAt: now.AddHours(1)), ct);
        }
    }
}
