using System.Diagnostics.CodeAnalysis;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Tags;

namespace Shequn.Features.Demo;

/// <summary>
/// The demo's communities, members, memberships and tags, generated in memory from a fixed seed so that
/// every installation shows the same brand. Times are relative to <see cref="Now"/>: the workspace always
/// looks about 90 days old, with people joining this week.
/// Rules the generator keeps (and the tests check): at most one general and one category group per
/// person (seed 004), no community over its capacity, nobody joins before a group opened or after it
/// was frozen, inviters joined before the people they invited.
/// </summary>
[SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "Made-up demo data from a fixed seed; nothing secret or guessable depends on it.")]
[SuppressMessage("Security", "SCS0005:Weak random number generator", Justification = "Made-up demo data from a fixed seed; nothing secret or guessable depends on it.")]
internal sealed class DemoPlan
{
    /// <summary>The upload date of seed 004; any fixed number would do.</summary>
    public const int Seed = 20230627;
    public const int MemberCount = 2000;
    public const int HistoryDays = 90;
    /// <summary>How many of the latest arrivals are placed in the current week, whatever weekday it is.</summary>
    public const int JoinsThisWeekAtLeast = 12;

    private const double AdsOffenderShare = 0.03;

    private readonly Random _rng = new(Seed);
    private readonly Dictionary<string, Community> _byName = [];
    private readonly Dictionary<Guid, DemoCommunitySpec> _specs = [];
    private readonly Dictionary<Guid, int> _active = [];
    private readonly Dictionary<Guid, List<Membership>> _joined = [];

    private DemoPlan(Guid workspaceId, DateTime now)
    {
        WorkspaceId = workspaceId;
        Now = now;
    }

    public Guid WorkspaceId { get; }
    public DateTime Now { get; }
    public List<Community> Communities { get; } = [];
    public List<Tag> Tags { get; } = [];
    public List<Member> Members { get; } = [];
    public List<Membership> Memberships { get; } = [];
    public List<MemberTag> MemberTags { get; } = [];

    public static DemoPlan Generate(Guid workspaceId, DateTime now)
    {
        var plan = new DemoPlan(workspaceId, now);
        plan.AddCommunities();
        plan.AddTags();
        var drafts = plan.DraftMembers();
        plan.PlaceInCommunities(drafts);
        plan.TagMembers(drafts);
        return plan;
    }

    /// <summary>Monday 00:00 UTC of the current week, the dashboard's "this week".</summary>
    public static DateTime WeekStart(DateTime now) => now.Date.AddDays(-(((int)now.DayOfWeek + 6) % 7));

    public Community CommunityNamed(string name) => _byName[name];

    private sealed class Draft(Member member, DemoPersona? persona, string industryShort, double ageDays)
    {
        public Member Member { get; } = member;
        public DemoPersona? Persona { get; } = persona;
        public string IndustryShort { get; } = industryShort;
        public double AgeDays { get; set; } = ageDays;
        public string? Nickname { get; set; }
        public int Invited { get; set; }
    }

    private void AddCommunities()
    {
        foreach (var spec in DemoCatalog.Communities)
        {
            var opened = Now.AddDays(-spec.OpenedDaysAgo);
            var community = new Community
            {
                WorkspaceId = WorkspaceId, Name = spec.Name, Platform = spec.Platform, Type = spec.Type, SubType = spec.SubType,
                Tier = spec.Tier, Capacity = spec.Capacity, Purpose = spec.Purpose, Intro = spec.Intro, Rules = spec.Rules,
                State = spec.FrozenDaysAgo is null ? CommunityState.Active : CommunityState.Frozen,
                CreatedAt = opened,
                UpdatedAt = spec.FrozenDaysAgo is { } frozen ? Now.AddDays(-frozen) : opened,
            };
            Communities.Add(community);
            _byName[spec.Name] = community;
            _specs[community.Id] = spec;
            _active[community.Id] = 0;
            _joined[community.Id] = [];
        }
    }

    private void AddTags()
    {
        for (var i = 0; i < DemoCatalog.Tags.Length; i++)
            Tags.Add(new Tag { WorkspaceId = WorkspaceId, Name = DemoCatalog.Tags[i], CreatedAt = Now.AddDays(-85 + i * 3) });
    }

