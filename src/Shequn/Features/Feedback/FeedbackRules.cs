namespace Shequn.Features.Feedback;

/// <summary>A department tickets are routed to: a short key, a display name, the words that send a ticket there and its default owner.</summary>
public sealed record FeedbackDepartment(string Key, string Name, IReadOnlyList<string> Words, Guid? OwnerStaffId = null);

/// <summary>
/// A workspace's editable feedback rules (stored as JSON in <see cref="FeedbackSettings"/>): literal words and regular
/// expressions per kind, phrases that are never feedback (taken out before anything else is read), the departments in
/// routing order and the department each kind falls back to when no department's words appear.
/// </summary>
public sealed record FeedbackRules(
    IReadOnlyList<string> ComplaintWords,
    IReadOnlyList<string> ComplaintPatterns,
    IReadOnlyList<string> SuggestionWords,
    IReadOnlyList<string> SuggestionPatterns,
    IReadOnlyList<string> IgnorePatterns,
    IReadOnlyList<FeedbackDepartment> Departments,
    string ComplaintDepartment,
    string SuggestionDepartment)
{
    public const string Product = "product";
    public const string Logistics = "logistics";
    public const string AfterSales = "after-sales";

    /// <summary>The rules a workspace starts with (made on first use), tuned on the dev half of the test fixture.</summary>
    public static FeedbackRules Defaults() => new(
        ComplaintWords:
        [
            "投诉", "差评", "太差", "差劲", "很差", "变差", "质量问题", "质量有问题", "坏了", "破了", "碎了", "漏了", "烂了", "变质", "发霉", "过期",
            "发错", "少发", "漏发", "错发", "只发了", "没收到", "没有收到", "没人收到", "还没到", "没发货", "不发货", "待发货", "退款", "退货", "退钱",
            "换货", "想退", "骗人", "失望", "不满意", "坑人", "太坑", "假货", "没人理", "没人管", "没人处理", "不回复", "一直不回", "没回我",
            "打不通", "态度太差", "态度很差", "恶劣", "不耐烦", "过敏", "拉肚子", "胃胀", "有虫", "怪味", "哈喇味", "异味", "没效果", "效果都没有",
            "不靠谱", "被驳回", "不给换", "丢件", "弄丢", "丢了", "多扣", "没有给我减", "结块", "摔破", "压扁", "凹了", "凹进去", "湿透", "化了",
            "黏在一起", "冲不开", "破的", "松的", "碎成", "放驿站", "找不到了", "找了半天", "送到隔壁", "填错了", "查不到", "不会再买",
        ],
        ComplaintPatterns:
        [
            @"(等|催)了?(好几|一个多|两|三|四|五|六|七|八|九|十|\d+)(个)?(天|周|星期|礼拜|次)",
            @"都(第)?[二三四五六七八九十\d]+天",
            @"(快递|物流|包裹)[^，,。！？!?]{0,8}(没动|没更新|不动|停在|卡在)",
            @"(下单|付款|寄回去?)[^，,。！？!?]{0,4}(\d+|[一二三四五六七八九十两]+)(个)?(天|周|星期)",
            @"(发货|物流)[^，,。！？!?]{0,2}太慢",
            @"慢递",
            @"剩(一|两|三|\d)个月",
            @"和(宣传|图片|描述|页面)(上)?的?(完全)?不一样|跟以前的不一样",
        ],
        SuggestionWords:
        [
            "提个建议", "小建议", "给个建议", "提个意见", "我的建议", "可以考虑", "就好了", "就更好了", "应该出", "应该多", "应该增加",
        ],
        SuggestionPatterns:
        [
            @"建议(你们|官方|贵司|商家|以后|下次|增加|加|出|推出|把|改|做|在|开|多)",
            @"希望(你们|官方|以后|下次|新品|能|可以|包装|早日|尽快)",
            @"(能不能|可不可以|可以|能否|是否可以)(再)?(出|推出|增加|加|多出|开发|改进|优化|换成|做)",
            @"(你们|官方)应该",
        ],
        IgnorePatterns:
        [
            @"没(有|什么)?(问题|坏|破)", @"不是质量问题", @"(不用|不想)(退|换)", @"建议(大家|姐妹们|你[^们])", @"希望(大家|明天|周末|今天)",
            @"(退款|钱)(已经)?(到账|收到)", @"已(经)?(退款|处理好|解决)",
            @"(如果|万一|假如|假设)[^，,。！？!?]*[吗呢？?]",
            @"没收到(验证码|群公告|提醒|通知)",
        ],
        Departments:
        [
            new(Logistics, "物流部", ["快递", "物流", "发货", "包裹", "签收", "驿站", "顺丰", "韵达", "运输", "单号", "没收到", "还没到", "寄", "送到", "外箱", "箱子", "慢递"]),
            new(AfterSales, "售后部", ["退款", "退货", "换货", "退钱", "售后", "客服", "想退", "驳回", "满减", "扣了钱", "多扣"]),
            new(Product, "产品部", ["口味", "味道", "包装", "配方", "新品", "质量", "说明书", "规格", "效果", "保质期", "过期", "变质"]),
        ],
        ComplaintDepartment: AfterSales,
        SuggestionDepartment: Product);
}
