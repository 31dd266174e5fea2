using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Shequn.Connectors.WeCom;

public enum WeComCallbackKind
{
    /// <summary>change_external_chat: a customer group was created, changed or dismissed.</summary>
    ExternalChat,
    /// <summary>change_external_contact: a customer was added, edited or removed by a staff member.</summary>
    ExternalContact,
    /// <summary>Any other event or message: kept raw (<see cref="WeComCallback.Fields"/>), skipped by the caller.</summary>
    Unknown,
}

public enum WeComChatChangeType { Create, Update, Dismiss, Unknown }

public enum WeComChatUpdate { AddMember, DelMember, ChangeOwner, ChangeName, ChangeNotice, Unknown }

public enum WeComJoinScene
{
    /// <summary>JoinScene 0, 1 or 2: invited by a member, directly or through an invite link.</summary>
    Invited,
    /// <summary>JoinScene 3: scanned the group's QR code.</summary>
    QrCode,
    Unknown,
}

public enum WeComQuitScene
{
    /// <summary>QuitScene 0: left on their own.</summary>
    Left,
    /// <summary>QuitScene 1: removed by the owner or an admin.</summary>
    Removed,
    Unknown,
}

public enum WeComContactChangeType
{
    AddExternalContact, EditExternalContact, AddHalfExternalContact, DelExternalContact, DelFollowUser, TransferFail, Unknown,
}

/// <summary>A decrypted WeCom callback. Exactly one of <see cref="Chat"/> and <see cref="Contact"/> is set unless the kind is unknown.</summary>
/// <param name="EventType">The raw <c>Event</c> (self-built app) or <c>InfoType</c> (third-party app); "" when absent.</param>
/// <param name="CorpId"><c>ToUserName</c> or, for a third-party app, <c>AuthCorpId</c>.</param>
/// <param name="CreatedAt"><c>CreateTime</c> or <c>TimeStamp</c> (unix seconds).</param>
/// <param name="Fields">Every simple field of the XML by element name, so unknown callbacks are kept whole.</param>
public sealed record WeComCallback(
    WeComCallbackKind Kind,
    string EventType,
    string? CorpId,
    DateTimeOffset? CreatedAt,
    WeComChatChange? Chat,
    WeComContactChange? Contact,
    IReadOnlyDictionary<string, string> Fields);

/// <param name="ChangeTypeRaw">The raw ChangeType, kept when it is one we do not know.</param>
/// <param name="MemberIds">MemChangeList's items: userids or external_userids of the members who joined or left.</param>
/// <param name="LastMemberVersion">LastMemVer: compare with the stored member version; a mismatch means a lost callback.</param>
public sealed record WeComChatChange(
    string ChatId,
    WeComChatChangeType ChangeType,
    string ChangeTypeRaw,
    WeComChatUpdate? Update,
    string? UpdateRaw,
    int? JoinSceneRaw,
    int? QuitSceneRaw,
    int? MemberChangeCount,
    IReadOnlyList<string> MemberIds,
    string? LastMemberVersion,
    string? CurrentMemberVersion)
{
    public WeComJoinScene? JoinScene => JoinSceneRaw switch
    {
        null => null,
        0 or 1 or 2 => WeComJoinScene.Invited,
        3 => WeComJoinScene.QrCode,
        _ => WeComJoinScene.Unknown,
    };

    public WeComQuitScene? QuitScene => QuitSceneRaw switch
    {
        null => null,
        0 => WeComQuitScene.Left,
        1 => WeComQuitScene.Removed,
        _ => WeComQuitScene.Unknown,
    };
}

/// <param name="UserId">The staff member (企业服务人员) whose customer changed.</param>
/// <param name="ExternalUserId">The customer's external_userid.</param>
public sealed record WeComContactChange(
    WeComContactChangeType ChangeType,
    string ChangeTypeRaw,
    string? UserId,
    string? ExternalUserId,
    string? State,
    string? WelcomeCode,
    string? Source,
    string? FailReason);

/// <summary>
/// The callback's outer POST body, <c>&lt;xml&gt;&lt;ToUserName/&gt;&lt;AgentID/&gt;&lt;Encrypt/&gt;&lt;/xml&gt;</c>,
/// or a passive reply, which carries its signature, timestamp and nonce inside.
/// </summary>
public sealed record WeComEnvelope(string Encrypt, string? ToUserName, string? AgentId,
    string? MsgSignature = null, string? TimeStamp = null, string? Nonce = null);

/// <summary>
/// Reads WeCom's callback XML (platforms.md A1.1, A2). DTDs are refused (no entity expansion, no external
/// resolution) and documents are capped; anything that is not well-formed, or lacks a field the event needs,
/// is a <see cref="WeComCallbackError.MalformedXml"/> error.
/// </summary>
public static class WeComCallbackXml
{
    private const long MaxCharacters = 1 << 20;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Reads the encrypted POST body; its Encrypt value must be present.</summary>
    public static WeComEnvelope ReadEnvelope(string body)
    {
        var root = Load(body);
        var encrypt = Text(root, "Encrypt");
        return string.IsNullOrEmpty(encrypt)
            ? throw Malformed("The callback body has no Encrypt element.")
            : new WeComEnvelope(encrypt, Text(root, "ToUserName"), Text(root, "AgentID"), Text(root, "MsgSignature"), Text(root, "TimeStamp"), Text(root, "Nonce"));
    }

