using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;

namespace Shequn.Features.Demo;

/// <summary>One demo community: where it sits in seed 004's tiers and when it was opened.</summary>
internal sealed record DemoCommunitySpec(
    string Name, ChatPlatform Platform, CommunityType Type, CommunitySubType SubType, CommunityTier Tier, int Capacity,
    int OpenedDaysAgo, string Purpose, string Intro, string Rules,
    string? City = null, string? Category = null, int? FrozenDaysAgo = null);

internal sealed record DemoStaffSpec(string Email, string DisplayName, StaffRole Role, int JoinedDaysAgo, params (string Community, CommunityRole Role)[] Assignments);

/// <summary>A member with a story, placed by hand so that the demo (and the browser tests) have people to look for.</summary>
internal sealed record DemoPersona(
    string DisplayName, string City, string Industry, MemberLayer Layer, string Channel, int ArrivedDaysAgo,
    string[] Communities, string[] Tags, string? Organisations = null, MemberNeeds Needs = MemberNeeds.Knowledge | MemberNeeds.Life);

/// <summary>
/// The fixed text of the demo brand, a health-food seller run the way seed 004 describes: a national
/// comprehensive group, regional and category groups split off as it grew, a paying VIP group, a
/// core-management group of helpful members, and an ads group that keeps advertising out of the others.
/// </summary>
internal static class DemoCatalog
{
    public const string Brand = "健康优选";

    public const string Comprehensive = "全国健康食品交流群";
    public const string Xian = "西安健康生活群";
    public const string Shanghai = "上海健康生活群";
    public const string Chengdu = "成都健康生活群";
    public const string Overseas = "海外华人健康交流群";
    public const string FishOil = "深海鱼油交流群";
    public const string VitaminE = "维生素E交流群";
    public const string Cranberry = "蔓越莓交流群";
    public const string Resveratrol = "白藜芦醇交流群";
    public const string SealOil = "海豹油交流群";
    public const string Vip = "健康优选VIP会员中心";
    public const string Core = "健康优选TOP管理中心";
    public const string Ads = "健康优选广告交流群";
    public const string Drill = "社群运营演练群";

    public static readonly string[] RegionalCities = ["西安", "上海", "成都"];
    public static readonly string[] OverseasCities = ["温哥华", "多伦多", "悉尼", "墨尔本", "新加坡", "洛杉矶", "伦敦"];

    /// <summary>The brand's community tags (name, colour) and the communities carrying each.</summary>
    public static readonly (string Name, string Color, string[] Communities)[] CommunityTags =
    [
        ("华东", "#1e88e5", [Shanghai]),
        ("西部", "#43a047", [Xian, Chengdu]),
        ("海外", "#00897b", [Overseas]),
        ("新品试用", "#fb8c00", [Cranberry, Resveratrol]),
        ("复购重点", "#e53935", [FishOil, VitaminE, Vip]),
    ];

