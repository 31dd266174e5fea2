using Shequn.Features.Moderation;

namespace Shequn.Tests.Features.Moderation;

public class PatternTests
{
    private static List<(PatternKind Kind, string Excerpt)> Scan(string text, PatternSet? patterns = null)
    {
        var normalised = new NormalisedText();
        TextNormaliser.Normalise(text, normalised);
        var hits = new List<PatternHit>();
        ContactPatterns.Scan(normalised, patterns ?? PatternSet.Default, hits);
        return hits.Select(h =>
        {
            var (start, length) = h.InLite ? normalised.MapLite(h.Start, h.Length) : normalised.MapCompact(h.Start, h.Length);
            return (h.Kind, text.Substring(start, length));
        }).ToList();
    }

    private static List<PatternKind> Kinds(string text, PatternSet? patterns = null) => Scan(text, patterns).Select(h => h.Kind).ToList();

    [Theory]
    [InlineData("电话13812345678")]
    [InlineData("枝 158 7996 2374 ❤")]
    [InlineData("一三八一二三四五六七八")]
    [InlineData("+86 138-1234-5678")]
    [InlineData("座机 021-12345678")]
    public void Scan_PhoneNumbers_AreFound(string text) =>
        Assert.Contains(PatternKind.Phone, Kinds(text));

    [Theory]
    [InlineData("12345678901")]
    [InlineData("价格 128 元")]
    public void Scan_NumbersThatAreNotPhones_AreNotPhones(string text) =>
        Assert.DoesNotContain(PatternKind.Phone, Kinds(text));

    [Theory]
    [InlineData("加微sx111505可越", "加微sx111505")]
    [InlineData("UKC917薇ᚰ", "UKC917薇")]
    [InlineData("V信: abc_12345", "V信: abc_12345")]
    [InlineData("佳喂：sx111505", "佳喂：sx111505")]
    [InlineData("ｖｘ ｋｋ８８６６", "ｖｘ ｋｋ８８６６")]
    public void Scan_WeChatIdAfterCodeWord_IsWeChatId(string text, string excerpt) =>
        Assert.Contains((PatternKind.WeChatId, excerpt), Scan(text));

    [Theory]
    [InlineData("啰妹扣号2096209202", "扣号2096209202")]
    [InlineData("企鹅 1614 65267", "企鹅 1614 65267")]
    [InlineData("QQ：２８８６６５５", "QQ：２８８６６５５")]
    [InlineData("2744 7053+俅俅看", "2744 7053+俅俅")]
    public void Scan_QqNumberNextToCodeWord_IsQqNumber(string text, string excerpt) =>
        Assert.Contains((PatternKind.QqNumber, excerpt), Scan(text));

    [Theory]
    [InlineData("路人哥威武")]
    [InlineData("我喜欢微信支付")]
    [InlineData("一家3口人")]
    [InlineData("I love you")]
    public void Scan_CodeWordCharactersInOrdinaryText_AreNotContactIds(string text)
    {
        var kinds = Kinds(text);
        Assert.DoesNotContain(PatternKind.WeChatId, kinds);
        Assert.DoesNotContain(PatternKind.QqNumber, kinds);
    }

    [Fact]
    public void Scan_StrongCodeWordWithoutId_IsCodeWord() =>
        Assert.Contains(PatternKind.WeChatCodeWord, Kinds("有事加微信聊"));

    [Theory]
    [InlineData("需要的私聊我", "私聊")]
    [InlineData("有兴趣加我好友", "加我")]
    [InlineData("加 好 友 送资料", "加 好 友")]
    public void Scan_AddMeSolicitation_IsSolicitation(string text, string excerpt) =>
        Assert.Contains((PatternKind.Solicitation, excerpt), Scan(text));

    [Fact]
    public void Scan_LongDigitRunWithoutCodeWord_IsLongDigitRun() =>
        Assert.Contains((PatternKind.LongDigitRun, "2096209"), Scan("编号2096209"));

    [Fact]
    public void Scan_IdLikeToken_IsContactToken() =>
        Assert.Contains((PatternKind.ContactToken, "ＴＡＤ７６５"), Scan("鲰 ＴＡＤ７６５☀☀"));