    // ---- members ---------------------------------------------------------------------------------

    private List<Draft> DraftMembers()
    {
        var personaNames = DemoCatalog.Personas.Select(p => p.DisplayName).ToHashSet(StringComparer.Ordinal);
        var drafts = new List<Draft>(MemberCount);
        foreach (var p in DemoCatalog.Personas)
        {
            var industryShort = DemoCatalog.Industries.First(i => i.Industry == p.Industry).Short;
            var member = new Member
            {
                WorkspaceId = WorkspaceId, DisplayName = p.DisplayName, City = p.City, Industry = p.Industry, Needs = p.Needs,
                Channel = p.Channel, Organisations = p.Organisations, Layer = p.Layer,
            };
            // A little past the whole day so that two personas never arrive at the same instant.
            drafts.Add(new Draft(member, p, industryShort, p.ArrivedDaysAgo - 0.3 + drafts.Count * 0.01));
        }

        while (drafts.Count < MemberCount)
        {
            var city = Pick(DemoCatalog.Cities);
            if (city == "海外")
                city = DemoCatalog.OverseasCities[_rng.Next(DemoCatalog.OverseasCities.Length)];
            var (industry, industryShort, _) = DemoCatalog.Industries[PickIndex(DemoCatalog.Industries.Select(i => i.Weight).ToArray())];
            string name;
            do
                name = Nickname(industry);
            while (personaNames.Contains(name));
            // More recent arrivals than old ones: the brand grows.
            var ageDays = HistoryDays * Math.Pow(_rng.NextDouble(), 1.25);
            var member = new Member
            {
                WorkspaceId = WorkspaceId, DisplayName = name, City = city, Industry = industry, Needs = Needs(industry),
                Channel = Pick(DemoCatalog.Channels),
                Organisations = _rng.NextDouble() < 0.2 ? DemoCatalog.Organisations[_rng.Next(DemoCatalog.Organisations.Length)] : null,
                Layer = Layer(ageDays),
            };
            drafts.Add(new Draft(member, null, industryShort, ageDays));
        }

        // Whatever weekday it is, the latest arrivals fall in the current week, so "joins this week" is never empty.
        var weekAge = (Now - WeekStart(Now)).TotalDays;
        var latest = drafts.Where(d => d.Persona is null).OrderBy(d => d.AgeDays).Take(JoinsThisWeekAtLeast).ToList();
        for (var i = 0; i < latest.Count; i++)
        {
            if (latest[i].AgeDays > weekAge)
                latest[i].AgeDays = weekAge * (i + 1) / (latest.Count + 1);
        }

        foreach (var d in drafts)
        {
            d.Member.CreatedAt = Now.AddDays(-d.AgeDays);
            // Most people follow the rules' `城市-行业-昵称`; some never rename, some half do.
            var style = d.Persona is null ? _rng.NextDouble() : 0;
            d.Nickname = style < 0.85 ? $"{d.Member.City}-{d.IndustryShort}-{d.Member.DisplayName}"
                : style < 0.93 ? d.Member.DisplayName
                : $"{d.Member.City}-{d.Member.DisplayName}";
        }
        Members.AddRange(drafts.Select(d => d.Member));
        return drafts;
    }

    private string Nickname(string industry)
    {
        var r = _rng.NextDouble();
        if ((industry == "全职妈妈" && r < 0.4) || r < 0.05)
        {
            var c = DemoCatalog.PetNameChars[_rng.Next(DemoCatalog.PetNameChars.Length)];
            return _rng.Next(2) == 0 ? $"{c}{c}妈妈" : $"{c}{c}妈";
        }
        if (r < 0.42)
            return Pick(DemoCatalog.Surnames) + DemoCatalog.GivenNames[_rng.Next(DemoCatalog.GivenNames.Length)];
        if (r < 0.62)
        {
            var c = DemoCatalog.PetNameChars[_rng.Next(DemoCatalog.PetNameChars.Length)];
            return _rng.Next(5) switch
            {
                0 => "小" + c,
                1 => "阿" + c,
                2 => $"{c}{c}",
                3 => Pick(DemoCatalog.Surnames) + (_rng.Next(2) == 0 ? "姐" : "哥"),
                _ => "老" + Pick(DemoCatalog.Surnames),
            };
        }
        if (r < 0.86)
            return DemoCatalog.PhraseNames[_rng.Next(DemoCatalog.PhraseNames.Length)];
        var latin = DemoCatalog.LatinNames[_rng.Next(DemoCatalog.LatinNames.Length)];
        return r < 0.96 ? latin : latin + Pick(DemoCatalog.Surnames);
    }

