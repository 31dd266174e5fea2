using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Advisor;
using Shequn.Features.Budget;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Orders;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;

/// <summary>
/// The large workspace, the same for every store (a fixed seed): members join over the whole period, a quarter of the
/// stints end (after 45 days on average), some of those who left come back, a fifth of the members join a second
/// community. Daily figures are what the event processor would have counted from such a history (joins, leaves,
/// messages, staff messages, distinct speakers), and the speakers' rows match them; most members rarely speak.
/// </summary>
internal static class Generator
{
    private static readonly string?[] Channels = ["海报", "直播间", "朋友圈", "老带新", "门店", null];

    private static readonly string[] Texts =
    [
        "今天的鱼油到了吗？", "谢谢群主，已下单", "宝宝最近睡得不好，大家有什么办法", "周末的活动几点开始？",
        "这个价格还能再优惠吗", "收到啦，质量很好", "请问怎么退货", "早上好！",
    ];

    private sealed record Stint(int Community, int Member, DateTime JoinedAt, DateTime? LeftAt, string? Channel);

    public static async Task<Workload> GenerateAsync(IServiceProvider services, Options o)
    {
        var rng = new Random(15);
        var zone = WorkspaceZones.Default;
        var now = DateTime.UtcNow;
        var today = DailyFigures.DayOf(now, zone);
        var day0 = today.AddDays(-(o.Days - 1));
        var starts = Enumerable.Range(0, o.Days + 1).Select(d => DailyFigures.StartOf(day0.AddDays(d), zone)).ToArray();

        DateTime Moment(int d)
        {
            var end = d == o.Days - 1 ? now.AddSeconds(-1) : starts[d + 1];
            var span = Math.Max(0, (end - starts[d]).Ticks);
            return starts[d] + TimeSpan.FromTicks((long)(span * rng.NextDouble()));
        }
        int DayIndex(DateTime utc) => DailyFigures.DayOf(utc, zone).DayNumber - day0.DayNumber;

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        var ws = new Workspace { Name = "bench-analytics" };
        db.Workspaces.Add(ws);
        await db.SaveChangesWithoutAuditAsync();
        db.Current.ActAsSystem(ws.Id);
        // Rule sets: the default asks no nickname format; two others do, followed by 40 % and 10 % of the communities.
        var sets = new[] { ("综合群群规", (string?)null, true), ("行业群群规", "城市-行业-昵称", false), ("产品群群规", "城市-需求产品-昵称", false) }
            .Select(x => new RuleSet { WorkspaceId = ws.Id, Name = x.Item1, IsDefault = x.Item3, Spec = new RuleSetSpec { NicknameFormat = x.Item2 }.ToJson() }).ToArray();
        db.AddRange(sets);
        await db.SaveChangesWithoutAuditAsync();
        var communities = Enumerable.Range(0, o.Communities).Select(i => new Community
        {
            WorkspaceId = ws.Id, Name = "统计群" + i.ToString(CultureInfo.InvariantCulture), Platform = ChatPlatform.Sandbox,
            State = CommunityState.Active, Capacity = 500, CreatedAt = starts[0], UpdatedAt = starts[0],
            RuleSetId = (i % 10) switch { 0 or 1 or 2 or 3 => sets[1].Id, 4 => sets[2].Id, _ => null },
        }).ToList();
        db.Communities.AddRange(communities);
        await db.SaveChangesWithoutAuditAsync();
        db.ChangeTracker.Clear();
        var communityIds = communities.Select(c => c.Id).ToArray();

        // Communities differ in size (weights 0.2 … 2): picked by the cumulative weights.
        var cumulative = new double[o.Communities];
        var sum = 0.0;
        for (var c = 0; c < o.Communities; c++)
            cumulative[c] = sum += 0.2 + 1.8 * rng.NextDouble();
        int PickCommunity()
        {
            var i = Array.BinarySearch(cumulative, rng.NextDouble() * sum);
            return Math.Min(i < 0 ? ~i : i, o.Communities - 1);
        }

        double Exp(double mean) => -mean * Math.Log(1 - rng.NextDouble());

        var stints = new List<Stint>(o.Members * 5 / 4);
        var firstDay = new int[o.Members];
        void Life(int c, int m, DateTime joined, string? channel)
        {
            if (rng.NextDouble() >= 0.25)
            {
                stints.Add(new Stint(c, m, joined, null, channel));
                return;
            }
            var left = joined + TimeSpan.FromDays(Exp(45));
            if (left >= now)
            {
                stints.Add(new Stint(c, m, joined, null, channel));
                return;
            }
            stints.Add(new Stint(c, m, joined, left, channel));
            if (rng.NextDouble() < 0.15)
            {
                var back = left + TimeSpan.FromMinutes(1) + TimeSpan.FromDays(Exp(10));
                if (back < now)
                    stints.Add(new Stint(c, m, back, null, channel));
            }
        }
        for (var m = 0; m < o.Members; m++)
        {
            var c = PickCommunity();
            var d = rng.Next(o.Days);
            firstDay[m] = d;
            Life(c, m, Moment(d), Channels[rng.Next(Channels.Length)]);
            if (rng.NextDouble() < 0.2 && o.Communities > 1)
            {
                var second = PickCommunity();
                if (second != c)
                    Life(second, m, Moment(rng.Next(d, o.Days)), Channels[rng.Next(Channels.Length)]);
            }
        }

        // Speaking: each member has a rate (55 % almost never, 30 % now and then, 12 % often, 3 % daily-ish), drawn
        // day by day over their stints by geometric skips.
        var rate = new double[o.Members];
        for (var m = 0; m < o.Members; m++)
        {
            var u = rng.NextDouble();
            rate[m] = u < 0.55 ? 0.004 : u < 0.85 ? 0.03 : u < 0.97 ? 0.12 : 0.4;
        }
        var cells = o.Communities * o.Days;
        var joins = new int[cells];
        var leaves = new int[cells];
        var speakers = new int[cells];
        var messages = new int[cells];
        var spoke = new HashSet<long>();
        foreach (var s in stints)
        {
            var jd = DayIndex(s.JoinedAt);
            joins[s.Community * o.Days + jd]++;
            var last = o.Days - 1;
            if (s.LeftAt is { } left)
            {
                last = DayIndex(left);
                leaves[s.Community * o.Days + last]++;
            }
            var p = rate[s.Member];
            for (var d = jd + Skip(p); d <= last; d += 1 + Skip(p))
            {
                if (!spoke.Add(((long)s.Community * o.Days + d) * o.Members + s.Member))
                    continue;
                speakers[s.Community * o.Days + d]++;
                var n = 1;
                while (rng.NextDouble() < 0.6)
                    n++;
                messages[s.Community * o.Days + d] += n;
            }
        }
        int Skip(double p) => (int)Math.Min(int.MaxValue / 4, Math.Floor(Math.Log(1 - rng.NextDouble()) / Math.Log(1 - p)));

        var writer = new BulkWriter(db);
        var memberIds = Enumerable.Range(0, o.Members).Select(_ => Guid.CreateVersion7()).ToArray();
        var memberCount = await writer.WriteAsync(Enumerable.Range(0, o.Members).Select(m => new Member
        {
            Id = memberIds[m], WorkspaceId = ws.Id, DisplayName = "成员" + m.ToString(CultureInfo.InvariantCulture),
            Phone = "139" + m.ToString("D8", CultureInfo.InvariantCulture), Channel = Channels[m % Channels.Length],
            CreatedAt = starts[firstDay[m]], Stage = MemberStage.Active,
        }));
        var membershipCount = await writer.WriteAsync(stints.Select(s => new Membership
        {
            WorkspaceId = ws.Id, CommunityId = communityIds[s.Community], MemberId = memberIds[s.Member], JoinedAt = s.JoinedAt,
            LeftAt = s.LeftAt, Channel = s.Channel, Nickname = Nickname(s.Member),
        }));
        var figureCount = await writer.WriteAsync(Enumerable.Range(0, cells).Select(i =>
        {
            // Staff post most days (0–5 messages).
            var staff = (int)((uint)(i * 2654435761u) % 6);
            return new CommunityDailyFigure
            {
                WorkspaceId = ws.Id, CommunityId = communityIds[i / o.Days], Day = day0.AddDays(i % o.Days),
                Joins = joins[i], Leaves = leaves[i], Messages = messages[i] + staff, StaffMessages = staff, Speakers = speakers[i],
            };
        }).Where(f => f.Joins + f.Leaves + f.Messages > 0));
        var speakerCount = await writer.WriteAsync(spoke.Select(key =>
        {
            var m = (int)(key % o.Members);
            var cell = key / o.Members;
            return new DailySpeaker { CommunityId = communityIds[cell / o.Days], Day = day0.AddDays((int)(cell % o.Days)), MemberId = memberIds[m] };
        }));
        spoke.Clear();

        var primary = new int[o.Members];
        var firstJoin = new DateTime[o.Members];
        foreach (var s in stints)
        {
            if (firstJoin[s.Member] == default || s.JoinedAt < firstJoin[s.Member])
                (primary[s.Member], firstJoin[s.Member]) = (s.Community, s.JoinedAt);
        }
        var orderCount = await writer.WriteAsync(Enumerable.Range(0, o.Orders).Select(n =>
        {
            // Buyers skewed: a few members order often, many once or never.
            var m = (int)(o.Members * Math.Pow(rng.NextDouble(), 2));
            var placed = Moment(rng.Next(firstDay[m], o.Days));
            var amount = 990 + rng.Next(0, 50_000);
            var refunded = rng.NextDouble() < 0.03;
            return new Order
            {
                WorkspaceId = ws.Id, ExternalId = "bench-" + n.ToString(CultureInfo.InvariantCulture), PlacedAt = placed,
                AmountFen = amount, RefundedFen = refunded ? amount : 0, Status = refunded ? OrderStatus.Refunded : OrderStatus.Paid,
                Source = OrderSource.Import, Phone = "139" + m.ToString("D8", CultureInfo.InvariantCulture), MemberId = memberIds[m],
                MatchedBy = OrderMatch.Phone, MatchedAt = placed, CommunityId = communityIds[primary[m]], Channel = Channels[m % Channels.Length],
                Touch = OrderTouch.Join, TouchAt = firstJoin[m], AttributionDays = OrderSettings.DefaultAttributionDays,
                CreatedAt = placed, UpdatedAt = placed,
            };
        }));

        var advisorRows = await AdvisorDataAsync(db, ws.Id, communityIds, memberIds, rng, now, today);
        if (!o.Unflagged)
        {
            // What the app's start pass (NicknameFlagRefresh) does for rows written before the flags: each formatted
            // community's nicknames checked once and the format recorded.
            var flagged = System.Diagnostics.Stopwatch.StartNew();
            var rechecked = await NicknameFlags.RefreshAsync(db, default);
            Console.Error.WriteLine($"  nickname flags of {rechecked:N0} communities filled in {flagged.Elapsed.TotalSeconds:0.0} s");
        }

        var w = new Workload(ws.Id, communityIds, communityIds[..o.RawCommunities], memberCount, membershipCount, figureCount, speakerCount, orderCount, advisorRows);
        await RawMessagesAsync(services, w, o.RawMessages, first: 0);
        return w;
    }