    public static readonly DemoCommunitySpec[] Communities =
    [
        new(Comprehensive, ChatPlatform.WeCom, CommunityType.Content, CommunitySubType.Topic, CommunityTier.Comprehensive, 500, 90,
            "汇集营养爱好者,沉淀顾客,引导进入类目群和VIP群,促进销售转化",
            Intro("全国健康食品交流群", "王总和各位群主"), GeneralRules("西安-教师-小雨")),
        new(Xian, ChatPlatform.WeCom, CommunityType.Content, CommunitySubType.Topic, CommunityTier.Regional, 200, 75,
            "服务西安本地顾客,组织线下营养讲座和试用活动",
            Intro("西安健康生活群", "李静"), GeneralRules("西安-医护-静静"), City: "西安"),
        new(Shanghai, ChatPlatform.WeCom, CommunityType.Marketing, CommunitySubType.Fission, CommunityTier.Regional, 200, 72,
            "上海本地拉新与邀请有奖活动,带动同城复购",
            Intro("上海健康生活群", "陈晨"), GeneralRules("上海-金融-Grace"), City: "上海"),
        new(Chengdu, ChatPlatform.WeCom, CommunityType.Content, CommunitySubType.Topic, CommunityTier.Regional, 150, 70,
            "服务成都本地顾客,分享健康饮食与运动话题",
            Intro("成都健康生活群", "李静"), GeneralRules("成都-自由职业-阿杰"), City: "成都"),
        new(Overseas, ChatPlatform.Telegram, CommunityType.Service, CommunitySubType.PreSale, CommunityTier.Regional, 100, 66,
            "为海外华人解答购买、跨境物流和服用问题",
            Intro("海外华人健康交流群", "郑雪"), GeneralRules("温哥华-IT-小林"), City: "海外"),
        new(FishOil, ChatPlatform.WeCom, CommunityType.Service, CommunitySubType.AfterSale, CommunityTier.Category, 500, 60,
            "深海鱼油用户的服用交流、答疑与复购",
            Intro("深海鱼油交流群", "李静"), GeneralRules("西安-教师-深海鱼油"), Category: "深海鱼油"),
        new(VitaminE, ChatPlatform.WeCom, CommunityType.Content, CommunitySubType.Tutorial, CommunityTier.Category, 400, 58,
            "维生素E的服用教程、护肤搭配与问题解答",
            Intro("维生素E交流群", "陈晨"), GeneralRules("上海-设计-维E"), Category: "维生素E"),
        new(Cranberry, ChatPlatform.WeCom, CommunityType.Marketing, CommunitySubType.Discount, CommunityTier.Category, 400, 55,
            "蔓越莓产品的特价、拼团与女性健康话题",
            Intro("蔓越莓交流群", "陈晨"), GeneralRules("杭州-宝妈-蔓越莓"), Category: "蔓越莓"),
        new(Resveratrol, ChatPlatform.WeCom, CommunityType.Content, CommunitySubType.Tutorial, CommunityTier.Category, 300, 52,
            "白藜芦醇的抗氧化知识分享与服用答疑",
            Intro("白藜芦醇交流群", "周婷"), GeneralRules("西安-退休-白藜芦醇"), Category: "白藜芦醇"),
        new(SealOil, ChatPlatform.WeCom, CommunityType.Service, CommunitySubType.PreSale, CommunityTier.Category, 200, 80,
            "海豹油的购买咨询(活跃度低,已冷藏,待合并到深海鱼油交流群)",
            Intro("海豹油交流群", "郑雪"), GeneralRules("北京-销售-海豹油"), Category: "海豹油", FrozenDaysAgo: 20),
        new(Vip, ChatPlatform.WeCom, CommunityType.Marketing, CommunitySubType.Discount, CommunityTier.VipPaying, 200, 40,
            "已付费顾客的专属服务、会员福利与复购转化",
            VipIntro, VipRules),
        new(Core, ChatPlatform.WeCom, CommunityType.Service, CommunitySubType.InSale, CommunityTier.VipCore, 100, 32,
            "活跃顾客协助答疑,培养兼职群管理员",
            CoreIntro, CoreRules),
        new(Ads, ChatPlatform.WeCom, CommunityType.Marketing, CommunitySubType.None, CommunityTier.Ads, 200, 50,
            "集中容纳广告,让其他群保持清净",
            AdsIntro, AdsRules),
        new(Drill, ChatPlatform.Sandbox, CommunityType.Content, CommunitySubType.None, CommunityTier.Comprehensive, 100, 3,
            "新员工演练欢迎语、话术和活动流程,不对外开放",
            "本群为健康优选运营团队的内部演练群,用于新员工熟悉欢迎语、常用话术、活动发布流程和群规执行。群内成员均为演练账号。",
            "1. 演练内容不得转发到对外社群。\n2. 每次演练结束后在群内总结问题。\n3. 话术修改建议请提交给总群主。"),
    ];

