using System.Diagnostics.CodeAnalysis;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Responses;

namespace Shequn.Features.Sandbox;

/// <summary>A person the simulator can make speak, join or leave; <see cref="UserId"/> is their Sandbox user id.</summary>
public sealed record SandboxPerson(string UserId, string Name);

/// <summary>
/// Realistic activity for one Sandbox community, as events for the real pipeline: members join in waves (campaign
/// days) from the usual channels, some invited by members; messages peak in the late morning and the evening; a few
/// members do most of the talking; there are questions, staff answers and announcements, and now and then an ad
/// (whose poster is removed). Deterministic for a seed.
/// </summary>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Simulated chat traffic for the Sandbox connector, deterministic for a seed; nothing secret depends on it.")]
[SuppressMessage("Security", "SCS0005:Weak random number generator", Justification = "Simulated chat traffic for the Sandbox connector, deterministic for a seed; nothing secret depends on it.")]
public sealed class SandboxTraffic
{
    private static readonly string[] Channels = ["公众号", "直播间", "客服", "包裹卡", "好友邀请", "文章底部"];
    private static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"];
    private static readonly string[] Given = ["芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "婷", "晨", "欣", "宇"];
    private static readonly string[] Cities = ["杭州", "上海", "北京", "广州", "深圳", "成都", "南京", "武汉", "苏州", "西安"];
    private static readonly string[] Chatter =
    [
        "早上好～", "今天天气真好", "收到，谢谢！", "哈哈哈", "👍", "同意", "我也是这么觉得", "打卡第{0}天", "晚安各位",
        "刚到货，包装很用心", "已下单", "这个活动还有吗？", "推荐给我妈了", "上次买的快吃完了", "有没有一起拼单的？",
    ];
    private static readonly string[] Questions =
    [
        "请问鱼油一天吃几粒？", "孕妇可以吃吗？", "什么时候发货呀？", "优惠券怎么用？", "和维生素D能一起吃吗？",
        "老人吃哪款比较好？", "保质期多久？", "可以开发票吗？", "拼团还差几个人？",
    ];
    private static readonly string[] StaffLines =
    [
        "欢迎新朋友！请按「城市-行业-昵称」修改群名片哦", "今日福利：前20名下单送试吃装", "【群公告】本群禁止发广告，违者移出",
        "您好，一天两粒，随餐服用效果更好", "已为您查询，明天上午发出", "今晚8点直播间见，抽奖送好礼", "有问题可以随时@我",
    ];
    private static readonly string[] Ads = ["加我微信 wx{0} 领取内部优惠", "兼职日赚300，私聊", "低价代购，点击 http://t.cn/{0}"];

    private readonly Random _random;
    private readonly int _seed;
    private Random? _replies;
    private readonly List<(string UserId, string MessageId)> _recent = [];
    private readonly Dictionary<string, double> _appeal = new(StringComparer.Ordinal);
    private readonly Guid _workspaceId;
    private readonly Guid _communityId;
    private readonly string _idPrefix;
    private readonly List<(SandboxPerson Person, double Weight)> _present = [];
    private readonly List<SandboxPerson> _staff;
    private int _serial;
    private bool _hadSchedule;
    private int _nextPerson;

    public SandboxTraffic(int seed, Guid workspaceId, Guid communityId, string idPrefix, IEnumerable<SandboxPerson> present, IEnumerable<SandboxPerson>? staff = null)
    {
        _random = new Random(seed);
        _seed = seed;
        _workspaceId = workspaceId;
        _communityId = communityId;
        _idPrefix = idPrefix;
        foreach (var p in present)
            _present.Add((p, Chattiness()));
        _staff = staff?.ToList() is { Count: > 0 } s ? s : [new SandboxPerson($"{idPrefix}staff", "客服小美")];
    }

    public int MemberCount => _present.Count;

    /// <summary>The zone whose days <see cref="Day"/> and <see cref="Founders"/> play (their hours follow its clock).</summary>
    public TimeZoneInfo Zone { get; init; } = Workspaces.WorkspaceZones.Default;

    /// <summary>The share of messages that are ads (each gets its poster removed).</summary>
    public double AdShare { get; init; } = 0.003;

    /// <summary>The share of members' chatter that replies to a recent message of another member (0: none). Whom they
    /// answer follows each author's appeal, drawn once and independent of how much they talk, so the most answered are not
    /// simply the loudest. Drawn from a random source of its own: turning it on changes nothing else a seed produces.</summary>
    public double ReplyShare { get; init; }

    /// <summary>Members who never reply (a KOC's reply answers questions, and would move response figures).</summary>
    public IReadOnlySet<string> NonRepliers { get; init; } = new HashSet<string>();

    private readonly List<(DateTime At, SandboxPerson Person, bool Joins, string? Channel)> _scheduled = [];

    /// <summary>Joins and leaves that are already known (members a seeder created): they are played at their
    /// times, and the simulator then makes up no joins or leaves of its own.</summary>
    public void Schedule(DateTime at, SandboxPerson person, bool joins, string? channel = null)
    {
        _scheduled.Add((at, person, joins, channel));
        _hadSchedule = true;
    }

    /// <summary>Plays every scheduled join and leave before <paramref name="until"/> (history older than the first simulated day).</summary>
    public List<CommunityEvent> PlayScheduledBefore(DateTime until)
    {
        var events = new List<CommunityEvent>();
        foreach (var s in _scheduled.Where(s => s.At < until).OrderBy(s => s.At).ToList())
        {
            events.Add(PlayScheduled(s));
            _scheduled.Remove(s);
        }
        return events;
    }

    private CommunityEvent PlayScheduled((DateTime At, SandboxPerson Person, bool Joins, string? Channel) s)
    {
        if (s.Joins)
        {
            if (_present.All(p => p.Person.UserId != s.Person.UserId))
                _present.Add((s.Person, Chattiness()));
            return Joined(s.At, s.Person, null, s.Channel ?? "");
        }
        _present.RemoveAll(p => p.Person.UserId == s.Person.UserId);
        return Event(EventKind.MemberLeft, s.At, s.Person);
    }

    /// <summary>Hourly shares of a day's messages: quiet at night, peaks around 10–12 and 20–22.</summary>
    private static readonly double[] HourWeights =
        [0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.4, 1.0, 1.6, 2.2, 3.0, 3.2, 2.6, 1.8, 1.8, 2.0, 2.1, 2.0, 1.8, 2.4, 3.4, 3.6, 2.6, 1.2];

    private double Chattiness() => 1 / Math.Pow(1 + _random.Next(200), 1.2);

    /// <summary>One day (in <see cref="Zone"/>) of activity at about <paramref name="messages"/> messages, in time order;
    /// only events before <paramref name="until"/> are produced.</summary>
    public List<CommunityEvent> Day(DateOnly day, int messages, DateTime until)
    {
        var start = DailyFigures.StartOf(day, Zone);
        var events = new List<CommunityEvent>();

        // Decide what happens when first, then play it in time order, so that nobody speaks after leaving.
        var organic = _scheduled.Count == 0 && !_hadSchedule;
        var joins = !organic ? 0 : _random.Next(0, 4) + (_random.NextDouble() < 0.12 ? _random.Next(15, 60) : 0);
        var leaves = !organic ? 0 : (int)Math.Round(_present.Count * 0.005 * _random.NextDouble() * 2);
        var dayEnd = start.AddDays(1);
        var scheduled = _scheduled.Where(x => x.At < dayEnd).ToList();
        _scheduled.RemoveAll(x => x.At < dayEnd);
        var count = (int)(messages * (0.7 + 0.6 * _random.NextDouble()) * (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.8 : 1));
        var plan = new List<(DateTime At, int What)>(joins + leaves + count);
        plan.AddRange(Enumerable.Range(0, joins).Select(_ => (At(start), 0)));
        plan.AddRange(Enumerable.Range(0, leaves).Select(_ => (At(start), 1)));
        plan.AddRange(Enumerable.Range(0, count).Select(_ => (At(start), 2)));
        plan.AddRange(scheduled.Select((x, i) => (x.At, 3 + i)));
        plan.Sort((a, b) => a.At.CompareTo(b.At));

        var total = _present.Sum(p => p.Weight);
        foreach (var (at, what) in plan)
        {
            if (what >= 3)
            {
                events.Add(PlayScheduled(scheduled[what - 3]));
                total = _present.Sum(p => p.Weight);
                continue;
            }
            if (what == 0)
            {
                var person = NewPerson();
                var channel = Channels[_random.Next(Channels.Length)];
                var inviter = channel == "好友邀请" && _present.Count > 0 ? _present[_random.Next(_present.Count)].Person : null;
                events.Add(Joined(at, person, inviter, channel));
                var weight = Chattiness();
                _present.Add((person, weight));
                total += weight;
                continue;
            }
            if (what == 1)
            {
                if (_present.Count <= 10)
                    continue;
                var index = _random.Next(_present.Count);
                events.Add(Event(EventKind.MemberLeft, at, _present[index].Person));
                total -= _present[index].Weight;
                _present.RemoveAt(index);
                continue;
            }
            if (_present.Count == 0)
                continue;
            var roll = _random.NextDouble();
            if (roll < 0.1)
            {
                var staff = _staff[_random.Next(_staff.Count)];
                events.Add(Message(at, staff, StaffLines[_random.Next(StaffLines.Length)], MessageKind.Text, fromStaff: true));
                continue;
            }
            var speaker = Pick(total);
            if (roll < 0.1 + AdShare)
            {
                // An ad, and the advertiser is removed a few minutes later.
                events.Add(Message(at, speaker, string.Format(null, Ads[_random.Next(Ads.Length)], _random.Next(10000, 99999)), MessageKind.Link, false));
                var removal = Event(EventKind.MemberRemoved, at.AddMinutes(_random.Next(1, 10)), speaker);
                removal.ActorId = _staff[0].UserId;
                removal.ActorName = _staff[0].Name;
                events.Add(removal);
                var index = _present.FindIndex(p => p.Person == speaker);
                total -= _present[index].Weight;
                _present.RemoveAt(index);
                continue;
            }
            var (text, kind) = roll switch
            {
                < 0.2 => (Questions[_random.Next(Questions.Length)], MessageKind.Text),
                < 0.24 => ("[图片]", MessageKind.Image),
                < 0.255 => ("[小程序] 健康优选商城", MessageKind.MiniProgram),
                < 0.262 => ("[红包] 恭喜发财", MessageKind.RedPacket),
                < 0.27 => ("[语音]", MessageKind.Voice),
                _ => (string.Format(null, Chatter[_random.Next(Chatter.Length)], _random.Next(1, 30)), MessageKind.Text),
            };
            events.Add(Message(at, speaker, text, kind, false));
        }
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        events.RemoveAll(e => e.OccurredAt >= until);
        if (ReplyShare > 0)
            Thread(events);
        return events;
    }

    /// <summary>Makes some members' chatter replies to recent chatter of others (questions neither reply nor are replied
    /// to here: their answers are the response figures' business).</summary>
    private void Thread(List<CommunityEvent> events)
    {
        _replies ??= new Random(unchecked(_seed * 31 + 17));
        foreach (var e in events)
        {
            if (e.Kind != EventKind.MessagePosted || e.FromStaff || e.MessageKind != MessageKind.Text || e.UserId is null || e.MessageId is null
                || QuestionDetector.IsQuestion(e.Text))
                continue;
            if (_recent.Count > 0 && !NonRepliers.Contains(e.UserId) && _replies.NextDouble() < ReplyShare)
            {
                var total = _recent.Sum(r => Appeal(r.UserId));
                var x = _replies.NextDouble() * total;
                var target = _recent[^1];
                foreach (var r in _recent)
                {
                    if ((x -= Appeal(r.UserId)) <= 0)
                    {
                        target = r;
                        break;
                    }
                }
                if (target.UserId != e.UserId)
                    e.ReplyToMessageId = target.MessageId;
            }
            _recent.Add((e.UserId, e.MessageId));
            if (_recent.Count > 40)
                _recent.RemoveAt(0);
        }
    }

    private double Appeal(string userId)
    {
        if (!_appeal.TryGetValue(userId, out var a))
            _appeal[userId] = a = 1 / Math.Pow(1 + _replies!.Next(60), 1.5);
        return a;
    }

    /// <summary>The people who found a new group on its first day.</summary>
    public List<CommunityEvent> Founders(DateOnly day, int count)
    {
        var start = DailyFigures.StartOf(day, Zone);
        var events = new List<CommunityEvent>();
        for (var i = 0; i < count; i++)
        {
            var person = NewPerson();
            events.Add(Joined(start.AddHours(9).AddSeconds(_random.Next(12 * 3600)), person, null, Channels[_random.Next(Channels.Length)]));
            _present.Add((person, Chattiness()));
        }
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        return events;
    }

    /// <summary>One live event now: mostly messages, sometimes a join or a leave.</summary>
    public CommunityEvent Next(DateTime now)
    {
        var roll = _random.NextDouble();
        if (_present.Count < 5 || roll < 0.03)
        {
            var person = NewPerson();
            _present.Add((person, Chattiness()));
            return Joined(now, person, null, Channels[_random.Next(Channels.Length)]);
        }
        if (roll < 0.04)
        {
            var index = _random.Next(_present.Count);
            var leaver = _present[index].Person;
            _present.RemoveAt(index);
            return Event(EventKind.MemberLeft, now, leaver);
        }
        if (roll < 0.12)
            return Message(now, _staff[_random.Next(_staff.Count)], StaffLines[_random.Next(StaffLines.Length)], MessageKind.Text, true);
        var speaker = Pick(_present.Sum(p => p.Weight));
        return roll < 0.3
            ? Message(now, speaker, Questions[_random.Next(Questions.Length)], MessageKind.Text, false)
            : Message(now, speaker, string.Format(null, Chatter[_random.Next(Chatter.Length)], _random.Next(1, 30)), MessageKind.Text, false);
    }

    private SandboxPerson Pick(double total)
    {
        var x = _random.NextDouble() * total;
        foreach (var (person, weight) in _present)
        {
            x -= weight;
            if (x <= 0)
                return person;
        }
        return _present[^1].Person;
    }

    private SandboxPerson NewPerson()
    {
        var n = _nextPerson++;
        var name = $"{Cities[_random.Next(Cities.Length)]}-{Surnames[_random.Next(Surnames.Length)]}{Given[_random.Next(Given.Length)]}";
        return new SandboxPerson($"{_idPrefix}p{n}", name);
    }

    private DateTime At(DateTime dayStart)
    {
        var x = _random.NextDouble() * HourWeights.Sum();
        var hour = 0;
        while (hour < 23 && (x -= HourWeights[hour]) > 0)
            hour++;
        return dayStart.AddHours(hour).AddSeconds(_random.Next(3600)).AddMilliseconds(_random.Next(1000));
    }

    private CommunityEvent Event(EventKind kind, DateTime at, SandboxPerson person) => new()
    {
        WorkspaceId = _workspaceId,
        Platform = ChatPlatform.Sandbox,
        PlatformEventId = $"{_idPrefix}{_serial++}",
        Kind = kind,
        OccurredAt = at,
        CommunityId = _communityId,
        UserId = person.UserId,
        UserName = person.Name,
    };

    private CommunityEvent Joined(DateTime at, SandboxPerson person, SandboxPerson? inviter, string channel)
    {
        var e = Event(EventKind.MemberJoined, at, person);
        e.ActorId = inviter?.UserId;
        e.ActorName = inviter?.Name;
        e.Channel = channel;
        return e;
    }

    private CommunityEvent Message(DateTime at, SandboxPerson person, string text, MessageKind kind, bool fromStaff)
    {
        var e = Event(EventKind.MessagePosted, at, person);
        e.MessageKind = kind;
        e.MessageId = e.PlatformEventId;
        e.Text = text;
        e.FromStaff = fromStaff;
        return e;
    }
}
