using System.Diagnostics;
using Shequn.Tests.Infrastructure;
using Shequn.Tests.Platform;

namespace Shequn.Tests.Bench;

/// <summary>
/// Each in-process benchmark starts and finishes a tiny run, printing its summary line: a benchmark whose host no longer
/// starts (a feature's services missing from its composition, a new dependency of the connectors) fails here, not on
/// the day someone needs its figures. No figure is checked: speed is measured by the benchmarks themselves.
/// </summary>
[LongRunning]
public sealed class BenchSmokeTests
{
    public static TheoryData<string, string, string> Benches => new()
    {
        { "Shequn.Ingest", "--events 500 --rate 500 --latency-seconds 1", "ingest: " },
        { "Shequn.Enforce", "--messages 1000 --rate 200 --seconds 1", "enforce: " },
        { "Shequn.Reactions", "--joins 100 --messages 500", "reactions: " },
        // SQLite only (no --postgres); a two-second window a second after the seeding, so the run stays short.
        { "Shequn.Schedule", "--posts 50 --communities 10 --window 2 --lead 2 --month-communities 5", "schedule: " },
        { "Shequn.Webhook", "--seconds 1 --rate 200", "webhook: " },
        // SQLite only; a workspace small enough to generate in seconds.
        { "Shequn.Analytics", "--communities 20 --members 500 --orders 1000 --days 60 --raw-messages 500 --iterations 5 --warmup 1", "analytics: " },
    };

    [Theory]
    [MemberData(nameof(Benches))]
    public async Task Bench_StartsAndPrintsItsSummary(string name, string arguments, string summary)
    {
        var root = LocalizationTests.RepoRoot();
        var dll = BuildOutput.BenchDll(name);
        if (!File.Exists(dll))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"{dll} was not built.");
            Assert.Skip($"{name} is not built (dotnet build Shequn.slnx).");
        }
        if (name == "Shequn.Webhook" && !OnPath("wrk"))
            Assert.Skip("The webhook benchmark drives its load with wrk, which is not installed (./bench.sh webhook installs it).");

        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // One warm-up round and one measured round (bench/Shared/JitWarmUp.cs): no figure of a smoke run is read.
            Environment = { ["SHEQUN_BENCH_SMOKE"] = "1" },
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout;
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"{name} exited with {process.ExitCode}:\n{Tail(errors)}");
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        Assert.StartsWith(summary, last, StringComparison.Ordinal);
        // A summary of nothing (a bench whose warm-up ate the whole run, as the enforce bench's once did) is a broken bench.
        Assert.DoesNotContain(" 0 messages in ", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", output + errors, StringComparison.Ordinal);
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, tool)));
}
