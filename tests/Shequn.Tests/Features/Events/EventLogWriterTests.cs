using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Events;

/// <summary>
/// The log's raw writer stores every column as EF reads it back (guids in EF's form, so LINQ filters on them match;
/// empty text stays empty, not NULL; non-Latin text intact) and tells new rows from repeats of a stored event.
/// </summary>
public abstract class EventLogWriterTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CommunityEvent Full(Guid ws, Guid community, string id) => new()
    {
        WorkspaceId = ws,
        Platform = ChatPlatform.Telegram,
        PlatformEventId = id,
        Kind = EventKind.MessagePosted,
        OccurredAt = new DateTime(2026, 11, 30, 23, 59, 58, 123, DateTimeKind.Utc),
        ReceivedAt = new DateTime(2026, 12, 1, 0, 0, 1, 456, DateTimeKind.Utc),
        CommunityId = community,
        ChatId = "-1001000000001",
        ChatTitle = "上海-宝妈群 🌸",
        UserId = "42",
        UserName = "",
        FromStaff = true,
        ActorId = "7",
        ActorName = "Ann O'Brien",
        Channel = "live-code:abc",
        MessageKind = MessageKind.Image,
        MessageId = "9001",
        ReplyToMessageId = "9000",
        Text = new string('长', 3000) + " — 加V看片 ✅",
        InviteLink = "https://t.me/+AbCdEf",
        TopicId = "17",
        ForwardedFrom = "某频道",
        MediaId = "AgACAgUAAxkBAAIB",
        ActionId = Guid.NewGuid(),
    };

    [Fact]
    public async Task Append_StoresEveryColumnAsEfReadsIt_AndRepeatsAreNotInsertedAgain()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = Guid.NewGuid();
        var full = Full(ws.Id, community, "tg:u:1");
        var sparse = new CommunityEvent
        {
            WorkspaceId = ws.Id, Platform = ChatPlatform.Telegram, PlatformEventId = "tg:u:2", Kind = EventKind.MemberJoined,
            OccurredAt = full.OccurredAt, ReceivedAt = full.ReceivedAt,
        };

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using (var writer = EventLogWriter.Create(db.Database.IsNpgsql(), db.Database.GetConnectionString()!))
        {
            var first = await writer.AppendAsync([full, sparse], Ct);
            Assert.Equal(new[] { true, true }, first);
            // A redelivery of a stored event next to a new one.
            var second = await writer.AppendAsync([Full(ws.Id, community, "tg:u:1"), Full(ws.Id, community, "tg:u:3")], Ct);
            Assert.Equal(new[] { false, true }, second);
        }

        // Filtering on the guid columns in LINQ finds the rows: they are stored in EF's own form.
        var stored = await db.Set<CommunityEvent>().IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.WorkspaceId == ws.Id).OrderBy(e => e.Seq).ToListAsync(Ct);
        Assert.Equal(["tg:u:1", "tg:u:2", "tg:u:3"], stored.Select(e => e.PlatformEventId));
        Assert.Single(await db.Set<CommunityEvent>().IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.CommunityId == community && e.ActionId == full.ActionId).ToListAsync(Ct));

        var read = stored[0];
        foreach (var property in typeof(CommunityEvent).GetProperties().Where(p => p.Name != nameof(CommunityEvent.Seq) && p.CanWrite))
            Assert.True(Equals(property.GetValue(full), property.GetValue(read)), $"{property.Name}: wrote {property.GetValue(full)}, read {property.GetValue(read)}");
        Assert.Equal("", read.UserName);

        // The processor's own reader (on SQLite, bound by position) makes the same events as EF does.
        if (!db.Database.IsNpgsql())
        {
            await db.Database.OpenConnectionAsync(Ct);
            var raw = SqliteEventLogReader.ReadAfter((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection(), stored[0].Seq - 1, 10)
                .Where(e => e.WorkspaceId == ws.Id).ToList();
            await db.Database.CloseConnectionAsync();
            Assert.Equal(stored.Select(e => e.Seq), raw.Select(e => e.Seq));
            foreach (var (byEf, byReader) in stored.Zip(raw))
                foreach (var property in typeof(CommunityEvent).GetProperties().Where(p => p.CanWrite))
                    Assert.True(Equals(property.GetValue(byEf), property.GetValue(byReader)), $"{property.Name}: EF read {property.GetValue(byEf)}, the reader {property.GetValue(byReader)}");
            Assert.All(raw, e => Assert.Equal(DateTimeKind.Utc, e.OccurredAt.Kind));
        }

        var empty = stored[1];
        Assert.Null(empty.CommunityId);
        Assert.Null(empty.ChatId);
        Assert.Null(empty.MessageKind);
        Assert.Null(empty.ActionId);
        Assert.Null(empty.Text);
        Assert.False(empty.FromStaff);
    }
}

public sealed class EventLogWriterTests_Sqlite(SqliteFactory factory) : EventLogWriterTests(factory), IClassFixture<SqliteFactory>;

public sealed class EventLogWriterTests_Postgres(PostgresFactory factory) : EventLogWriterTests(factory), IClassFixture<PostgresFactory>;
