namespace Shequn.Tests.Features.Events;

/// <summary>Events in Shequn's JSON format, as a script or a platform adapter would send them.</summary>
internal static class EventTestData
{
    public static readonly DateTimeOffset Noon = new(2026, 3, 2, 12, 0, 0, TimeSpan.FromHours(8));

    public static Dictionary<string, object?> Message(Guid community, string id, string user, DateTimeOffset at, string text = "你好", bool staff = false) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = "messagePosted", ["occurredAt"] = at, ["communityId"] = community,
        ["user"] = new { id = user, name = "用户" + user, staff }, ["message"] = new { id = "m-" + id, kind = "text", text },
    };

    public static Dictionary<string, object?> Join(Guid community, string id, string user, DateTimeOffset at, string? inviter = null, string? channel = null) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = "memberJoined", ["occurredAt"] = at, ["communityId"] = community,
        ["user"] = new { id = user, name = "用户" + user }, ["actor"] = inviter is null ? null : new { id = inviter, name = "邀请人" + inviter },
        ["channel"] = channel,
    };

    public static Dictionary<string, object?> Leave(Guid community, string id, string user, DateTimeOffset at) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = "memberLeft", ["occurredAt"] = at, ["communityId"] = community,
        ["user"] = new { id = user, name = "用户" + user },
    };
}