    /// <summary>Who runs what: every community has a sub-owner or admin; one sub-owner runs 4 groups (seed 004: 2–4).</summary>
    public static readonly DemoStaffSpec[] Staff =
    [
        new("li.jing@demo.shequn.local", "李静", StaffRole.SubOwner, 80,
            (Xian, CommunityRole.SubOwner), (Chengdu, CommunityRole.SubOwner), (FishOil, CommunityRole.SubOwner)),
        new("chen.chen@demo.shequn.local", "陈晨", StaffRole.SubOwner, 78,
            (Comprehensive, CommunityRole.SubOwner), (Shanghai, CommunityRole.SubOwner), (VitaminE, CommunityRole.SubOwner), (Cranberry, CommunityRole.SubOwner)),
        new("zhao.min@demo.shequn.local", "赵敏", StaffRole.Admin, 75,
            (Comprehensive, CommunityRole.Admin), (Shanghai, CommunityRole.Admin), (Vip, CommunityRole.Admin)),
        new("sun.hao@demo.shequn.local", "孙浩", StaffRole.Admin, 60,
            (Vip, CommunityRole.SubOwner), (Core, CommunityRole.SubOwner), (Drill, CommunityRole.Admin)),
        new("zhou.ting@demo.shequn.local", "周婷", StaffRole.Operator, 70,
            (Xian, CommunityRole.Operator), (Chengdu, CommunityRole.Operator), (Resveratrol, CommunityRole.SubOwner)),
        new("wu.lei@demo.shequn.local", "吴磊", StaffRole.Operator, 58,
            (FishOil, CommunityRole.Operator), (VitaminE, CommunityRole.Operator), (Cranberry, CommunityRole.Operator)),
        new("zheng.xue@demo.shequn.local", "郑雪", StaffRole.Operator, 66,
            (Overseas, CommunityRole.SubOwner), (SealOil, CommunityRole.Operator), (Ads, CommunityRole.Admin), (Drill, CommunityRole.Operator)),
        new("koc.xiaoyu@demo.shequn.local", "营养师小雨", StaffRole.Koc, 30,
            (Comprehensive, CommunityRole.Koc), (Core, CommunityRole.Koc)),
        new("koc.ajie@demo.shequn.local", "跑步达人阿杰", StaffRole.Koc, 25,
            (Chengdu, CommunityRole.Koc), (FishOil, CommunityRole.Koc)),
        new("koc.wangjie@demo.shequn.local", "鱼油老粉王姐", StaffRole.Koc, 20,
            (FishOil, CommunityRole.Koc), (Vip, CommunityRole.Koc)),
    ];

    /// <summary>Tags of seed 000/002: purchases, value, activity and life stage.</summary>
    public static readonly string[] Tags =
        ["新人", "买过鱼油", "买过维生素E", "大客户", "已复购", "活跃7天", "宝妈", "晒图达人", "邀请达人", "营养咨询", "潜在VIP"];

    public static readonly DemoPersona[] Personas =
    [
        new("林小雨", "西安", "医疗健康", MemberLayer.Core, "公众号", 74, [Xian, FishOil, Core], ["活跃7天", "营养咨询", "晒图达人"],
            "西安营养学会"),
        new("王丽华", "上海", "全职妈妈", MemberLayer.Vip, "直播", 70, [Shanghai, FishOil, Vip], ["买过鱼油", "宝妈", "大客户", "已复购"]),
        new("张建国", "成都", "退休", MemberLayer.Regular, "包裹卡", 45, [Chengdu, FishOil], ["买过鱼油"], "社区老年大学"),
        new("陈思远", "温哥华", "互联网", MemberLayer.Regular, "文章末尾", 40, [Overseas], ["营养咨询"], Needs: MemberNeeds.Knowledge),
        new("赵晓燕", "北京", "教育", MemberLayer.Koc, "公众号", 84, [Comprehensive, VitaminE, Core], ["活跃7天", "晒图达人", "邀请达人"]),
        new("刘大海", "广州", "电商", MemberLayer.Regular, "贴吧", 35, [Comprehensive, Ads], [], Needs: MemberNeeds.Business),
        new("周美玲", "杭州", "金融", MemberLayer.Regular, "客服", 2, [Cranberry], ["新人"]),
    ];

    /// <summary>Where people come from (product.md §2 channels; seed 004's 今日头条/贴吧/微博 traffic), with rough shares.</summary>
    public static readonly (string Value, int Weight)[] Channels =
    [
        ("公众号", 22), ("包裹卡", 18), ("直播", 15), ("好友邀请", 15), ("客服", 10), ("文章末尾", 8), ("今日头条", 5), ("贴吧", 4), ("微博", 3),
    ];