    private MemberNeeds Needs(string industry)
    {
        var needs = MemberNeeds.None;
        var business = industry is "销售" or "电商" or "医药零售" or "营养咨询" or "健身" or "美容" ? 0.6 : 0.1;
        if (_rng.NextDouble() < business)
            needs |= MemberNeeds.Business;
        if (_rng.NextDouble() < 0.7)
            needs |= MemberNeeds.Knowledge;
        if (_rng.NextDouble() < 0.6)
            needs |= MemberNeeds.Life;
        return needs == MemberNeeds.None ? MemberNeeds.Life : needs;
    }

    /// <summary>Seed 004 screens VIP and core members after 1–3 months in the general groups.</summary>
    private MemberLayer Layer(double ageDays)
    {
        var r = _rng.NextDouble();
        if (ageDays < 30)
            return r < 0.02 ? MemberLayer.Vip : MemberLayer.Regular;
        return r < 0.025 ? MemberLayer.Core : r < 0.055 ? MemberLayer.Koc : r < 0.19 ? MemberLayer.Vip : MemberLayer.Regular;
    }

    // ---- memberships -----------------------------------------------------------------------------

    private void PlaceInCommunities(List<Draft> drafts)
    {
        // Personas first so that their groups always have room; then everyone else in order of arrival.
        foreach (var d in drafts.Where(d => d.Persona is not null))
            PlacePersona(d);
        foreach (var d in drafts.Where(d => d.Persona is null).OrderByDescending(d => d.AgeDays))
            PlaceMember(d);
    }

    private void PlacePersona(Draft d)
    {
        var arrival = d.Member.CreatedAt;
        Membership? general = null;
        var names = d.Persona!.Communities;
        for (var i = 0; i < names.Length; i++)
        {
            var community = _byName[names[i]];
            var from = Max(arrival, community.CreatedAt).AddDays(1);
            var at = i == 0 ? arrival : Between(from, from.AddDays(10));
            var channel = community.Tier switch
            {
                CommunityTier.Ads => "违规移入",
                CommunityTier.VipPaying => "VIP邀请",
                CommunityTier.VipCore => "管理员邀请",
                _ => i == 0 ? d.Member.Channel : "社群引导",
            };
            var membership = Join(d, community, at, channel, leaves: false);
            if (community.Tier is CommunityTier.Comprehensive or CommunityTier.Regional)
                general = membership;
            if (community.Tier == CommunityTier.Ads && general is not null)
                Leave(general, at);
        }
    }

