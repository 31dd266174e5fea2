namespace Shequn.Features.Scripts;

/// <summary>A built-in script a workspace starts with, ready to adapt.</summary>
public sealed record ScriptTemplate(string Key, ScriptCategory Category, string Name, string Text);

/// <summary>
/// The scripts every workspace starts with: seed 004's 群简介 (who we are, what you get, who runs it) and 具体群规
/// (group nickname, sharing, what is forbidden), a welcome built from them (seed 001 §4), and one of each other
/// seed category. Made the first time anyone reads the library (<see cref="ScriptLibrary.EnsureTemplatesAsync"/>);
/// the texts are the brand's words, so they are in Chinese whatever the reader's language.
/// </summary>
public static class ScriptTemplates
{
    public static readonly ScriptTemplate Welcome = new("welcome", ScriptCategory.Welcome, "入群欢迎",
        "欢迎 {nickname} 加入{community}！🎉\n{intro}\n\n请先看看群规：\n{rules}\n\n请按“城市-行业-昵称”修改群名片，再简单介绍一下自己吧～");

    public static readonly ScriptTemplate Intro = new("intro", ScriptCategory.Intro, "群简介",
        "欢迎新来的朋友！本群是{community}，欢迎大家在这里分享产品使用问题、日常知识、购买问题和商家活动。（我们是谁）\n"
        + "我们会定期举办各类活动，邀请专业老师开设课程，也会定期推出特价产品，让大家享受最大的优惠。我们不一定会刷屏，但一定会让你在这里开心。（加入我们有什么好处）\n"
        + "本群由 {owner} 和群管理们共同管理，欢迎多多分享。（简介群主）");

    public static readonly ScriptTemplate Rules = new("rules", ScriptCategory.Rules, "具体群规",
        "1. 进群请在名字前后加上所在地和所需产品，方便大家沟通（例：西安-xxx-白藜芦醇）。\n"
        + "2. 鼓励晒产品图（收货、使用、好评），晒图有奖；可邀请身边有需要的朋友一起进群，邀请有奖。\n"
        + "3. 严禁发与本群宗旨无关的商业广告；投票、砍价等活动请先私信群主，批准后再发。\n"
        + "4. 群内以任何名义要求加微信好友的，请谨慎并向群主举报。\n"
        + "5. 本品牌有多个交流群，每人最多加两个（综合群 1 个、分类群 1 个），请勿反复进群。\n"
        + "如有违规，将立即移出群。请大家一起维护群里的和谐氛围，谢谢！");

    /// <summary>
    /// 加好友 greetings (seed 000 E: WeChat flags an account that sends one greeting over and over, so the planner rotates
    /// them). Short, as a friend request's note is. Declared before <see cref="All"/>, which includes them.
    /// </summary>
    public static readonly IReadOnlyList<ScriptTemplate> FriendGreetings =
    [
        new("friend-greeting-order", ScriptCategory.FriendGreeting, "加好友：下单顾客", "{nickname} 您好，我是您下单店铺的专属顾问，加个好友方便售后和发货提醒～"),
        new("friend-greeting-benefit", ScriptCategory.FriendGreeting, "加好友：福利通知", "Hi {nickname}，我是品牌福利官，通过后第一时间给您发新品和会员专享价～"),
        new("friend-greeting-service", ScriptCategory.FriendGreeting, "加好友：使用指导", "{nickname}，您好呀！我负责产品使用指导，有任何问题都可以随时问我哦"),
        new("friend-greeting-event", ScriptCategory.FriendGreeting, "加好友：活动报名", "您好 {nickname}，您参加了我们的活动，加我领取活动奖品和后续通知吧～"),
        new("friend-greeting-plain", ScriptCategory.FriendGreeting, "加好友：简单问候", "{nickname} 你好，我是{owner}，之前留了您的联系方式，想加您为好友～"),
    ];

    public static readonly IReadOnlyList<ScriptTemplate> All =
    [
        Welcome,
        Intro,
        Rules,
        new("complaint", ScriptCategory.Complaint, "客诉安抚",
            "{member} 您好，非常抱歉给您带来不好的体验！您的问题我们已经记下，客服会尽快私信您处理，请放心。"),
        new("praise", ScriptCategory.Praise, "感谢好评", "谢谢 {member} 的分享和认可！晒图有奖，我们稍后把小礼物发给您～"),
        new("order-urging", ScriptCategory.OrderUrging, "催单提醒", "{member} 您好，您的订单还没有完成支付，优惠名额有限，需要帮助可以随时找我们哦～"),
        new("irrelevant", ScriptCategory.Irrelevant, "无关信息提醒", "{member} 您好，本群只聊与{community}有关的话题，其他内容请私下交流，谢谢理解！"),
        new("faq", ScriptCategory.Faq, "常见问题：发货", "{member} 您好，下单后 48 小时内发货，发货后会有物流短信通知～"),
        .. FriendGreetings,
    ];

    /// <summary>The built-in text for a category, when a workspace has no script of it.</summary>
    public static string? Fallback(ScriptCategory category) => All.FirstOrDefault(t => t.Category == category)?.Text;
}
