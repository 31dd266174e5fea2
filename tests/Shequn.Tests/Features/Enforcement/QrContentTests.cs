using Shequn.Features.Enforcement;

namespace Shequn.Tests.Features.Enforcement;

public sealed class QrContentTests
{
    [Theory]
    [InlineData("https://u.wechat.com/EAbCdEfGh12", QrTarget.WeChatPersonal, "u.wechat.com")]
    [InlineData("http://weixin.qq.com/r/aBcDeFgHiJkLmN", QrTarget.WeChatPersonal, "weixin.qq.com")]
    [InlineData("https://weixin.qq.com/g/AbCdEf_123", QrTarget.WeChatGroup, "weixin.qq.com")]
    [InlineData("https://work.weixin.qq.com/u/vc1234abcd", QrTarget.WeComContact, "work.weixin.qq.com")]
    [InlineData("wxp://f2f0AbCdEf", QrTarget.WeChatPay, null)]
    [InlineData("https://t.me/+AbCdEfGhIjKlMnOp", QrTarget.Telegram, "t.me")]
    [InlineData("https://shop.example.cn/p/1", QrTarget.Link, "shop.example.cn")]
    [InlineData("promo.example.com/x", QrTarget.Link, "promo.example.com")]
    [InlineData("会员卡号 3.14", QrTarget.Text, null)]
    [InlineData("", QrTarget.Text, null)]
    public void Classifies_what_a_code_points_at(string content, QrTarget target, string? domain)
    {
        var c = QrContent.Classify(content);

        Assert.Equal(target, c.Target);
        Assert.Equal(domain, c.Domain);
    }

    [Fact]
    public void Contacts_are_contact_evidence_and_shops_are_not()
    {
        Assert.True(QrContent.Classify("https://u.wechat.com/x").IsContact);
        Assert.True(QrContent.Classify("https://weixin.qq.com/g/x").IsContact);
        Assert.False(QrContent.Classify("https://shop.example.cn").IsContact);
        Assert.False(QrContent.Classify("wxp://f2f0").IsContact);
    }
}