    /// <summary>The passive encrypted reply (platforms.md A1.1); events need none, an empty 200 will do.</summary>
    public static string WriteReply(WeComEncrypted reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var xml = new XElement("xml",
            new XElement("Encrypt", new XCData(reply.Encrypt)),
            new XElement("MsgSignature", new XCData(reply.Signature)),
            new XElement("TimeStamp", reply.Timestamp),
            new XElement("Nonce", new XCData(reply.Nonce)));
        return xml.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>Reads a decrypted callback into a <see cref="WeComCallback"/>.</summary>
    public static WeComCallback ReadCallback(string xml)
    {
        var root = Load(xml);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var element in root.Elements())
        {
            if (!element.HasElements)
                fields[element.Name.LocalName] = element.Value;
        }

        var eventType = Text(root, "Event") ?? Text(root, "InfoType") ?? "";
        var corpId = Text(root, "ToUserName") ?? Text(root, "AuthCorpId");
        var created = Number(root, "CreateTime", long.MaxValue) ?? Number(root, "TimeStamp", long.MaxValue);
        DateTimeOffset? createdAt = created is { } seconds && seconds >= 0 && seconds < 253402300800
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : created is null ? null : throw Malformed("CreateTime is not a valid unix time.");

        return eventType switch
        {
            "change_external_chat" => new WeComCallback(WeComCallbackKind.ExternalChat, eventType, corpId, createdAt, ReadChat(root), null, fields),
            "change_external_contact" => new WeComCallback(WeComCallbackKind.ExternalContact, eventType, corpId, createdAt, null, ReadContact(root), fields),
            _ => new WeComCallback(WeComCallbackKind.Unknown, eventType, corpId, createdAt, null, null, fields),
        };
    }

    private static WeComChatChange ReadChat(XElement root)
    {
        var chatId = Text(root, "ChatId");
        if (string.IsNullOrEmpty(chatId))
            throw Malformed("change_external_chat has no ChatId.");
        var changeRaw = Text(root, "ChangeType");
        if (string.IsNullOrEmpty(changeRaw))
            throw Malformed("change_external_chat has no ChangeType.");
        var change = changeRaw switch
        {
            "create" => WeComChatChangeType.Create,
            "update" => WeComChatChangeType.Update,
            "dismiss" => WeComChatChangeType.Dismiss,
            _ => WeComChatChangeType.Unknown,
        };
        var updateRaw = Text(root, "UpdateDetail");
        WeComChatUpdate? update = updateRaw switch
        {
            null or "" => null,
            "add_member" => WeComChatUpdate.AddMember,
            "del_member" => WeComChatUpdate.DelMember,
            "change_owner" => WeComChatUpdate.ChangeOwner,
            "change_name" => WeComChatUpdate.ChangeName,
            "change_notice" => WeComChatUpdate.ChangeNotice,
            _ => WeComChatUpdate.Unknown,
        };
        var members = root.Element("MemChangeList")?.Elements("Item").Select(i => i.Value.Trim()).Where(v => v.Length > 0).ToList() ?? [];
        return new WeComChatChange(
            chatId, change, changeRaw, update, string.IsNullOrEmpty(updateRaw) ? null : updateRaw,
            (int?)Number(root, "JoinScene", int.MaxValue), (int?)Number(root, "QuitScene", int.MaxValue),
            (int?)Number(root, "MemChangeCnt", int.MaxValue), members,
            Text(root, "LastMemVer"), Text(root, "CurMemVer"));
    }

    private static WeComContactChange ReadContact(XElement root)
    {
        var changeRaw = Text(root, "ChangeType");
        if (string.IsNullOrEmpty(changeRaw))
            throw Malformed("change_external_contact has no ChangeType.");
        var change = changeRaw switch
        {
            "add_external_contact" => WeComContactChangeType.AddExternalContact,
            "edit_external_contact" => WeComContactChangeType.EditExternalContact,
            "add_half_external_contact" => WeComContactChangeType.AddHalfExternalContact,
            "del_external_contact" => WeComContactChangeType.DelExternalContact,
            "del_follow_user" => WeComContactChangeType.DelFollowUser,
            "transfer_fail" => WeComContactChangeType.TransferFail,
            _ => WeComContactChangeType.Unknown,
        };
        return new WeComContactChange(change, changeRaw, Text(root, "UserID"), Text(root, "ExternalUserID"),
            Text(root, "State"), Text(root, "WelcomeCode"), Text(root, "Source"), Text(root, "FailReason"));
    }

    private static XElement Load(string xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
            throw Malformed("The callback XML is empty.");
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), Settings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw Malformed($"The callback XML is not well-formed: {e.Message}");
        }
        return doc.Root is { Name.LocalName: "xml" } root
            ? root
            : throw Malformed("The callback XML's root element is not <xml>.");
    }

    /// <summary>The trimmed text of a direct child (CDATA or not); null when absent.</summary>
    private static string? Text(XElement root, string name) => root.Element(name)?.Value.Trim();

    private static long? Number(XElement root, string name, long max)
    {
        var text = Text(root, name);
        if (string.IsNullOrEmpty(text))
            return null;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= max
            ? value
            : throw Malformed($"{name} is not a whole number: '{(text.Length > 40 ? text[..40] : text)}'.");
    }

    private static WeComCallbackException Malformed(string message) => new(WeComCallbackError.MalformedXml, message);
}
