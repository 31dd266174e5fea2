namespace Shequn.Features.Enforcement;

/// <summary>What a decoded QR code points at, as far as group rules care.</summary>
public enum QrTarget
{
    /// <summary>Plain text or something unrecognised.</summary>
    Text = 0,
    /// <summary>A WeChat personal contact card (add me as a friend).</summary>
    WeChatPersonal = 1,
    /// <summary>A WeChat group invitation.</summary>
    WeChatGroup = 2,
    /// <summary>A WeCom (企业微信) contact or group.</summary>
    WeComContact = 3,
    /// <summary>A WeChat payment code.</summary>
    WeChatPay = 4,
    /// <summary>A WeChat mini program or official-account page.</summary>
    WeChatMiniProgram = 5,
    /// <summary>A Telegram user, group or channel link.</summary>
    Telegram = 6,
    /// <summary>Any other link (its domain is in <see cref="QrClassification.Domain"/>).</summary>
    Link = 7,
}

public sealed record QrClassification(QrTarget Target, string? Domain)
{
    /// <summary>Contact evidence: the code leads to a person or a group outside Shequn's communities.</summary>
    public bool IsContact => Target is QrTarget.WeChatPersonal or QrTarget.WeChatGroup or QrTarget.WeComContact or QrTarget.Telegram;
}

/// <summary>
/// Classifies the content of a decoded QR code. WeChat's own codes are links on a handful of hosts
/// (<c>u.wechat.com</c> and <c>weixin.qq.com/r/</c> for contact cards, <c>weixin.qq.com/g/</c> for groups,
/// <c>work.weixin.qq.com</c> for WeCom, <c>wxp://</c> for payment); anything else with a scheme or a host is a link.
/// </summary>
public static class QrContent
{
    public static QrClassification Classify(string? content)
    {
        var text = (content ?? "").Trim();
        if (text.Length == 0)
            return new QrClassification(QrTarget.Text, null);
        if (text.StartsWith("wxp://", StringComparison.OrdinalIgnoreCase))
            return new QrClassification(QrTarget.WeChatPay, null);
        if (text.StartsWith("wxwork://", StringComparison.OrdinalIgnoreCase))
            return new QrClassification(QrTarget.WeComContact, null);
        if (text.StartsWith("tg://", StringComparison.OrdinalIgnoreCase))
            return new QrClassification(QrTarget.Telegram, null);

        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || !uri.Host.Contains('.', StringComparison.Ordinal)
            || uri.Host.Any(char.IsWhiteSpace))
            return new QrClassification(QrTarget.Text, null);

        var host = uri.Host.ToLowerInvariant();
        var path = uri.AbsolutePath;
        var target = host switch
        {
            "u.wechat.com" => QrTarget.WeChatPersonal,
            "weixin.qq.com" when path.StartsWith("/g/", StringComparison.Ordinal) => QrTarget.WeChatGroup,
            "weixin.qq.com" when path.StartsWith("/r/", StringComparison.Ordinal) => QrTarget.WeChatPersonal,
            "work.weixin.qq.com" or "wxwork.qq.com" => QrTarget.WeComContact,
            "wxaurl.cn" or "mp.weixin.qq.com" => QrTarget.WeChatMiniProgram,
            "t.me" or "telegram.me" => QrTarget.Telegram,
            _ when text.Contains("://", StringComparison.Ordinal) || LooksLikeHost(host) => QrTarget.Link,
            _ => QrTarget.Text,
        };
        return new QrClassification(target, target == QrTarget.Text ? null : host);
    }

    /// <summary>A bare "word.word" is a host only when its last label is letters (so "3.14" stays text).</summary>
    private static bool LooksLikeHost(string host)
    {
        var last = host[(host.LastIndexOf('.') + 1)..];
        return last.Length >= 2 && last.All(char.IsAsciiLetter);
    }
}
