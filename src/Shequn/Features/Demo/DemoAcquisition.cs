using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Communities;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's channel registry (the channels its members came through, with costs) and two live codes routing to its
/// Sandbox groups, with a month of scans, so the funnel has something to show. Runs on every start: a workspace with a
/// channel already gets nothing more.
/// </summary>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Made-up demo data from a fixed seed; nothing secret or guessable depends on it.")]
[SuppressMessage("Security", "SCS0005:Weak random number generator", Justification = "Made-up demo data from a fixed seed; nothing secret or guessable depends on it.")]
public static class DemoAcquisition
{
    private static readonly Dictionary<string, (ChannelKind Kind, decimal? Cost, CostUnit Unit)> Kinds = new()
    {
        ["公众号"] = (ChannelKind.OfficialAccount, 3000m, CostUnit.Month),
        ["包裹卡"] = (ChannelKind.PackageCard, 0.3m, CostUnit.Join),
        ["直播"] = (ChannelKind.LiveStream, 5000m, CostUnit.Month),
        ["好友邀请"] = (ChannelKind.FriendInvite, null, CostUnit.Month),
        ["客服"] = (ChannelKind.CustomerService, null, CostUnit.Month),
        ["文章末尾"] = (ChannelKind.ArticleFooter, null, CostUnit.Month),
        ["今日头条"] = (ChannelKind.PaidAds, 2000m, CostUnit.Month),
        ["贴吧"] = (ChannelKind.Other, null, CostUnit.Month),
        ["微博"] = (ChannelKind.Other, 800m, CostUnit.Month),
    };

    public static async Task EnsureAsync(IServiceProvider services, Guid workspaceId, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        if (await db.Set<AcquisitionChannel>().AnyAsync(ct))
            return;
        var channels = DemoCatalog.Channels.Select(c => new AcquisitionChannel
        {
            WorkspaceId = workspaceId, Name = c.Value, Kind = Kinds.GetValueOrDefault(c.Value).Kind, Cost = Kinds.GetValueOrDefault(c.Value).Cost,
            CostUnit = Kinds.GetValueOrDefault(c.Value).Unit,
        }).ToList();
        db.AddRange(channels);
        var groups = await db.Communities.Where(c => c.State == CommunityState.Active && c.Platform == ChatPlatform.Sandbox)
            .OrderBy(c => c.Name).Select(c => new { c.Id, c.Capacity, Members = c.Memberships.Count(m => m.LeftAt == null) }).Take(2).ToListAsync(ct);
        var random = new Random(14);
        var now = DateTime.UtcNow;
        if (groups.Count > 0)
        {
            // The region question's answer fills the member's city, where the template has a city field that can take it.
            var template = await Profiles.ProfileTemplates.ReadAsync(db, ct);
            var city = template.Fields.FirstOrDefault(f => f.Key == Profiles.ProfileBuiltins.City && LandingAnswers.MayFeed(f, choiceQuestion: true))?.Key;
            LiveCode Code(string name, string channel, string? choiceQuestion, bool phone, string? choiceField = null)
            {
                var code = new LiveCode
                {
                    WorkspaceId = workspaceId, ChannelId = channels.Single(c => c.Name == channel).Id, Name = name, Code = LiveCode.NewCode(),
                    Policy = choiceQuestion is null ? RoutingPolicy.FillToTarget : RoutingPolicy.ByChoice, ChoiceQuestion = choiceQuestion, CollectPhone = phone,
                    ChoiceField = choiceQuestion is null ? null : choiceField,
                    Intro = "扫码进群：每天分享健康食谱和群内专享价，新人进群领 5 元券。", CreatedAt = now.AddDays(-30),
                    Limit = Math.Clamp(groups.Max(g => g.Capacity), 2, 200_000), Target = Math.Clamp(groups.Max(g => g.Capacity), 2, 200_000),
                };
                db.Add(code);
                foreach (var (g, i) in groups.Select((g, i) => (g, i)))
                {
                    var route = new LiveCodeRoute
                    {
                        WorkspaceId = workspaceId, LiveCodeId = code.Id, CommunityId = g.Id, Position = i, CreatedAt = code.CreatedAt,
                        Choice = choiceQuestion is null ? null : i == 0 ? "华东" : "华北",
                    };
                    route.JoinUrl = $"/j/{code.Code}/sandbox/{route.Id}";
                    db.Add(route);
                    // A month of scans, about half of them sent on to the group.
                    for (var d = 0; d < 30; d++)
                    {
                        for (var k = random.Next(3, 12); k > 0; k--)
                        {
                            var at = now.AddDays(-d).AddMinutes(-random.Next(24 * 60));
                            var joined = random.Next(2) == 0;
                            var visitor = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..8]);
                            var window = new DateTimeOffset(at).ToUnixTimeSeconds() / 600;
                            // Every visitor sees the landing page; about half press join and are sent on.
                            db.Add(new LiveCodeScan { WorkspaceId = workspaceId, LiveCodeId = code.Id, Kind = ScanKind.Visit, At = at, Visitor = visitor, Window = window });
                            if (!joined)
                                continue;
                            db.Add(new LiveCodeScan
                            {
                                WorkspaceId = workspaceId, LiveCodeId = code.Id, Kind = ScanKind.Join, At = at.AddSeconds(40), Visitor = visitor, Window = window,
                                RouteId = route.Id, CommunityId = g.Id,
                            });
                            route.Routed++;
                        }
                    }
                    // Members there now plus the month's visitors: the upkeep recounts it within minutes anyway.
                    route.Filled = g.Members + route.Routed;
                }
                return code;
            }
            Code("包裹卡活码", "包裹卡", null, phone: true);
            Code("直播间活码", "直播", "您在哪个区域？", phone: false, choiceField: city);
        }
        await db.SaveChangesWithoutAuditAsync(ct);
    }
}
