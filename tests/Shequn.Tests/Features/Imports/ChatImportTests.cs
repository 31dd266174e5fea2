using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Imports;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Imports;

public abstract class ChatImportTests(ShequnFactory factory)
{
    /// <summary>The example of platforms.md Part D (new format), values ours.</summary>
    internal const string NewFormat = """
        {
         "name": "Customer Group A", "type": "private_supergroup", "id": 1234567890,
         "messages": [
          { "id": 1, "type": "service", "date": "2025-03-01T10:00:00", "date_unixtime": "1740823200",
            "actor": "Bob Admin", "actor_id": "user222", "action": "invite_members", "members": ["Alice"], "text": "", "text_entities": [] },
          { "id": 2, "type": "service", "date": "2025-03-01T10:05:00", "date_unixtime": "1740823500",
            "actor": "Carol", "actor_id": "user333", "action": "join_group_by_link", "inviter": "Bob Admin", "text": "", "text_entities": [] },
          { "id": 3, "type": "message", "date": "2025-03-01T10:06:00", "date_unixtime": "1740823560",
            "from": "Carol", "from_id": "user333", "reply_to_message_id": 2,
            "text": ["Hi ", { "type": "mention", "text": "@alice" }],
            "text_entities": [ { "type": "plain", "text": "Hi " }, { "type": "mention", "text": "@alice" } ] },
          { "id": 4, "type": "message", "date_unixtime": "1740823600", "from": "Alice", "from_id": "user444", "text": "谢谢邀请", "text_entities": [] },
          { "id": 5, "type": "service", "date": "2025-03-02T09:00:00", "date_unixtime": "1740906000",
            "actor": "Bob Admin", "actor_id": "user222", "action": "remove_members", "members": ["Carol"], "text": "", "text_entities": [] },
          { "id": 6, "type": "unsupported" }
         ]
        }
        """;

    /// <summary>An export from before 2021: numeric ids, no date_unixtime (local time), a basic group migrated to a supergroup.</summary>
    internal const string OldFormat = """
        {
         "name": "老群", "type": "private_supergroup", "id": 99,
         "messages": [
          { "id": -5, "type": "service", "date": "2020-05-01T09:00:00", "actor": "Dan", "actor_id": 555, "action": "create_group", "title": "老群", "members": ["Dan", "Eve"], "text": "" },
          { "id": -4, "type": "message", "date": "2020-05-01T09:01:00", "from": "Eve", "from_id": 666, "text": "hello" },
          { "id": -3, "type": "service", "date": "2020-05-02T09:00:00", "actor": "Dan", "actor_id": 555, "action": "migrate_to_supergroup", "text": "" },
          { "id": 1, "type": "service", "date": "2020-05-02T09:00:01", "actor": "老群", "actor_id": 99, "action": "migrate_from_group", "title": "老群", "text": "" },
          { "id": 2, "type": "service", "date": "2020-05-03T20:00:00", "actor": "Eve", "actor_id": 666, "action": "remove_members", "members": ["Eve"], "text": "" },
          { "id": 3, "type": "message", "date": "2020-05-03T21:00:00", "from": "Dan", "from_id": 555, "photo": "(File not included.)", "text": "" }
         ]
        }
        """;