    /// <summary>Group nicknames: most follow 城市-行业-昵称 (so the 城市-需求产品-昵称 format too), one in eight a bare name.</summary>
    private static string Nickname(int member)
    {
        var name = "成员" + member.ToString(CultureInfo.InvariantCulture);
        return (member % 8) switch { 0 => name, 1 => "西安-" + name, _ => Cities[member % Cities.Length] + "-" + Trades[member % Trades.Length] + "-" + name };
    }

    private static readonly string[] Cities = ["西安", "上海", "成都", "杭州", "广州"];
    private static readonly string[] Trades = ["美业", "餐饮", "母婴", "教育"];

    /// <summary>
    /// What the advisor's other rules read, at the workspace's scale: questions over the last 30 days (a question a
    /// community a day on average; most answered within minutes, by staff or by a few helpful members, the rest of the
    /// last three days still waiting), campaigns with goals (some running past half time), acquisition channels named as
    /// the memberships' channels with stated costs and daily charged costs, and a monthly budget cap with this month's costs.
    /// Returns the rows written.
    /// </summary>
    private static async Task<int> AdvisorDataAsync(AppDbContext db, Guid ws, Guid[] communityIds, Guid[] memberIds, Random rng, DateTime now, DateOnly today)
    {
        var writer = new BulkWriter(db);
        var helpers = memberIds.Take(Math.Max(1, memberIds.Length / 400)).ToArray();
        var count = communityIds.Length * 30;
        var questions = await writer.WriteAsync(Enumerable.Range(0, count).Select(k =>
        {
            var community = communityIds[rng.Next(communityIds.Length)];
            var member = memberIds[rng.Next(memberIds.Length)];
            var asked = now - TimeSpan.FromMinutes(rng.Next(0, 30 * 24 * 60));
            var answered = rng.NextDouble() < (now - asked < TimeSpan.FromDays(3) ? 0.7 : 0.95);
            var byMember = answered && rng.NextDouble() < 0.4;
            var seconds = 60 + rng.Next(0, 3 * 3600);
            return new MemberQuestion
            {
                WorkspaceId = ws, CommunityId = community, MemberId = member, Platform = ChatPlatform.Sandbox,
                UserId = "u" + k.ToString(CultureInfo.InvariantCulture), UserName = "成员", EventSeq = 1_000_000_000L + k,
                MessageId = "q" + k.ToString(CultureInfo.InvariantCulture), Text = Texts[k % Texts.Length], AskedAt = asked,
                AnsweredAt = answered ? asked.AddSeconds(seconds) : null, AnswerSeconds = answered ? seconds : null,
                AnsweredByKind = answered ? (byMember ? AnswererKind.Koc : AnswererKind.Staff) : null,
                AnsweredByUserId = answered ? (byMember ? "m" : "staff:a") : null,
                AnsweredByMemberId = byMember ? helpers[rng.Next(helpers.Length)] : null,
            };
        }));

        var campaigns = Enumerable.Range(0, 20).Select(i => new Campaign
        {
            WorkspaceId = ws, Name = "活动" + i.ToString(CultureInfo.InvariantCulture), Kind = CampaignKind.FlashSale, Status = CampaignStatus.Published,
            StartsAt = now.AddDays(-(5 + i)), EndsAt = now.AddDays(10), GoalMetric = GoalMetric.Participants, GoalTarget = 2_000,
            CommunityIds = "[" + string.Join(",", Enumerable.Range(0, 5).Select(j => "\"" + communityIds[(i * 37 + j) % communityIds.Length] + "\"")) + "]",
            Slug = Campaign.NewSlug(), StockLeft = 100, PublishedAt = now.AddDays(-(5 + i)), CreatedAt = now.AddDays(-30), UpdatedAt = now,
        }).ToList();
        db.AddRange(campaigns);
        await db.SaveChangesWithoutAuditAsync();
        var participants = await writer.WriteAsync(campaigns.SelectMany((c, i) => Enumerable.Range(0, Math.Min(100 * i, memberIds.Length)).Select(k => new CampaignParticipant
        {
            WorkspaceId = ws, CampaignId = c.Id, MemberId = memberIds[(i * 7919 + k) % memberIds.Length], JoinedAt = c.StartsAt.AddMinutes(k),
            IsNewMember = k % 3 == 0, CompletedAt = k % 2 == 0 ? c.StartsAt.AddMinutes(k + 5) : null,
        })));

        var names = new[] { "海报", "直播间", "朋友圈", "老带新", "门店" };
        var channels = names.Select((n, i) => new AcquisitionChannel
        {
            WorkspaceId = ws, Name = n, Kind = (ChannelKind)(i % 5), Cost = i == 1 ? 20_000 : 500 + i * 100, CostUnit = CostUnit.Month,
            CreatedAt = now.AddDays(-400), UpdatedAt = now.AddDays(-400),
        }).ToList();
        db.AddRange(channels);
        db.Add(new BudgetCap { WorkspaceId = ws, FromMonth = new DateOnly(today.Year, today.Month, 1).AddMonths(-3), CapFen = 5_000_000, SetAt = now.AddDays(-100) });
        await db.SaveChangesWithoutAuditAsync();
        var costs = await writer.WriteAsync(Enumerable.Range(1, 365).SelectMany(d => channels.Select((ch, i) => new CostEntry
        {
            WorkspaceId = ws, Day = today.AddDays(-d), Kind = CostKind.Floating, Category = CostCategory.Advertising, Item = "投放 " + ch.Name,
            AmountFen = 5_000 + 1_000 * i + rng.Next(0, 5_000), ChannelId = ch.Id, CreatedAt = now, UpdatedAt = now,
        })).Concat(Enumerable.Range(0, 4).Select(i => new CostEntry
        {
            WorkspaceId = ws, Day = new DateOnly(today.Year, today.Month, 1), Kind = CostKind.Fixed, Category = (CostCategory)i, Item = "月固定 " + i,
            AmountFen = 300_000, CreatedAt = now, UpdatedAt = now,
        })));
        return questions + campaigns.Count + participants + channels.Count + 1 + costs;
    }

