using System.Text.RegularExpressions;

namespace Shequn.Features.Responses;

/// <summary>
/// Tells a member's question (one staff should answer) from other chat lines, in Chinese and English, by rules:
/// question marks (full or half width), a final 吗, question words (怎么, 为什么, 什么, 哪, 几, 多少, 谁, 啥…), the
/// A-not-A forms (能不能, 有没有, 是不是, 浓不浓…), asking phrases (请问, 求推荐, 有人知道…) and, in English, a line
/// that opens with a question word or auxiliary. Phrases that only look like questions are taken out first
/// (怎么这么好看, 不知道为什么, 什么都, 哪里哪里, 这不是挺好的吗, 能不能别…), so the rest of the line still counts;
/// a line with an exclamation mark and no question mark is an exclamation; stickers, emoji and a bare "?" are
/// nothing. Measured on tests/Shequn.Tests/Features/Responses/questions.tsv (see QuestionDetectorTests).
/// </summary>
public static partial class QuestionDetector
{
    /// <summary>True when <paramref name="text"/> reads as a question someone should answer.</summary>
    public static bool IsQuestion(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var line = Url().Replace(text, " ");
        line = Sticker().Replace(line, " ").Trim();
        if (!Content().IsMatch(line))
            return false; // "?", "？？？", "[捂脸]", emoji only

        var marked = line.Contains('?') || line.Contains('？');
        var exclaimed = line.Contains('!') || line.Contains('！');
        if (exclaimed && !marked)
            return false;

        var lower = line.ToLowerInvariant();
        if (EnglishIdiom().IsMatch(lower))
            return false;

        // Phrases that look like questions but are not: take them out, then read what is left.
        var rest = NotAQuestion().Replace(line, " ");
        if (marked)
            return Content().IsMatch(Marks().Replace(rest, " "));
        if (QuestionSignal(rest))
            return true;
        if (lower.Length > 0 && EnglishOpening().IsMatch(lower) && !EnglishExclamation().IsMatch(lower))
            return true;
        return false;
    }

    private static bool QuestionSignal(string rest) =>
        FinalMa().IsMatch(rest) || QuestionWord().IsMatch(rest) || ANotA().IsMatch(rest) || Asking().IsMatch(rest) || BackQuestion().IsMatch(rest);

    [GeneratedRegex(@"https?://\S+|www\.\S+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    /// <summary>WeChat-style stickers written as text: [捂脸], [强].</summary>
    [GeneratedRegex(@"\[[^\[\]]{1,8}\]")]
    private static partial Regex Sticker();

    /// <summary>A letter, digit or CJK character: something said.</summary>
    [GeneratedRegex(@"[\p{L}\p{N}]")]
    private static partial Regex Content();

    [GeneratedRegex(@"[?？]")]
    private static partial Regex Marks();

    [GeneratedRegex(
        @"怎么(这么|那么)|为什么(这么|那么)|(不|也不)知道(为什么|为啥|怎么(回事|的)?|咋)|怎么说呢|多少(有点|带点|有些)|哪里哪里|哪怕"
        + @"|什么(都|鬼|情况)|没(什么|啥)|有(什么|啥)(问题|需要|事)[^?？]{0,8}(找|问|联系|私信)我"
        + @"|(这|那)不是[^?？]{0,10}[吗嘛]|难道[^?？]*|谁说不是|可不是|能不能别|没事|(哈+)?(是吗|真的吗)(哈+)?$|^(哈+)?(是吗|真的吗)")]
    private static partial Regex NotAQuestion();

    /// <summary>吗 ending the line or a clause (before punctuation, a particle or an emoji).</summary>
    [GeneratedRegex(@"吗[呀啊呢哦]?\s*([，,。.~…\s]|$|[^\p{L}\p{N}])")]
    private static partial Regex FinalMa();

    [GeneratedRegex(@"怎么|怎样|怎么样|咋|如何|为什么|为啥|干嘛|什么|啥|哪|谁|多少|多久|多长时间|多大|多远|(?<![好这那])几(点|号|天|个|次|岁|分钟|小时|月|年|件|盒|瓶|块|折|时|钱)")]
    private static partial Regex QuestionWord();

    /// <summary>能不能, 有没有, 是不是, 可不可以, 浓不浓, 在不在.</summary>
    [GeneratedRegex(@"(\p{IsCJKUnifiedIdeographs})[不没]\1|可不可以")]
    private static partial Regex ANotA();

    [GeneratedRegex(@"请问|求问|求推荐|求助|有人知道|谁知道|谁能|有没有人|想问一下|问一下")]
    private static partial Regex Asking();

    /// <summary>"你呢", "那你们呢": asking back.</summary>
    [GeneratedRegex(@"^(那)?(你|您|你们|他|她|他们|大家)呢")]
    private static partial Regex BackQuestion();

    [GeneratedRegex(@"^(hi|hey|hello|@\S+)?[\s,]*(how|what|when|where|why|who|whom|which|whose|can|could|would|will|is|are|am|was|were|do|does|did|should|shall|may|has|have|any|anyone|anybody|someone)\b(?!['’])")]
    private static partial Regex EnglishOpening();

    /// <summary>"What a deal", "How nice is this": exclamations that open like questions.</summary>
    [GeneratedRegex(@"^(what an? |how (nice|cool|cute|great|good|beautiful|lovely|awesome|amazing|funny|sweet|wonderful)\b)")]
    private static partial Regex EnglishExclamation();

    [GeneratedRegex(@"\bwhy not\b|^is it (just )?me\b")]
    private static partial Regex EnglishIdiom();
}