    [Theory]
    [InlineData("看这里 https://t.me/+ptlY1tsbDsk0M2Ux 快", "https://t.me/+ptlY1tsbDsk0M2Ux")]
    [InlineData("网址 2028600.com 注册", "2028600.com")]
    [InlineData("ｗｗｗ．ｂａｄ．ｃｏｍ／ｘ", "ｗｗｗ．ｂａｄ．ｃｏｍ／ｘ")]
    [InlineData("上 abc点com 看", "abc点com")]
    public void Scan_LinksAndDomains_AreUrls(string text, string excerpt) =>
        Assert.Contains((PatternKind.Url, excerpt), Scan(text));

    [Theory]
    [InlineData("价格3.5元")]
    [InlineData("see you.thanks")]
    public void Scan_DotsThatAreNotDomains_AreNotUrls(string text) =>
        Assert.DoesNotContain(PatternKind.Url, Kinds(text));

    [Fact]
    public void Scan_EmailAddress_IsEmailNotUrl()
    {
        var hits = Scan("发到 sales.team@example.com 谢谢");

        Assert.Contains((PatternKind.Email, "sales.team@example.com"), hits);
        Assert.DoesNotContain(PatternKind.Url, hits.Select(h => h.Kind));
    }

    [Fact]
    public void Scan_Handle_IsHandle() =>
        Assert.Contains((PatternKind.Handle, "@guoshihao999"), Scan("咔接回u：@guoshihao999"));

    [Fact]
    public void Scan_DeniedDomainAndSubdomain_AreDenied()
    {
        var patterns = new PatternSet([], ["bad.com"], []);

        Assert.Contains(PatternKind.DeniedDomain, Kinds("go to m.bad.com/x", patterns));
        Assert.DoesNotContain(PatternKind.DeniedDomain, Kinds("go to notbad.com", patterns));
    }

    [Fact]
    public void Scan_AllowedDomain_IsNotEvidence()
    {
        var patterns = new PatternSet(["www.shequn.cn"], [], []);

        Assert.Empty(Kinds("官网 https://shequn.cn/help", patterns));
        Assert.Contains(PatternKind.Url, Kinds("官网 https://other.cn/help", patterns));
    }

    [Theory]
    [InlineData("8613812345678", true)]
    [InlineData("13812345678", true)]
    [InlineData("12812345678", false)]
    [InlineData("02112345678", true)]
    [InlineData("1234567", false)]
    public void IsPhoneNumber_DigitRun_ClassifiesMainlandNumbers(string digits, bool expected) =>
        Assert.Equal(expected, ContactPatterns.IsPhoneNumber(digits));

    [Fact]
    public void TryCreate_ValidPattern_MatchesOnFoldedText()
    {
        Assert.True(CustomPattern.TryCreate("promo", "优惠码[a-z0-9]{4}", 0.6, out var pattern, out var error), error?.English);
        var engine = new ModerationEngine(ModerationSnapshot.Empty with { Patterns = new PatternSet([], [], [pattern!]) });

        var result = engine.Check("领取優惠碼ＡＢ１２");

        var evidence = Assert.Single(result.Evidence);
        Assert.Equal("custom:promo", evidence.Rule);
        Assert.Equal("優惠碼ＡＢ１２", evidence.Term);
        Assert.Equal(0.6, result.Score, 6);
    }

    [Theory]
    [InlineData("(a+)+$", "pathological")]
    [InlineData("(x*y?)*z", "pathological")]
    [InlineData("(?:ab+){2,}", "pathological")]
    [InlineData(@"(\w)\1", "pathological")]
    [InlineData("(?=abc)abc", "pathological")]
    [InlineData("[a-", "invalid")]
    [InlineData("a*", "empty text")]
    [InlineData("", "empty")]
    public void TryCreate_BadPattern_IsRefusedWithReason(string pattern, string reason)
    {
        Assert.False(CustomPattern.TryCreate("bad", pattern, 0.5, out var created, out var error));
        Assert.Null(created);
        Assert.Contains(reason, error!.English, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(ab)+c")]
    [InlineData(@"\d{5,}")]
    [InlineData("[(+]+x")]
    [InlineData(@"\(a+\)+")]
    public void FindNestedQuantifier_SafePattern_FindsNone(string pattern) =>
        Assert.Null(CustomPattern.FindNestedQuantifier(pattern));

    [Fact]
    public void TryCreate_WeightOutOfRange_IsRefused() =>
        Assert.False(CustomPattern.TryCreate("x", "abc", 1.5, out _, out _));
}
