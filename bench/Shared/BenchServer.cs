using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shequn.Data;

namespace Shequn.Bench;

/// <summary>
/// What the HTTP benchmarks share: the built server started as a user runs it (a separate process on a free port, this
/// database), a context on the seeded database for the checks afterwards, and wrk on loopback with its figures read back.
/// </summary>
internal static class BenchServer
{
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts the built server with this database and waits for /health.</summary>
    public static async Task<(Process Process, int Port)> StartAsync(string dll, string dataDir, DatabaseOptions database, string keySecret,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        dll = Path.GetFullPath(dll);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Database__Provider"] = database.Provider.ToString();
        start.Environment["Database__ConnectionString"] = database.ConnectionString ?? "";
        start.Environment["DataProtection__KeyEncryptionSecret"] = keySecret;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(start)!;
        var errors = new ConcurrentQueue<string>();
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
                if ((await probe.GetAsync("/health")).IsSuccessStatusCode)
                    return (process, port);
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("the server did not answer /health within 90 s");
    }

    public static async Task StopAsync(Process process)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>A fresh context on a seeded database: the checks read through EF as the app does.</summary>
    public static async Task<T> ReadAsync<T>(DatabaseOptions database, string dataDir, Func<AppDbContext, Task<T>> read)
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
        using var h = builder.Build();
        await using var scope = h.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    public static async Task<string> WrkAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    /// <summary>A latency percentile from wrk's --latency table, in ms.</summary>
    public static double Ms(string output, string label)
    {
        var m = Regex.Match(output, $@"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success)
            return double.NaN;
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    public static double Rate(string output) => double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>Requests wrk saw completed.</summary>
    public static long Completed(string output) => long.Parse(Regex.Match(output, @"(\d+) requests in").Groups[1].Value, CultureInfo.InvariantCulture);

    public static long Errors(string output)
    {
        long sum = 0;
        var socket = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        if (socket.Success)
            sum += Enumerable.Range(1, 4).Sum(i => long.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture));
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)");
        if (non2xx.Success)
            sum += long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        return sum;
    }

    public static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
