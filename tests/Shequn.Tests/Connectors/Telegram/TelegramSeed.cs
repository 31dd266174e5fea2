using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shequn.Connectors.Telegram;
using Shequn.Data;
using Shequn.Features.ApiTokens;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.KeyRing;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>
/// A database for the built server run as a child process (<c>dotnet Shequn.dll</c>): a workspace with an owner and
/// API token, a connected bot whose token is encrypted with the same key ring the server will read, and Telegram
/// communities linked to chats. Used by the SIGKILL test and the dispatch benchmark (linked into bench/Shequn.Dispatch).
/// </summary>
public sealed class TelegramSeed : IAsyncDisposable
{
    private readonly IHost _host;

    public DatabaseOptions Database { get; }
    public string DataDir { get; }
    public Guid WorkspaceId { get; private set; }
    public string ApiSecret { get; private set; } = "";
    public Dictionary<long, Guid> Communities { get; } = [];

    private TelegramSeed(IHost host, DatabaseOptions database, string dataDir)
    {
        _host = host;
        Database = database;
        DataDir = dataDir;
    }

    public static async Task<TelegramSeed> CreateAsync(DatabaseOptions database, string dataDir, string botToken, IReadOnlyList<long> chatIds, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = dataDir,
            ["Database:Provider"] = database.Provider.ToString(),
            ["Database:ConnectionString"] = database.ConnectionString,
        });
        builder.Services.AddLogging();
        builder.AddShequnDatabase();
        builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
        builder.Services.AddSingleton<TelegramSecrets>();
        var host = builder.Build();
        var seed = new TelegramSeed(host, database, dataDir);
        await DatabaseSetup.MigrateAsync(host.Services, ct);
        await seed.FillAsync(botToken, chatIds, ct);
        return seed;
    }

    private async Task FillAsync(string botToken, IReadOnlyList<long> chatIds, CancellationToken ct)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var secrets = scope.ServiceProvider.GetRequiredService<TelegramSecrets>();
        var ws = new Workspace { Name = "telegram-" + Guid.NewGuid().ToString("N")[..6] };
        db.Current.ActAsSystem(ws.Id);
        var email = $"owner-{ws.Id:N}@tg.test";
        var owner = new StaffUser
        {
            WorkspaceId = ws.Id, UserName = email, NormalizedUserName = email.ToUpperInvariant(), Email = email,
            NormalizedEmail = email.ToUpperInvariant(), DisplayName = "Owner", Role = StaffRole.Owner, SecurityStamp = Guid.NewGuid().ToString(),
        };
        ApiSecret = ApiToken.NewSecret();
        db.Workspaces.Add(ws);
        db.Users.Add(owner);
        db.ApiTokens.Add(ApiToken.Issue(ws.Id, owner.Id, "telegram", ApiSecret));
        var botId = long.Parse(botToken[..botToken.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        db.Set<TelegramBot>().Add(new TelegramBot
        {
            WorkspaceId = ws.Id,
            BotUserId = botId,
            Username = $"bot{botId}",
            ProtectedToken = secrets.Protect(botToken),
            ProtectedWebhookSecret = secrets.Protect("hook-" + botId),
            Mode = TelegramUpdateMode.Polling,
        });
        foreach (var chatId in chatIds)
        {
            var community = new Community { WorkspaceId = ws.Id, Name = "电报群 " + chatId, Platform = ChatPlatform.Telegram, Capacity = 200000 };
            db.Communities.Add(community);
            db.Set<PlatformChat>().Add(new PlatformChat { WorkspaceId = ws.Id, Platform = ChatPlatform.Telegram, ChatId = chatId.ToString(CultureInfo.InvariantCulture), CommunityId = community.Id });
            Communities[chatId] = community.Id;
        }
        await db.SaveChangesWithoutAuditAsync(ct);
        WorkspaceId = ws.Id;
    }

    /// <summary>Writes queued actions straight into the outbox (the benchmark's 100,000), in chunks.</summary>
    public async Task QueueAsync(IEnumerable<(long ChatId, ActionKind Kind, ActionPayload Payload)> actions, CancellationToken ct)
    {
        foreach (var chunk in actions.Chunk(5000))
        {
            await using var scope = _host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(WorkspaceId);
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var (chatId, kind, payload) in chunk)
                db.Set<OutboundAction>().Add(OutboundAction.Create(WorkspaceId, Communities[chatId], kind, payload, "seed:" + Guid.CreateVersion7().ToString("N")));
            await db.SaveChangesWithoutAuditAsync(ct);
        }
    }

    /// <summary>A context on the seeded database, for reading results.</summary>
    public AppDbContext Context()
    {
        var scope = _host.Services.CreateScope(); // holds only the acting identity; the caller disposes the context
        var db = scope.ServiceProvider.GetRequiredService<AppDbContextFactory>().CreateDbContext();
        db.Current.ActAsSystem(WorkspaceId);
        return db;
    }

    /// <summary>Starts the built server on <paramref name="port"/> with this database and the extra settings (environment variables).</summary>
    public async Task<Process> StartServerAsync(string dll, int port, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        dll = Path.GetFullPath(dll);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", DataDir },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Database__Provider"] = Database.Provider.ToString();
        start.Environment["Database__ConnectionString"] = Database.ConnectionString ?? "";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && errors.Count < 50)
                errors.Enqueue(line);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the server exited with {process.ExitCode}: {string.Join(Environment.NewLine, errors)}");
            try
            {
                if ((await probe.GetAsync("/health", ct)).IsSuccessStatusCode)
                    return process;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(200, ct);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("the server did not become healthy within 90 s");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        _host.Dispose();
        return ValueTask.CompletedTask;
    }
}