    private async Task<(TestWorkspace Ws, Guid Community)> CommunityAsync(string platform = "telegram")
    {
        var ws = await factory.NewWorkspaceAsync();
        var c = await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("导入群", platform))).ReadAsync<CommunityDto>();
        return (ws, c.Id);
    }

    private async Task<ImportResult> ImportAsync(TestWorkspace ws, Guid communityId, ChatImportFormat format, string content)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        var importer = scope.ServiceProvider.GetRequiredService<ChatImporter>();
        var community = await importer.FindCommunityAsync(communityId, ct);
        var result = await importer.ImportAsync(community!, format, new MemoryStream(Encoding.UTF8.GetBytes(content)), null, null, ct);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(ct);
        return result;
    }

    private async Task<T> QueryAsync<T>(Guid workspaceId, Func<AppDbContext, Task<T>> query)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspaceId);
        return await query(db);
    }

    [Fact]
    public async Task Telegram_NewFormat_ImportsJoinsMessagesAndRemoval()
    {
        var (ws, community) = await CommunityAsync();

        var result = await ImportAsync(ws, community, ChatImportFormat.Telegram, NewFormat);

        Assert.False(result.Rejected);
        Assert.Equal(5, result.Accepted);
        var stints = await QueryAsync(ws.Id, db => db.Memberships.Where(m => m.CommunityId == community)
            .Select(m => new { m.Member!.DisplayName, m.JoinedAt, m.LeftAt, Inviter = m.Inviter!.DisplayName, m.Channel }).ToListAsync());
        var carol = Assert.Single(stints, s => s.DisplayName == "Carol");
        Assert.Equal(DateTime.UnixEpoch.AddSeconds(1740823500), carol.JoinedAt);
        Assert.Equal(DateTime.UnixEpoch.AddSeconds(1740906000), carol.LeftAt);
        Assert.Equal(("Bob Admin", "link"), (carol.Inviter, carol.Channel));
        var alice = Assert.Single(stints, s => s.DisplayName == "Alice");
        Assert.Null(alice.LeftAt);
        Assert.Equal("Bob Admin", alice.Inviter);
        var message = await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().SingleAsync(e => e.WorkspaceId == ws.Id && e.PlatformEventId == "tg:1234567890:3"));
        Assert.Equal(("Hi @alice", "2", "333"), (message.Text, message.ReplyToMessageId, message.UserId));
        var removal = await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().SingleAsync(e => e.WorkspaceId == ws.Id && e.PlatformEventId == "tg:1234567890:5:1"));
        Assert.Equal((EventKind.MemberRemoved, "222"), (removal.Kind, removal.ActorId));
    }

    [Fact]
    public async Task Telegram_OldFormat_ReadsNumericIdsAndLocalDates()
    {
        var (ws, community) = await CommunityAsync();

        var result = await ImportAsync(ws, community, ChatImportFormat.Telegram, OldFormat);

        Assert.False(result.Rejected, string.Join("; ", result.Errors));
        var events = await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id).OrderBy(e => e.OccurredAt).ToListAsync());
        Assert.Equal([EventKind.MemberJoined, EventKind.MemberJoined, EventKind.MessagePosted, EventKind.MemberLeft, EventKind.MessagePosted], events.Select(e => e.Kind));
        // Names in create_group are matched to the ids the same people have elsewhere in the file.
        Assert.Equal(["555", "666"], events.Take(2).Select(e => e.UserId).Order());
        Assert.Equal(new DateTime(2020, 5, 1, 1, 0, 0, DateTimeKind.Utc), events[0].OccurredAt);
        Assert.Equal(MessageKind.Image, events[4].MessageKind);
        var eve = await QueryAsync(ws.Id, db => db.Memberships.SingleAsync(m => m.CommunityId == community && m.Member!.DisplayName == "Eve"));
        Assert.NotNull(eve.LeftAt);
    }

    [Fact]
    public async Task Telegram_SameFileTwice_AddsNothingTheSecondTime()
    {
        var (ws, community) = await CommunityAsync();
        await ImportAsync(ws, community, ChatImportFormat.Telegram, NewFormat);
        var figuresBefore = await QueryAsync(ws.Id, db => FigureRecount.StoredAsync(db, ws.Id));

        var again = await ImportAsync(ws, community, ChatImportFormat.Telegram, NewFormat);

        Assert.Equal((5, 0, 5), (again.Events, again.Accepted, again.Duplicates));
        Assert.Equal(5, await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id)));
        Assert.Equal(figuresBefore, await QueryAsync(ws.Id, db => FigureRecount.StoredAsync(db, ws.Id)));
    }

    [Fact]
    public async Task Telegram_MessageWithoutDate_IsRejectedWithPathAndNothingStored()
    {
        var (ws, community) = await CommunityAsync();
        var broken = NewFormat.Replace("\"date\": \"2025-03-01T10:06:00\", \"date_unixtime\": \"1740823560\",", "", StringComparison.Ordinal);

        var result = await ImportAsync(ws, community, ChatImportFormat.Telegram, broken);

        Assert.Equal("$.messages[2].date", Assert.Single(result.Errors).Where);
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id)));
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Memberships.CountAsync(m => m.CommunityId == community)));
    }

    [Fact]
    public async Task Telegram_NotJson_IsRejectedWithLine()
    {
        var (ws, community) = await CommunityAsync();

        var result = await ImportAsync(ws, community, ChatImportFormat.Telegram, "{\n \"id\": 1,\n \"messages\": [ { \"id\": 1, }\n]}");

        Assert.StartsWith("line 3", Assert.Single(result.Errors).Where, StringComparison.Ordinal);
    }

    internal const string Csv = """"
        time,event,user_id,user_name,text,kind,staff,channel
        2025-04-01 09:00:00,joined,wx_alice,杭州-IT-Alice,,,,公众号
        2025-04-01 09:05:00,message,wx_alice,杭州-IT-Alice,"大家好，
        我是 Alice ""新人""",text,false,
        2025-04-01T09:06:00+08:00,message,staff_1,客服,欢迎！,text,true,
        2025-04-01 09:06:00,message,wx_alice,杭州-IT-Alice,哈哈,,,
        2025-04-01 09:06:00,message,wx_alice,杭州-IT-Alice,哈哈,,,
        2025-04-02 18:00:00,left,wx_alice,杭州-IT-Alice,,,,
        """";

    [Fact]
    public async Task Csv_ValidFile_ImportsOnceEvenTwice()
    {
        var (ws, community) = await CommunityAsync("manual");

        var first = await ImportAsync(ws, community, ChatImportFormat.Csv, Csv);
        var second = await ImportAsync(ws, community, ChatImportFormat.Csv, Csv);

        Assert.False(first.Rejected, string.Join("; ", first.Errors));
        Assert.Equal((6, 6), (first.Events, first.Accepted));
        Assert.Equal(0, second.Accepted);
        var messages = await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id && e.Kind == EventKind.MessagePosted)
            .OrderBy(e => e.OccurredAt).ThenBy(e => e.Seq).ToListAsync());
        Assert.Equal("大家好，\n我是 Alice \"新人\"", messages[0].Text!.ReplaceLineEndings("\n"));
        Assert.True(messages[1].FromStaff);
        Assert.Equal(new DateTime(2025, 4, 1, 1, 5, 0, DateTimeKind.Utc), messages[0].OccurredAt);
        var (expected, actual) = await QueryAsync(ws.Id, async db => FigureRecount.Compare(await FigureRecount.FromLogAsync(db, ws.Id), await FigureRecount.StoredAsync(db, ws.Id)));
        Assert.Equal(expected, actual);
        Assert.Contains("2025-04-01 Counts { Joins = 1, Leaves = 0, Messages = 4, StaffMessages = 1, Speakers = 1, DeletedMessages = 0 }", actual, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_BadRows_AreRejectedWithLineAndColumnAndNothingStored()
    {
        var (ws, community) = await CommunityAsync("manual");
        var bad = Csv.Replace("2025-04-01 09:06:00,message,wx_alice,杭州-IT-Alice,哈哈,,,\n", "yesterday,message,wx_alice,杭州-IT-Alice,哈哈,,,\n", StringComparison.Ordinal)
            .Replace("2025-04-02 18:00:00,left", "2025-04-02 18:00:00,waved", StringComparison.Ordinal);

        var result = await ImportAsync(ws, community, ChatImportFormat.Csv, bad);

        Assert.Equal(["line 6, column time", "line 7, column time", "line 8, column event"], result.Errors.Select(e => e.Where));
        Assert.Equal(0, await QueryAsync(ws.Id, db => db.Set<CommunityEvent>().CountAsync(e => e.WorkspaceId == ws.Id)));
    }

    [Fact]
    public async Task Csv_UnknownColumn_IsRejected()
    {
        var (ws, community) = await CommunityAsync("manual");

        var result = await ImportAsync(ws, community, ChatImportFormat.Csv, "time,event,user_id,mood\n2025-04-01 09:00:00,joined,u1,happy\n");

        Assert.Equal("line 1, column 4", Assert.Single(result.Errors).Where);
    }
}

public sealed class ChatImportTests_Sqlite(SqliteFactory factory) : ChatImportTests(factory), IClassFixture<SqliteFactory>;

public sealed class ChatImportTests_Postgres(PostgresFactory factory) : ChatImportTests(factory), IClassFixture<PostgresFactory>;

/// <summary>The CLI as a user runs it: its own host on a data directory, then the database is checked.</summary>
public sealed class ImportCommandTests
{
    [Fact]
    public async Task ImportCsv_FromCommandLine_StoresEventsAndIsIdempotent()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataDir = Path.Combine(Path.GetTempPath(), "shequn-cli", Guid.NewGuid().ToString("N"));
        var settings = new DatabaseOptions { Provider = DatabaseProvider.Sqlite };
        Guid communityId;
        await using (var db = Context(settings, dataDir))
        {
            await db.Database.MigrateAsync(ct);
            var ws = new Shequn.Features.Workspaces.Workspace { Name = "cli" };
            var community = new Community { WorkspaceId = ws.Id, Name = "微信群", Platform = ChatPlatform.Manual, Capacity = 500 };
            db.Workspaces.Add(ws);
            db.Communities.Add(community);
            await db.SaveChangesAsync(ct);
            communityId = community.Id;
        }
        var file = Path.Combine(dataDir, "chat.csv");
        await File.WriteAllTextAsync(file, ChatImportTests.Csv, ct);
        string[] args = ["import", "csv", file, "--community", communityId.ToString(), "--data-dir", dataDir];

        var first = new StringWriter();
        var second = new StringWriter();
        Assert.Equal(0, await ImportCommand.RunAsync(args, first));
        Assert.Equal(0, await ImportCommand.RunAsync(args, second));
        var broken = new StringWriter();
        await File.WriteAllTextAsync(file, "time,event,user_id\nnot-a-time,joined,u1\n", ct);
        Assert.Equal(1, await ImportCommand.RunAsync(args, broken));

        Assert.Contains("6 new", first.ToString(), StringComparison.Ordinal);
        Assert.Contains("0 new", second.ToString(), StringComparison.Ordinal);
        Assert.Contains("line 2, column time", broken.ToString(), StringComparison.Ordinal);
        await using (var db = Context(settings, dataDir))
        {
            Assert.Equal(6, await db.Set<CommunityEvent>().CountAsync(ct));
            Assert.Equal(1, await db.Memberships.IgnoreQueryFilters().CountAsync(m => m.CommunityId == communityId, ct));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    private static SqliteAppDbContext Context(DatabaseOptions settings, string dataDir)
    {
        var b = new DbContextOptionsBuilder<AppDbContext>();
        DatabaseSetup.Configure(b, settings, dataDir);
        return new SqliteAppDbContext(b.Options, new Shequn.Platform.Auth.CurrentStaff());
    }
}
