using Shequn.Connectors.WeCom;

namespace Shequn.Tests.Connectors.WeCom;

/// <summary>The sample payloads of docs platforms.md A2.</summary>
public class WeComCallbackXmlTests
{
    private const string SelfBuiltUpdate = """
        <xml>
          <ToUserName><![CDATA[toUser]]></ToUserName>
          <FromUserName><![CDATA[sys]]></FromUserName>
          <CreateTime>1403610513</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[change_external_chat]]></Event>
          <ChatId><![CDATA[CHAT_ID]]></ChatId>
          <ChangeType><![CDATA[update]]></ChangeType>
          <UpdateDetail><![CDATA[add_member]]></UpdateDetail>
          <JoinScene>1</JoinScene>
          <QuitScene>0</QuitScene>
          <MemChangeCnt>10</MemChangeCnt>
          <MemChangeList><Item>Jack</Item><Item>Rose</Item></MemChangeList>
          <LastMemVer>9c3f97c2ada667dfb5f6d03308d963e1</LastMemVer>
          <CurMemVer>71217227bbd112ecfe3a49c482195cb4</CurMemVer>
        </xml>
        """;

    private const string ThirdPartyUpdate = """
        <xml>
            <SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId>
            <AuthCorpId><![CDATA[wxf8b4f85f3a794e77]]></AuthCorpId>
            <InfoType><![CDATA[change_external_chat]]></InfoType>
            <TimeStamp>1403610513</TimeStamp>
            <ChatId><![CDATA[CHAT_ID]]></ChatId>
            <ChangeType><![CDATA[update]]></ChangeType>
            <UpdateDetail><![CDATA[add_member]]></UpdateDetail>
            <JoinScene>1</JoinScene>
            <QuitScene>0</QuitScene>
            <MemChangeCnt>10</MemChangeCnt>
            <MemChangeList>
                <Item>Jack</Item>
                <Item>Rose</Item>
            </MemChangeList>
            <LastMemVer>9c3f97c2ada667dfb5f6d03308d963e1</LastMemVer>
            <CurMemVer>71217227bbd112ecfe3a49c482195cb4</CurMemVer>
        </xml>
        """;

    private const string AddContact = """
        <xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[sys]]></FromUserName>
        <CreateTime>1403610513</CreateTime>
        <MsgType><![CDATA[event]]></MsgType>
        <Event><![CDATA[change_external_contact]]></Event>
        <ChangeType><![CDATA[add_external_contact]]></ChangeType>
        <UserID><![CDATA[zhangsan]]></UserID>
        <ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
        <State><![CDATA[teststate]]></State>
        <WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode>
        </xml>
        """;

