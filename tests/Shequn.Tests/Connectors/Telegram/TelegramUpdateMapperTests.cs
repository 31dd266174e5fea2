using System.Text.Json;
using Shequn.Connectors.Telegram;
using Shequn.Features.Events;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>Each kind of Telegram update becomes the events docs/events.md promises (payloads as in platforms.md B2).</summary>
public sealed class TelegramUpdateMapperTests
{
    private const long Bot = 222222222;
    private static readonly Guid Ws = Guid.NewGuid();
    private const string Chat = """{ "id": -1001234567890, "title": "Customer Group A", "type": "supergroup" }""";
    private const string Alice = """{ "id": 111111111, "is_bot": false, "first_name": "Alice", "username": "alice" }""";
    private const string Admin = """{ "id": 333, "is_bot": false, "first_name": "Boss" }""";

    private static TelegramMapped Map(string json) =>
        TelegramUpdateMapper.Map(JsonSerializer.Deserialize<Update>(json, JsonBotAPI.Options)!, Bot, Ws);

    private static string Message(string fields, int id = 57) =>
        $$"""{ "update_id": 900000002, "message": { "message_id": {{id}}, "from": {{Alice}}, "chat": {{Chat}}, "date": 1760000000, {{fields}} } }""";

    [Theory]
    [InlineData("\"text\": \"hello\"", MessageKind.Text, "hello")]
    [InlineData("\"photo\": [{ \"file_id\": \"p\", \"file_unique_id\": \"pu\", \"width\": 9, \"height\": 9 }], \"caption\": \"look\"", MessageKind.Image, "look")]
    [InlineData("\"sticker\": { \"file_id\": \"s\", \"file_unique_id\": \"su\", \"type\": \"regular\", \"width\": 5, \"height\": 5, \"is_animated\": false, \"is_video\": false, \"emoji\": \"👍\" }", MessageKind.Sticker, "👍")]
    [InlineData("\"voice\": { \"file_id\": \"v\", \"file_unique_id\": \"vu\", \"duration\": 3 }", MessageKind.Voice, null)]
    [InlineData("\"document\": { \"file_id\": \"d\", \"file_unique_id\": \"du\", \"file_name\": \"menu.pdf\" }", MessageKind.File, "menu.pdf")]
    [InlineData("\"poll\": { \"id\": \"1\", \"question\": \"Lunch?\", \"options\": [{ \"text\": \"yes\", \"voter_count\": 0 }], \"total_voter_count\": 0, \"is_closed\": false, \"is_anonymous\": true, \"type\": \"regular\", \"allows_multiple_answers\": false }", MessageKind.Poll, "Lunch?")]
    [InlineData("\"contact\": { \"phone_number\": \"+8613800000000\", \"first_name\": \"Bob\" }", MessageKind.Contact, "Bob +8613800000000")]
    [InlineData("\"location\": { \"latitude\": 31.2304, \"longitude\": 121.4737 }", MessageKind.Location, "31.2304,121.4737")]
    [InlineData("\"dice\": { \"emoji\": \"🎲\", \"value\": 4 }", MessageKind.Other, null)]
    public void A_message_of_each_kind_is_a_posted_message(string fields, MessageKind kind, string? text)
    {
        var e = Assert.Single(Map(Message(fields)).Events);
        Assert.Equal(EventKind.MessagePosted, e.Kind);
        Assert.Equal(kind, e.MessageKind);
        Assert.Equal(text, e.Text);
        Assert.Equal("tg:-1001234567890:57", e.PlatformEventId);
        Assert.Equal(("-1001234567890", "Customer Group A"), (e.ChatId, e.ChatTitle));
        Assert.Equal(("111111111", "Alice", false), (e.UserId, e.UserName, e.FromStaff));
        Assert.Equal("57", e.MessageId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1760000000).UtcDateTime, e.OccurredAt);
    }

    [Theory]
    [InlineData("\"photo\": [{ \"file_id\": \"small\", \"file_unique_id\": \"s\", \"width\": 90, \"height\": 67 }, { \"file_id\": \"big\", \"file_unique_id\": \"b\", \"width\": 1280, \"height\": 960 }, { \"file_id\": \"mid\", \"file_unique_id\": \"m\", \"width\": 320, \"height\": 240 }]", "big")]
    [InlineData("\"document\": { \"file_id\": \"scan\", \"file_unique_id\": \"su\", \"file_name\": \"qr.png\", \"mime_type\": \"image/png\" }", "scan")]
    [InlineData("\"document\": { \"file_id\": \"d\", \"file_unique_id\": \"du\", \"file_name\": \"menu.pdf\", \"mime_type\": \"application/pdf\" }", null)]
    [InlineData("\"text\": \"no picture\"", null)]
    public void A_photo_names_its_largest_size_and_an_image_file_itself_as_media(string fields, string? mediaId)
    {
        Assert.Equal(mediaId, Assert.Single(Map(Message(fields)).Events).MediaId);
    }

    [Fact]
    public void A_forwarded_message_in_a_forum_topic_says_both_and_the_topic_root_is_no_reply()
    {
        var e = Assert.Single(Map(Message("""
            "text": "fwd", "message_thread_id": 7, "is_topic_message": true,
            "reply_to_message": { "message_id": 7, "chat": { "id": -1001234567890, "type": "supergroup" }, "date": 1759999000 },
            "forward_origin": { "type": "user", "date": 1759000000, "sender_user": { "id": 5, "is_bot": false, "first_name": "Carol", "last_name": "Li" } }
            """)).Events);
        Assert.Equal("7", e.TopicId);
        Assert.Null(e.ReplyToMessageId);
        Assert.Equal("Carol Li", e.ForwardedFrom);
    }

    [Fact]
    public void A_reply_outside_topics_names_the_message_replied_to()
    {
        var e = Assert.Single(Map(Message("""
            "text": "yes", "reply_to_message": { "message_id": 40, "chat": { "id": -1001234567890, "type": "supergroup" }, "date": 1759999000 }
            """)).Events);
        Assert.Equal("40", e.ReplyToMessageId);
        Assert.Null(e.TopicId);
    }

    [Fact]
    public void Sender_chat_is_the_speaker_and_the_group_itself_is_an_anonymous_admin()
    {
        var anonymous = Assert.Single(Map(Message("""
            "text": "notice", "sender_chat": { "id": -1001234567890, "title": "Customer Group A", "type": "supergroup" }
            """)).Events);
        Assert.Equal(("-1001234567890", "Customer Group A", true), (anonymous.UserId, anonymous.UserName, anonymous.FromStaff));

        var channel = Assert.Single(Map(Message("""
            "text": "news", "sender_chat": { "id": -100999, "title": "Brand Channel", "type": "channel" }
            """)).Events);
        Assert.Equal(("-100999", "Brand Channel", false), (channel.UserId, channel.UserName, channel.FromStaff));
    }

    [Fact]
    public void An_edit_is_its_own_event_per_edit_time()
    {
        var json = """{ "update_id": 5, "edited_message": { "message_id": 57, "from": ALICE, "chat": CHAT, "date": 1760000000, "edit_date": 1760000100, "text": "hello again" } }"""
            .Replace("ALICE", Alice, StringComparison.Ordinal).Replace("CHAT", Chat, StringComparison.Ordinal);
        var e = Assert.Single(Map(json).Events);
        Assert.Equal(EventKind.MessageEdited, e.Kind);
        Assert.Equal("tg:-1001234567890:57:edit:1760000100", e.PlatformEventId);
        Assert.Equal("hello again", e.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1760000100).UtcDateTime, e.OccurredAt);
    }

    [Fact]
    public void Service_joins_and_leaves_become_member_events_and_the_bot_itself_is_left_out()
    {
        var joined = Map(Message($$"""
            "new_chat_members": [ {{Alice}}, { "id": {{Bot}}, "is_bot": true, "first_name": "OpsBot" } ]
            """));
        var join = Assert.Single(joined.Events);
        Assert.Equal((EventKind.MemberJoined, "111111111", "tg:-1001234567890:111111111:join:1760000000"), (join.Kind, join.UserId, join.PlatformEventId));
        Assert.Null(join.ActorId);

        var left = Assert.Single(Map(Message($$""" "left_chat_member": {{Alice}} """)).Events);
        Assert.Equal((EventKind.MemberLeft, "111111111"), (left.Kind, left.UserId));

        var removed = Assert.Single(Map($$"""{ "update_id": 9, "message": { "message_id": 58, "from": {{Admin}}, "chat": {{Chat}}, "date": 1760000000, "left_chat_member": {{Alice}} } }""").Events);
        Assert.Equal((EventKind.MemberRemoved, "333"), (removed.Kind, removed.ActorId));
    }

    private static string MemberUpdate(string from, string oldStatus, string newStatus, string extra = "") => $$"""
        { "update_id": 900000001, "chat_member": { "chat": {{Chat}}, "from": {{from}}, "date": 1760000000,
          "old_chat_member": { "status": "{{oldStatus}}", "user": {{Alice}} },
          "new_chat_member": { "status": "{{newStatus}}", "user": {{Alice}}{{(newStatus == "kicked" ? ", \"until_date\": 0" : "")}} } {{extra}} } }
        """;

    [Fact]
    public void A_join_through_an_invite_link_carries_the_link_and_shares_its_id_with_the_service_message()
    {
        var mapped = Map(MemberUpdate(Alice, "left", "member", """
            , "invite_link": { "invite_link": "https://t.me/+AbCdEfGhIjKlMnOp", "creator": { "id": 222222222, "is_bot": true, "first_name": "OpsBot" },
              "creates_join_request": false, "is_primary": false, "is_revoked": false, "name": "campaign-42", "member_limit": 100 }
            """));
        var join = Assert.Single(mapped.Events);
        Assert.Equal(EventKind.MemberJoined, join.Kind);
        Assert.Equal("https://t.me/+AbCdEfGhIjKlMnOp", join.InviteLink);
        Assert.Equal("campaign-42", join.Channel);
        Assert.Null(join.ActorId); // the link was our bot's
        var service = Assert.Single(Map(Message($$""" "new_chat_members": [ {{Alice}} ] """)).Events);
        Assert.Equal(service.PlatformEventId, join.PlatformEventId);
    }

    [Fact]
    public void Member_changes_leave_kick_and_a_restriction_that_keeps_her_in()
    {
        var left = Assert.Single(Map(MemberUpdate(Alice, "member", "left")).Events);
        Assert.Equal(EventKind.MemberLeft, left.Kind);
        var kicked = Assert.Single(Map(MemberUpdate(Admin, "member", "kicked")).Events);
        Assert.Equal((EventKind.MemberRemoved, "333", "Boss"), (kicked.Kind, kicked.ActorId, kicked.ActorName));
        var added = Assert.Single(Map(MemberUpdate(Admin, "left", "member")).Events);
        Assert.Equal((EventKind.MemberJoined, "333"), (added.Kind, added.ActorId));
        Assert.Empty(Map(MemberUpdate(Admin, "member", "administrator")).Events);
    }

    [Fact]
    public void A_join_request_names_the_link_and_the_bio()
    {
        var e = Assert.Single(Map($$"""
            { "update_id": 3, "chat_join_request": { "chat": {{Chat}}, "from": {{Alice}}, "user_chat_id": 111111111, "date": 1760000000, "bio": "fish oil fan",
              "invite_link": { "invite_link": "https://t.me/+Req", "creator": {{Admin}}, "creates_join_request": true, "is_primary": false, "is_revoked": false } } }
            """).Events);
        Assert.Equal((EventKind.JoinRequested, "111111111", "https://t.me/+Req", "fish oil fan"), (e.Kind, e.UserId, e.InviteLink, e.Text));
    }

    [Fact]
    public void The_bots_own_status_and_a_migration_are_facts_not_events()
    {
        var added = Map($$"""
            { "update_id": 4, "my_chat_member": { "chat": { "id": -4001, "title": "New group", "type": "group" }, "from": {{Admin}}, "date": 1760000000,
              "old_chat_member": { "status": "left", "user": { "id": {{Bot}}, "is_bot": true, "first_name": "OpsBot" } },
              "new_chat_member": { "status": "administrator", "user": { "id": {{Bot}}, "is_bot": true, "first_name": "OpsBot" }, "can_be_edited": false,
                "is_anonymous": false, "can_manage_chat": true, "can_delete_messages": true, "can_manage_video_chats": false, "can_restrict_members": true,
                "can_promote_members": false, "can_change_info": false, "can_invite_users": true, "can_post_stories": false, "can_edit_stories": false,
                "can_delete_stories": false } } }
            """);
        Assert.Empty(added.Events);
        Assert.Equal((-4001L, "New group", "group", "administrator", 333L), (added.BotStatus!.ChatId, added.BotStatus.Title, added.BotStatus.Type, added.BotStatus.Status, added.BotStatus.ById!.Value));

        var migrated = Map("""{ "update_id": 6, "message": { "message_id": 9, "from": ADMIN, "chat": { "id": -4001, "title": "New group", "type": "group" }, "date": 1760000000, "migrate_to_chat_id": -1004001 } }"""
            .Replace("ADMIN", Admin, StringComparison.Ordinal));
        Assert.Empty(migrated.Events);
        Assert.Equal(new TelegramMigration(-4001, -1004001), migrated.Migration);
    }

    [Fact]
    public void Unknown_updates_and_private_chats_are_kept_raw()
    {
        Assert.NotNull(Map("""{ "update_id": 7, "callback_query": { "id": "1", "from": { "id": 1, "is_bot": false, "first_name": "A" }, "chat_instance": "x" } }""").Unknown);
        Assert.NotNull(Map("""{ "update_id": 8, "some_future_update": { "x": 1 } }""").Unknown);
        Assert.NotNull(Map("""{ "update_id": 9, "message": { "message_id": 1, "from": { "id": 1, "is_bot": false, "first_name": "A" }, "chat": { "id": 1, "type": "private", "first_name": "A" }, "date": 1760000000, "text": "/start" } }""").Unknown);
        Assert.Null(Map(Message("\"pinned_message\": { \"message_id\": 3, \"chat\": " + Chat + ", \"date\": 1 }")).Unknown);
    }
}