    private void PlaceMember(Draft d)
    {
        var arrival = d.Member.CreatedAt;
        var city = d.Member.City;
        var overseas = city is not null && DemoCatalog.OverseasCities.Contains(city);

        Community? general;
        if (overseas)
            general = _byName[DemoCatalog.Overseas];
        else if (city is not null && DemoCatalog.RegionalCities.Contains(city) && _rng.NextDouble() < 0.75)
            general = DemoCatalog.Communities.Select(s => _byName[s.Name]).First(c => _specs[c.Id].City == city);
        else
            general = _rng.NextDouble() < 0.35 ? _byName[DemoCatalog.Comprehensive] : null;
        var wantsCategory = general is null || _rng.NextDouble() < 0.5;

        if (general is not null && !Open(general, arrival))
            general = overseas ? null : FirstOpen(arrival, city, CommunityTier.Comprehensive, CommunityTier.Regional);
        Membership? first = null;
        if (general is not null)
            first = Join(d, general, arrival, d.Member.Channel, leaves: true);

        if (wantsCategory || first is null)
        {
            // Seed 004: categories were split off the general group as it grew; people are guided over later.
            var at = first is null ? arrival : Between(arrival.AddHours(2), arrival.AddDays(20));
            var category = PickCategory();
            if (!Open(category, at))
                category = FirstOpen(at, city, CommunityTier.Category);
            if (category is not null)
            {
                var joined = Join(d, category, at, first is null ? d.Member.Channel : "社群引导", leaves: true);
                first ??= joined;
            }
        }
        if (first is null)
        {
            var anyRoom = FirstOpen(arrival, city, CommunityTier.Comprehensive, CommunityTier.Regional, CommunityTier.Category)
                ?? throw new InvalidOperationException("The demo's communities have no room left.");
            first = Join(d, anyRoom, arrival, d.Member.Channel, leaves: false);
        }

        if (d.Member.Layer == MemberLayer.Vip)
            JoinLater(d, _byName[DemoCatalog.Vip], arrival, minDays: 7, "VIP邀请");
        if (d.Member.Layer is MemberLayer.Core or MemberLayer.Koc)
            JoinLater(d, _byName[DemoCatalog.Core], arrival, minDays: 20, "管理员邀请");

        if (first.LeftAt is null && _rng.NextDouble() < AdsOffenderShare)
        {
            // Seed 004: whoever advertises is removed at once and may continue in the ads group.
            var ads = _byName[DemoCatalog.Ads];
            var at = Between(Max(first.JoinedAt, ads.CreatedAt).AddHours(1), Max(first.JoinedAt, ads.CreatedAt).AddDays(15));
            if (at < Now && Open(ads, at))
            {
                Leave(first, at);
                Join(d, ads, at, "违规移入", leaves: false);
            }
        }
    }

    private void JoinLater(Draft d, Community community, DateTime arrival, int minDays, string channel)
    {
        var from = Max(arrival.AddDays(minDays), community.CreatedAt);
        var at = Between(from, from.AddDays(14));
        if (at < Now && Open(community, at))
            Join(d, community, at, channel, leaves: false);
    }

    private Membership Join(Draft d, Community community, DateTime at, string? channel, bool leaves)
    {
        var spec = _specs[community.Id];
        var membership = new Membership
        {
            WorkspaceId = WorkspaceId, CommunityId = community.Id, MemberId = d.Member.Id, JoinedAt = at, Channel = channel,
            Nickname = d.Nickname,
        };
        if (channel == "好友邀请")
            membership.InviterMemberId = PickInviter(community, at);

        var leaveShare = spec.FrozenDaysAgo is null ? 0.08 : 0.35;
        if (leaves && _rng.NextDouble() < leaveShare)
        {
            var leftAt = Between(at.AddHours(1), at.AddDays(40));
            if (leftAt < Now)
                membership.LeftAt = leftAt;
        }
        Memberships.Add(membership);
        _joined[community.Id].Add(membership);
        if (membership.LeftAt is null)
            _active[community.Id]++;
        return membership;
    }

    private void Leave(Membership membership, DateTime at)
    {
        if (membership.LeftAt is not null)
            return;
        membership.LeftAt = at;
        _active[membership.CommunityId]--;
    }

    /// <summary>Veterans invite most: the pick leans towards the earliest members still in the group.</summary>
    private Guid? PickInviter(Community community, DateTime at)
    {
        var candidates = _joined[community.Id].Where(m => m.JoinedAt < at && (m.LeftAt is null || m.LeftAt > at)).ToList();
        return candidates.Count == 0 ? null : candidates[(int)(candidates.Count * Math.Pow(_rng.NextDouble(), 2.5))].MemberId;
    }

    private bool Open(Community community, DateTime at) =>
        community.CreatedAt <= at && at <= Now
        && (_specs[community.Id].FrozenDaysAgo is not { } frozen || at < Now.AddDays(-frozen))
        && _active[community.Id] < community.Capacity;

    /// <summary>
    /// Where staff send someone whose group is full: the open group with most room among the tiers; regional groups
    /// only for their own city, the overseas one only for people abroad, never a frozen group.
    /// </summary>
    private Community? FirstOpen(DateTime at, string? cityOf, params CommunityTier[] tiers) =>
        Communities
            .Where(c => tiers.Contains(c.Tier) && c.Platform != ChatPlatform.Sandbox && c.Name != DemoCatalog.Overseas
                && _specs[c.Id].FrozenDaysAgo is null && Open(c, at))
            .Where(c => _specs[c.Id].City is null || _specs[c.Id].City == cityOf)
            .OrderByDescending(c => c.Capacity - _active[c.Id])
            .FirstOrDefault();