    private static string Chat(string changeType, string extra = "") =>
        "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime>" +
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[CHAT_ID]]></ChatId>" +
        $"<ChangeType><![CDATA[{changeType}]]></ChangeType>{extra}</xml>";

    [Fact]
    public void ReadCallback_SelfBuiltAddMember_ReadsEveryField()
    {
        var callback = WeComCallbackXml.ReadCallback(SelfBuiltUpdate);

        Assert.Equal(WeComCallbackKind.ExternalChat, callback.Kind);
        Assert.Equal("change_external_chat", callback.EventType);
        Assert.Equal("toUser", callback.CorpId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1403610513), callback.CreatedAt);
        Assert.Null(callback.Contact);
        var chat = callback.Chat!;
        Assert.Equal("CHAT_ID", chat.ChatId);
        Assert.Equal(WeComChatChangeType.Update, chat.ChangeType);
        Assert.Equal(WeComChatUpdate.AddMember, chat.Update);
        Assert.Equal(1, chat.JoinSceneRaw);
        Assert.Equal(WeComJoinScene.Invited, chat.JoinScene);
        Assert.Equal(WeComQuitScene.Left, chat.QuitScene);
        Assert.Equal(10, chat.MemberChangeCount);
        Assert.Equal(["Jack", "Rose"], chat.MemberIds);
        Assert.Equal("9c3f97c2ada667dfb5f6d03308d963e1", chat.LastMemberVersion);
        Assert.Equal("71217227bbd112ecfe3a49c482195cb4", chat.CurrentMemberVersion);
    }

    [Fact]
    public void ReadCallback_ThirdPartyEnvelope_ReadsInfoTypeAuthCorpIdAndTimeStamp()
    {
        var callback = WeComCallbackXml.ReadCallback(ThirdPartyUpdate);

        Assert.Equal(WeComCallbackKind.ExternalChat, callback.Kind);
        Assert.Equal("wxf8b4f85f3a794e77", callback.CorpId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1403610513), callback.CreatedAt);
        Assert.Equal(["Jack", "Rose"], callback.Chat!.MemberIds);
        Assert.Equal("ww4asffe99e54c0f4c", callback.Fields["SuiteId"]);
    }

    [Theory]
    [InlineData("create", WeComChatChangeType.Create)]
    [InlineData("dismiss", WeComChatChangeType.Dismiss)]
    [InlineData("update", WeComChatChangeType.Update)]
    [InlineData("something_new", WeComChatChangeType.Unknown)]
    public void ReadCallback_ChatChangeTypes_AreMappedAndKeptRaw(string raw, WeComChatChangeType expected)
    {
        var chat = WeComCallbackXml.ReadCallback(Chat(raw)).Chat!;

        Assert.Equal(expected, chat.ChangeType);
        Assert.Equal(raw, chat.ChangeTypeRaw);
        Assert.Null(chat.Update);
        Assert.Null(chat.JoinScene);
        Assert.Empty(chat.MemberIds);
    }

    [Theory]
    [InlineData("add_member", WeComChatUpdate.AddMember)]
    [InlineData("del_member", WeComChatUpdate.DelMember)]
    [InlineData("change_owner", WeComChatUpdate.ChangeOwner)]
    [InlineData("change_name", WeComChatUpdate.ChangeName)]
    [InlineData("change_notice", WeComChatUpdate.ChangeNotice)]
    [InlineData("change_avatar", WeComChatUpdate.Unknown)]
    public void ReadCallback_UpdateDetails_AreMappedAndKeptRaw(string raw, WeComChatUpdate expected)
    {
        var chat = WeComCallbackXml.ReadCallback(Chat("update", $"<UpdateDetail><![CDATA[{raw}]]></UpdateDetail>")).Chat!;

        Assert.Equal(expected, chat.Update);
        Assert.Equal(raw, chat.UpdateRaw);
    }

    [Theory]
    [InlineData(0, WeComJoinScene.Invited)]
    [InlineData(2, WeComJoinScene.Invited)]
    [InlineData(3, WeComJoinScene.QrCode)]
    [InlineData(7, WeComJoinScene.Unknown)]
    public void ReadCallback_JoinScene_AnyIntegerIsAccepted(int scene, WeComJoinScene expected)
    {
        var chat = WeComCallbackXml.ReadCallback(Chat("update", $"<UpdateDetail>add_member</UpdateDetail><JoinScene>{scene}</JoinScene>")).Chat!;

        Assert.Equal(expected, chat.JoinScene);
    }

    [Fact]
    public void ReadCallback_DelMemberRemovedByAdmin_ReadsQuitSceneAndCdataFields()
    {
        var chat = WeComCallbackXml.ReadCallback(Chat("update",
            "<UpdateDetail>del_member</UpdateDetail><QuitScene><![CDATA[1]]></QuitScene><MemChangeCnt>1</MemChangeCnt>" +
            "<MemChangeList><Item><![CDATA[wmEXT01]]></Item></MemChangeList>")).Chat!;

        Assert.Equal(WeComChatUpdate.DelMember, chat.Update);
        Assert.Equal(WeComQuitScene.Removed, chat.QuitScene);
        Assert.Equal(["wmEXT01"], chat.MemberIds);
    }

    [Fact]
    public void ReadCallback_AddExternalContact_ReadsTheContactChange()
    {
        var callback = WeComCallbackXml.ReadCallback(AddContact);

        Assert.Equal(WeComCallbackKind.ExternalContact, callback.Kind);
        Assert.Null(callback.Chat);
        var contact = callback.Contact!;
        Assert.Equal(WeComContactChangeType.AddExternalContact, contact.ChangeType);
        Assert.Equal("zhangsan", contact.UserId);
        Assert.Equal("woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", contact.ExternalUserId);
        Assert.Equal("teststate", contact.State);
        Assert.Equal("WELCOMECODE", contact.WelcomeCode);
        Assert.Null(contact.FailReason);
    }

    [Theory]
    [InlineData("edit_external_contact", WeComContactChangeType.EditExternalContact)]
    [InlineData("add_half_external_contact", WeComContactChangeType.AddHalfExternalContact)]
    [InlineData("del_external_contact", WeComContactChangeType.DelExternalContact)]
    [InlineData("del_follow_user", WeComContactChangeType.DelFollowUser)]
    [InlineData("transfer_fail", WeComContactChangeType.TransferFail)]
    [InlineData("msg_audit_approved", WeComContactChangeType.Unknown)]
    public void ReadCallback_ContactChangeTypes_AreMappedAndKeptRaw(string raw, WeComContactChangeType expected)
    {
        var contact = WeComCallbackXml.ReadCallback(AddContact.Replace("add_external_contact", raw, StringComparison.Ordinal)).Contact!;

        Assert.Equal(expected, contact.ChangeType);
        Assert.Equal(raw, contact.ChangeTypeRaw);
    }

    [Fact]
    public void ReadCallback_UnknownEvent_IsKeptRawAndMarkedUnknown()
    {
        const string xml = "<xml><ToUserName>ww1</ToUserName><CreateTime>1403610513</CreateTime><MsgType>event</MsgType>" +
            "<Event>change_external_tag</Event><Id><![CDATA[TAG_ID]]></Id><TagType>tag</TagType><Nested><A>1</A></Nested></xml>";

        var callback = WeComCallbackXml.ReadCallback(xml);

        Assert.Equal(WeComCallbackKind.Unknown, callback.Kind);
        Assert.Equal("change_external_tag", callback.EventType);
        Assert.Null(callback.Chat);
        Assert.Null(callback.Contact);
        Assert.Equal("TAG_ID", callback.Fields["Id"]);
        Assert.Equal("tag", callback.Fields["TagType"]);
    }

    [Fact]
    public void ReadCallback_TextMessage_IsUnknownWithItsFields()
    {
        var callback = WeComCallbackXml.ReadCallback(
            "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>");

        Assert.Equal(WeComCallbackKind.Unknown, callback.Kind);
        Assert.Equal("", callback.EventType);
        Assert.Equal("你好", callback.Fields["Content"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<xml><Event>change_external_chat</Event>")]
    [InlineData("not xml at all")]
    [InlineData("<root><Event>change_external_chat</Event></root>")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x \"boom\">]><xml><Event>&x;</Event></xml>")]
    [InlineData("<xml><Event>change_external_chat</Event><ChangeType>create</ChangeType></xml>")] // no ChatId
    [InlineData("<xml><Event>change_external_chat</Event><ChatId>c</ChatId></xml>")] // no ChangeType
    [InlineData("<xml><Event>change_external_contact</Event><UserID>u</UserID></xml>")] // no ChangeType
    [InlineData("<xml><Event>change_external_chat</Event><ChatId>c</ChatId><ChangeType>update</ChangeType><JoinScene>one</JoinScene></xml>")]
    [InlineData("<xml><Event>change_external_chat</Event><CreateTime>-5</CreateTime><ChatId>c</ChatId><ChangeType>create</ChangeType></xml>")]
    public void ReadCallback_Malformed_IsMalformedXml(string xml)
    {
        var e = Assert.Throws<WeComCallbackException>(() => WeComCallbackXml.ReadCallback(xml));

        Assert.Equal(WeComCallbackError.MalformedXml, e.Error);
    }

    [Fact]
    public void ReadCallback_OverAMillionCharacters_IsMalformedXml()
    {
        var xml = "<xml><Event>x</Event><Content>" + new string('a', 1 << 20) + "</Content></xml>";

        var e = Assert.Throws<WeComCallbackException>(() => WeComCallbackXml.ReadCallback(xml));

        Assert.Equal(WeComCallbackError.MalformedXml, e.Error);
    }

    [Fact]
    public void WriteReply_W4_IsThePassiveReplyLayoutAndReadsBack()
    {
        var crypto = new WeComCrypto("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee",
            b => "aaaabbbbccccdddd"u8.CopyTo(b));
        var reply = crypto.EncryptAndSign("<xml><Test>Hello</Test></xml>", "1700000000", "123456");

        var xml = WeComCallbackXml.WriteReply(reply);
        var read = WeComCallbackXml.ReadEnvelope(xml);

        Assert.StartsWith("<xml><Encrypt><![CDATA[RBkZDeI8", xml, StringComparison.Ordinal);
        Assert.Contains("<MsgSignature><![CDATA[1e7bc9263025c72b3be2cf597b0eb6c1d14390f6]]></MsgSignature><TimeStamp>1700000000</TimeStamp><Nonce><![CDATA[123456]]></Nonce></xml>",
            xml, StringComparison.Ordinal);
        Assert.Equal("<xml><Test>Hello</Test></xml>", crypto.VerifyAndDecrypt(read.MsgSignature, read.TimeStamp, read.Nonce, read.Encrypt));
    }

    [Theory]
    [InlineData("<xml><ToUserName>ww1</ToUserName><AgentID>1</AgentID></xml>")]
    [InlineData("<xml><Encrypt><![CDATA[]]></Encrypt></xml>")]
    [InlineData("<xml><Encrypt>")]
    public void ReadEnvelope_NoEncryptOrBroken_IsMalformedXml(string body)
    {
        var e = Assert.Throws<WeComCallbackException>(() => WeComCallbackXml.ReadEnvelope(body));

        Assert.Equal(WeComCallbackError.MalformedXml, e.Error);
    }
}
