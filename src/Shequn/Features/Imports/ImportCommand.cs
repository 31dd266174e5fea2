using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Platform.KeyRing;

namespace Shequn.Features.Imports;

/// <summary>
/// <c>import telegram|csv FILE --community ID [--utc-offset +08:00]</c>, plus the usual host switches
/// (--data-dir, --Database:Provider …). Exit code 0: imported (or nothing new); 1: the file was refused, nothing
/// imported; 2: wrong usage or unknown community.
/// </summary>
public static class ImportCommand
{
    public const string Usage = "usage: import telegram|csv FILE --community ID [--utc-offset +08:00] [--data-dir DIR]";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        if (args.Length < 3 || !Enum.TryParse<ChatImportFormat>(args[1], ignoreCase: true, out var format) || !Enum.IsDefined(format))
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }
        var file = args[2];
        var rest = args.Skip(3).ToList();
        Guid? communityId = null;
        TimeSpan? offset = null;
        var hostArgs = new List<string>();
        for (var i = 0; i < rest.Count; i++)
        {
            if (rest[i] == "--community" && i + 1 < rest.Count && Guid.TryParse(rest[i + 1], out var id))
                (communityId, i) = (id, i + 1);
            else if (rest[i] == "--utc-offset" && i + 1 < rest.Count
                && TimeSpan.TryParse(rest[i + 1].TrimStart('+'), CultureInfo.InvariantCulture, out var o))
                (offset, i) = (o, i + 1);
            else
                hostArgs.Add(rest[i]);
        }
        if (communityId is null)
        {
            await output.WriteLineAsync(Usage);
            return 2;
        }
        if (!File.Exists(file))
        {
            await output.WriteLineAsync($"{file}: no such file (looked for {Path.GetFullPath(file)})");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder([.. hostArgs]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddShequnDatabase();
        // The import runs the events pipeline, whose connectors decrypt platform secrets with the shared key ring.
        var dataDir = DataDirectory.Resolve(builder.Configuration);
        Directory.CreateDirectory(dataDir);
        builder.Services.AddShequnKeyRing(builder.Configuration, dataDir);
        builder.AddShequnEvents();
        using var host = builder.Build();
        await DatabaseSetup.MigrateAsync(host.Services);
        await host.StartAsync();
        try
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var workspace = await db.Communities.IgnoreQueryFilters().Where(c => c.Id == communityId).Select(c => (Guid?)c.WorkspaceId).SingleOrDefaultAsync();
            if (workspace is null)
            {
                await output.WriteLineAsync($"community {communityId} not found");
                return 2;
            }
            db.Current.ActAsSystem(workspace.Value);
            var importer = scope.ServiceProvider.GetRequiredService<ChatImporter>();
            var community = (await importer.FindCommunityAsync(communityId.Value, default))!;
            await using var stream = File.OpenRead(file);
            var lastPercent = -1;
            var progress = new SynchronousProgress(p =>
            {
                var percent = p.Total == 0 ? 100 : p.Done * 100 / p.Total;
                if (percent / 10 != lastPercent / 10)
                    output.WriteLine($"  {p.Done:N0} / {p.Total:N0} events stored");
                lastPercent = percent;
            });
            var result = await importer.ImportAsync(community, format, stream, offset, progress, default);
            if (result.Rejected)
            {
                await output.WriteLineAsync($"{file} was not imported (nothing was stored):");
                foreach (var e in result.Errors)
                    await output.WriteLineAsync("  " + e);
                return 1;
            }
            await host.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(default);
            await output.WriteLineAsync($"Imported {file} into {community.Name}: {result.Events:N0} events, {result.Accepted:N0} new, {result.Duplicates:N0} already there.");
            return 0;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed class SynchronousProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
