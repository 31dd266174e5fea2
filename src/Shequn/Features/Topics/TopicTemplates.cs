namespace Shequn.Features.Topics;

/// <summary>A starter topic: what a new workspace's library holds before staff write their own.</summary>
public sealed record TopicTemplate(string Key, TopicKind Kind, string Title, string[] Tags, string Description, string[] Questions);

/// <summary>
/// The starter topics, written for a health-food brand's communities (the demo's brand): three of each kind, each with
/// a ladder that opens with an easy question and ends with one that asks members to share.
/// </summary>
public static class TopicTemplates
{
    public static readonly IReadOnlyList<TopicTemplate> All =
    [
        new("weekend", TopicKind.Universal, "周末你都怎么过", ["生活", "周末"],
            "谁都能聊的开场话题，适合新群或刚认识的群友。",
            ["这个周末你做了什么？", "有没有一个想推荐给大家的好去处？", "周末最想坚持的一个好习惯是什么？"]),
        new("hometown-food", TopicKind.Universal, "家乡的味道", ["美食", "家乡"],
            "聊家乡的小吃和早餐，群友之间最容易找到共同点。",
            ["你是哪里人？家乡最有名的小吃是什么？", "小时候最爱吃的一样东西是什么？", "现在在家里还会自己做吗？分享一下做法吧。"]),
        new("small-joys", TopicKind.Universal, "最近让你开心的一件小事", ["心情", "分享"],
            "轻松的分享话题，适合冷场时暖群。",
            ["最近有什么让你开心的小事？", "你平时用什么办法让自己放松？", "给群里的朋友推荐一样让你快乐的小东西。"]),
        new("breakfast", TopicKind.Professional, "早餐怎么吃才营养", ["营养", "早餐"],
            "从大家的早餐说起，讲清楚蛋白质、膳食纤维和碳水的搭配。",
            ["你今天早餐吃了什么？", "早餐里有蛋白质吗？你通常从哪里获得？", "工作日来不及做早餐时，你的应急方案是什么？", "想请营养师帮你看看哪一顿饮食？"]),
        new("fish-oil", TopicKind.Professional, "鱼油到底怎么选", ["鱼油", "选购"],
            "EPA/DHA 含量、甘油三酯型与乙酯型、新鲜度：一场讲清楚选购要点的话题。",
            ["你或家人在吃鱼油吗？吃了多久？", "买鱼油时你最看重什么：含量、价格还是品牌？", "有没有吃鱼油时遇到过腥味、打嗝的问题？", "关于鱼油，你最想问专家的一个问题是什么？"]),
        new("gut-health", TopicKind.Professional, "益生菌与肠道健康", ["益生菌", "肠道"],
            "肠道健康的日常习惯，以及益生菌什么时候吃、怎么吃。",
            ["你平时注意肠道健康吗？", "有没有吃过益生菌？感觉怎么样？", "饮食上你做过哪些调整让肠胃更舒服？"]),
        new("moms-snacks", TopicKind.Personal, "宝妈的健康加餐", ["宝妈", "加餐"],
            "给宝妈群：孩子和自己的加餐怎么选，少糖又顶饿。",
            ["孩子下午一般吃什么加餐？", "你自己带娃时会顾得上吃饭吗？", "有没有一款少糖又好吃的零食想推荐给其他宝妈？"]),
        new("office-eyes", TopicKind.Personal, "上班族的护眼与营养", ["上班族", "护眼"],
            "给整天看屏幕的群友：护眼习惯和叶黄素等营养补充。",
            ["你每天大概看屏幕多少小时？", "眼睛累的时候你会怎么缓解？", "有没有在补充叶黄素或其他护眼营养？效果如何？"]),
        new("fitness-protein", TopicKind.Personal, "健身党的蛋白质怎么补", ["健身", "蛋白质"],
            "给健身群：训练前后吃什么，蛋白粉和天然食物怎么搭配。",
            ["你一周练几次？主要练什么？", "训练后你一般吃什么？", "蛋白粉你喝得惯吗？更喜欢哪种口味？", "分享一份你最常吃的增肌或减脂餐。"]),
    ];
}