    public static readonly (string Value, int Weight)[] Cities =
    [
        ("西安", 9), ("上海", 9), ("成都", 7), ("北京", 8), ("广州", 6), ("深圳", 6), ("杭州", 5), ("武汉", 4), ("南京", 4), ("重庆", 4),
        ("郑州", 3), ("长沙", 3), ("天津", 3), ("苏州", 3), ("青岛", 2), ("厦门", 2), ("昆明", 2), ("沈阳", 2), ("哈尔滨", 2), ("济南", 2),
        ("合肥", 2), ("福州", 1), ("南宁", 1), ("兰州", 1), ("宝鸡", 1), ("咸阳", 1), ("绵阳", 1), ("海外", 4),
    ];

    /// <summary>Industry as kept on the profile, and the short form members put in their group nickname.</summary>
    public static readonly (string Industry, string Short, int Weight)[] Industries =
    [
        ("教育", "教师", 9), ("医疗健康", "医护", 7), ("互联网", "IT", 8), ("金融", "金融", 6), ("销售", "销售", 7), ("全职妈妈", "宝妈", 10),
        ("退休", "退休", 8), ("自由职业", "自由职业", 6), ("公务员", "公务员", 4), ("学生", "学生", 3), ("餐饮", "餐饮", 3),
        ("健身", "健身教练", 2), ("营养咨询", "营养师", 2), ("医药零售", "药店", 2), ("外贸", "外贸", 2), ("设计", "设计", 2),
        ("制造业", "制造", 3), ("物流", "物流", 2), ("电商", "电商", 3), ("法律", "律师", 1), ("财务", "会计", 3), ("美容", "美容", 2),
    ];

    public static readonly string[] Organisations =
    [
        "小区业主群", "社区跑团", "瑜伽馆会员", "读书会", "老年大学", "妈妈互助群", "公司工会", "广场舞队", "户外徒步群", "营养学会",
        "健身房会员", "家长委员会",
    ];

    public static readonly (string Value, int Weight)[] Surnames =
    [
        ("王", 10), ("李", 10), ("张", 9), ("刘", 8), ("陈", 7), ("杨", 5), ("黄", 4), ("赵", 4), ("吴", 4), ("周", 4), ("徐", 3), ("孙", 3),
        ("马", 3), ("朱", 3), ("胡", 3), ("郭", 3), ("何", 2), ("高", 2), ("林", 2), ("罗", 2), ("郑", 2), ("梁", 2), ("谢", 2), ("宋", 2),
        ("唐", 2), ("许", 2), ("韩", 2), ("冯", 2), ("邓", 2), ("曹", 2), ("彭", 1), ("曾", 1), ("肖", 1), ("田", 1), ("董", 1), ("潘", 1),
        ("袁", 1), ("蒋", 1), ("蔡", 1), ("余", 1),
    ];

    public static readonly string[] GivenNames =
    [
        "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "桂英", "秀英",
        "晓燕", "丽华", "建华", "建国", "志强", "海燕", "雪梅", "婷婷", "欣怡", "子涵", "浩然", "雨萱", "思琪", "佳怡", "俊杰", "晓东",
        "春梅", "红霞", "玉兰", "文博", "梦瑶", "佳琪", "宇航", "晨曦", "一鸣", "海波", "国庆", "淑珍", "凤英", "美华", "嘉怡", "天宇",
        "亚楠", "慧敏", "晓琳", "振华", "少华", "玲玲",
    ];

    public static readonly string[] PetNameChars =
    [
        "雨", "敏", "杰", "芳", "琳", "乐", "贝", "朵", "悠", "萌", "燕", "梅", "婷", "娟", "强", "军", "鹏", "宁", "欢", "艺",
    ];

    public static readonly string[] PhraseNames =
    [
        "岁月静好", "一米阳光", "静待花开", "向日葵", "微笑向暖", "清风徐来", "知足常乐", "平安是福", "云淡风轻", "海阔天空", "春暖花开",
        "心若向阳", "简单快乐", "荷塘月色", "晴天", "红枫", "追梦人", "淡然", "花开半夏", "阳光总在风雨后", "随遇而安", "山水之间",
        "浅笑安然", "初心不改", "健康是福", "月光宝盒", "一路向北", "橙子", "柠檬不酸", "奶茶不加糖", "小确幸", "早睡早起", "快乐每一天",
        "不忘初心", "向阳而生", "夏天的风",
    ];