    private Community PickCategory()
    {
        (string Name, int Weight)[] weights =
            [(DemoCatalog.FishOil, 35), (DemoCatalog.VitaminE, 20), (DemoCatalog.Cranberry, 20), (DemoCatalog.Resveratrol, 15), (DemoCatalog.SealOil, 4)];
        return _byName[Pick(weights)];
    }

    // ---- tags ------------------------------------------------------------------------------------

    private void TagMembers(List<Draft> drafts)
    {
        var tag = Tags.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var byMember = Memberships.ToLookup(m => m.MemberId);
        var invited = Memberships.Where(m => m.InviterMemberId is not null).GroupBy(m => m.InviterMemberId!.Value)
            .ToDictionary(g => g.Key, g => g.Count());
        var fishOil = _byName[DemoCatalog.FishOil].Id;
        var vitaminE = _byName[DemoCatalog.VitaminE].Id;

        foreach (var d in drafts)
        {
            var m = d.Member;
            var names = new List<string>();
            if (d.Persona is not null)
            {
                names.AddRange(d.Persona.Tags);
            }
            else
            {
                var groups = byMember[m.Id].ToList();
                var active = groups.Any(g => g.LeftAt is null);
                var vip = m.Layer == MemberLayer.Vip;
                Add(names, "新人", m.CreatedAt >= Now.AddDays(-7));
                Add(names, "买过鱼油", groups.Any(g => g.CommunityId == fishOil) && _rng.NextDouble() < 0.55 || vip && _rng.NextDouble() < 0.4);
                Add(names, "买过维生素E", groups.Any(g => g.CommunityId == vitaminE) && _rng.NextDouble() < 0.45 || vip && _rng.NextDouble() < 0.2);
                Add(names, "大客户", (vip && _rng.NextDouble() < 0.35) || (m.Layer == MemberLayer.Core && _rng.NextDouble() < 0.3));
                Add(names, "已复购", vip && _rng.NextDouble() < 0.5);
                var activeShare = m.Layer switch { MemberLayer.Koc => 0.9, MemberLayer.Core => 0.8, _ => 0.1 };
                Add(names, "活跃7天", active && _rng.NextDouble() < activeShare);
                Add(names, "宝妈", m.DisplayName.Contains('妈', StringComparison.Ordinal)
                    || (m.Industry == "全职妈妈" ? _rng.NextDouble() < 0.85 : _rng.NextDouble() < 0.02));
                Add(names, "晒图达人", _rng.NextDouble() < (m.Layer == MemberLayer.Koc ? 0.5 : 0.04));
                Add(names, "邀请达人", invited.GetValueOrDefault(m.Id) >= 3);
                Add(names, "营养咨询", m.Needs.HasFlag(MemberNeeds.Knowledge) && _rng.NextDouble() < 0.1);
                Add(names, "潜在VIP", m.Layer == MemberLayer.Regular && active && d.AgeDays >= 30 && _rng.NextDouble() < 0.06);
            }
            foreach (var name in names.Distinct(StringComparer.Ordinal))
                MemberTags.Add(new MemberTag { MemberId = m.Id, TagId = tag[name].Id, AssignedAt = Between(m.CreatedAt, Now) });
        }

        static void Add(List<string> names, string name, bool when)
        {
            if (when)
                names.Add(name);
        }
    }

    // ---- randomness ------------------------------------------------------------------------------

    private string Pick((string Value, int Weight)[] options) => options[PickIndex(options.Select(o => o.Weight).ToArray())].Value;

    private int PickIndex(int[] weights)
    {
        var roll = _rng.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0)
                return i;
        }
        return weights.Length - 1;
    }

    /// <summary>A time between the two, never later than now.</summary>
    private DateTime Between(DateTime from, DateTime to)
    {
        if (to > Now)
            to = Now;
        return to <= from ? to : from + (to - from) * _rng.NextDouble();
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