    /// <summary>Raw messages (the event log) in the sample communities over the last 90 days: read by nothing measured.</summary>
    public static async Task RawMessagesAsync(IServiceProvider services, Workload w, int count, int first)
    {
        var rng = new Random(1500 + first);
        var zone = WorkspaceZones.Default;
        var now = DateTime.UtcNow;
        var since = DailyFigures.StartOf(DailyFigures.DayOf(now, zone).AddDays(-90), zone);
        var span = (now - since).Ticks;
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        await new BulkWriter(db).WriteAsync(Enumerable.Range(first, count).Select(k =>
        {
            var community = w.RawCommunities[k % w.RawCommunities.Length];
            var at = since + TimeSpan.FromTicks((long)(span * rng.NextDouble()));
            var user = rng.Next(w.Members).ToString(CultureInfo.InvariantCulture);
            return new CommunityEvent
            {
                WorkspaceId = w.WorkspaceId, Platform = ChatPlatform.Sandbox, PlatformEventId = "raw-" + k.ToString(CultureInfo.InvariantCulture),
                Kind = EventKind.MessagePosted, OccurredAt = at, ReceivedAt = at, CommunityId = community, ChatId = community.ToString(),
                ChatTitle = "统计群", UserId = "u" + user, UserName = "成员" + user, MessageKind = MessageKind.Text,
                MessageId = k.ToString(CultureInfo.InvariantCulture), Text = Texts[k % Texts.Length],
            };
        }));
    }
}