    public static readonly string[] LatinNames =
    [
        "Lily", "Grace", "Kevin", "Amy", "Tony", "Cathy", "Jason", "Vivian", "Coco", "Eric", "Sunny", "Linda", "Jack", "Cindy", "Helen",
        "Leo", "Emma", "Mia", "Alex", "Nina",
    ];

    /// <summary>Seed 004's 群简介 template: who we are, what you get, who runs it.</summary>
    private static string Intro(string group, string host) =>
        $"欢迎新来的朋友!本群为{Brand}{group},在这里欢迎大家分享产品服用问题、日常营养保健知识、产品购买问题和商家活动问题。\n"
        + "我们会定期举办各类活动,也会邀请专业营养师为大家开设保健营养课程,并定期推出特价产品,让大家享受到最大的优惠。"
        + "我们不一定会刷屏,但一定会让你在这里开心。\n"
        + $"本群由{host}和管理团队共同维护,只谈健康,欢迎多多分享。";

    /// <summary>Seed 004's 群规 template: group nickname, sharing encouraged, what is forbidden.</summary>
    private static string GeneralRules(string nicknameExample) =>
        $"1. 进群请把群昵称改为「城市-行业-昵称」,例如:{nicknameExample},方便大家交流。\n"
        + "2. 鼓励晒产品图(收货、服用、好评),晒图有奖;连续7天在群里分享或晒单,送优惠券或试用装。\n"
        + "3. 欢迎邀请身边有需要的朋友进群分享,邀请5位好友进群可领红包。\n"
        + "4. 严禁发布与本群宗旨无关的商业广告;如需发起投票、砍价等活动,请先私信群主,经同意后再发。\n"
        + "5. 目前网络不安全,群内以任何名义要求添加微信好友的,请谨慎添加或向群主举报。\n"
        + $"6. {Brand}有多个交流群,每人最多加入两个群(综合群1个、类目群1个),请勿重复进群。\n"
        + "7. 发现违规将立即移出群聊,并在群内说明。请大家一起维护群里的和谐氛围,感谢大家的信任、支持与配合!";

    private const string VipIntro =
        "欢迎加入健康优选VIP会员中心!这里是已购会员的专属服务群。\n"
        + "会员专享:新品优先试用、会员价与限时秒杀、营养师一对一答疑、生日礼包。\n"
        + "本群由孙浩和赵敏负责日常服务,有任何订单、物流或服用问题请直接@我们。";

    private const string VipRules =
        "1. 群昵称请改为「城市-行业-昵称」。\n"
        + "2. 会员福利和优惠链接仅限本群,请勿外传。\n"
        + "3. 欢迎分享服用体验和晒单,每月评选晒单之星。\n"
        + "4. 禁止发布任何商业广告和拉人链接。\n"
        + "5. 会员资格按季度复核,连续三个月无互动将移出。";

    private const string CoreIntro =
        "这里是健康优选TOP管理中心,成员是各群里最热心、经常帮大家解答问题的伙伴。\n"
        + "加入后可参与新品内测、协助管理社群,表现优秀的伙伴可成为兼职群管理员,享受产品福利或补贴。\n"
        + "本群由孙浩负责,营养师小雨提供专业支持。";

    private const string CoreRules =
        "1. 群昵称格式「城市-行业-昵称」,并注明负责的群。\n"
        + "2. 每周一汇报各群问题和建议,重要投诉当天反馈。\n"
        + "3. 内部资料和活动方案在发布前请勿外传。\n"
        + "4. 处理群友问题时态度友好,不确定的问题转给群主。";

    private const string AdsIntro =
        "本群为健康优选广告交流群:各交流群里发过广告的朋友会被引导到这里。\n"
        + "在这里可以适度发布自己的产品和服务信息,方便有需要的朋友对接。\n"
        + "本群由郑雪管理。";

    private const string AdsRules =
        "1. 每人每天最多发布3条广告,禁止刷屏。\n"
        + "2. 禁止发布违法违规、虚假夸大的内容。\n"
        + "3. 禁止私加群友骚扰推销,被举报将移出。\n"
        + "4. 表现良好的朋友可申请回到一般交流群。";
}
