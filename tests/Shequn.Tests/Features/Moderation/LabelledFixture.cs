using System.Text;
using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

/// <summary>A small labelled set written for these tests: group chat on one side, disguised ads on the other.</summary>
internal static class LabelledFixture
{
    public static readonly string[] Ham =
    [
        "今天的团购什么时候发货呀",
        "谢谢群主，收到了",
        "晚上一起打游戏吗",
        "这个面膜用着还不错",
        "明天下雨记得带伞",
        "我家孩子也喜欢这个绘本",
        "请问退换货怎么操作",
        "刚下班，累死了",
        "周末有人去爬山吗",
        "昨天的直播错过了，有回放吗",
        "哈哈哈笑死我了",
        "这家店的咖啡好喝",
        "老师布置的作业太多了",
        "新版本更新了好多内容",
        "我觉得还是旧的好用",
        "大家早上好",
        "价格有点贵，再等等活动",
        "快递到了，包装很好",
        "打卡第十天，坚持住",
        "有没有人知道这个怎么安装",
        "群里好热闹啊",
        "今天的菜谱很简单",
        "周五晚上八点开会",
        "我在地铁上，等下回复",
        "这个颜色我很喜欢",
        "感谢分享，学到了",
        "小区停水了吗",
        "猫咪又把花盆打翻了",
        "好的，我明白了",
        "生日快乐！",
    ];

    public static readonly string[] Spam =
    [
        "加微sx111505看视频",
        "𝐇𝕌𝐗457卖片",
        "需要资源的私聊我",
        "兼职日结，加V：abc12345",
        "枝 158 7996 2374 ❤",
        "扣号2096209202 看片",
        "░兼░职░想░挣░钱░联░系@boj138",
        "ＴＡＤ７６５☀☀日批",
        "看片的加我v13427221844",
        "企鹅1614 65267 免费看",
        "UKC917薇 美女视频",
        "出U收U，长期合作 @wei2588",
        "刷单返利，日赚500，加我微信",
        "2744 7053+俅俅看",
        "百家乐注册送彩金 2028600.com",
        "𝕊𝕂𝔼597➽➽片",
        "佳喂：kk8866 约",
        "高价收银行卡，联系方式@FF0168",
        "免费看真人直播 https://t.me/+abcDEF123",
        "想买片的私聊，有保证",
        "代理招募，私信我 vx：hj2233",
        "网赚项目，小白可做，详聊加q 3366778",
        "约炮同城，加薇 mm5201314",
        "出售黄片资源，联系企鹅",
        "博彩平台充值送百分百，网址 bet666.top",
        "V信 aa9988 有福利",
        "❶❸❽❶❷❸❹❺❻❼❽ 微信同号",
        "看片加扣2286 6055",
        "私聊麦片，量大从优",
        "寂寞可以加我 qq123456789",
    ];

    public static IReadOnlyList<LabelledExample> All =>
        [.. Ham.Select(t => new LabelledExample(false, t)), .. Spam.Select(t => new LabelledExample(true, t))];

    /// <summary>The set as a CSV file in the shared labelled format.</summary>
    public static string Csv()
    {
        var builder = new StringBuilder("target,input\n");
        foreach (var example in All)
            builder.Append(example.IsSpam ? '1' : '0').Append(",\"").Append(example.Text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append("\"\n");
        return builder.ToString();
    }
}
