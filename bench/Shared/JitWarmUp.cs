using System.Diagnostics;

namespace Shequn.Bench;

/// <summary>
/// Runs warm-up rounds until the JIT has settled, so that a bench measures the steady state a long-running server is
/// in. Tiered compilation runs new code unoptimised first and recompiles the hot part on a background thread over the
/// first tens of seconds of a process: a phase measured then pays for both, and whichever phase runs first pays most.
/// Settled: a round compiled fewer than 1 % more methods than had been compiled before it.
/// </summary>
public static class JitWarmUp
{
    public sealed record Outcome(int Rounds, TimeSpan Elapsed, long Compiled, long LastRound, bool Settled)
    {
        public override string ToString() =>
            $"warm-up: {Rounds} round(s) in {Elapsed.TotalSeconds:0} s, {Compiled:N0} methods compiled, " +
            (Settled ? $"settled (the last round compiled {LastRound:N0})" : $"not settled (the last round still compiled {LastRound:N0}; each new host compiles its own queries)");
    }

    /// <summary>
    /// Set (<c>SHEQUN_BENCH_SMOKE=1</c>) when the test suite only checks that a bench starts and prints its summary: one
    /// warm-up round and one measured round, since no figure of a smoke run is read.
    /// </summary>
    public static bool Smoke { get; } = Environment.GetEnvironmentVariable("SHEQUN_BENCH_SMOKE") == "1";

    /// <summary>Measured rounds: <paramref name="rounds"/>, or one in a smoke run.</summary>
    public static int Rounds(int rounds) => Smoke ? 1 : rounds;

    public static async Task<Outcome> UntilSettledAsync(Func<int, Task> round, int maxRounds = 10)
    {
        if (Smoke)
            maxRounds = 1;
        var clock = Stopwatch.StartNew();
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        for (var i = 1; ; i++)
        {
            await round(i);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            var grown = now - compiled;
            var settled = grown < compiled / 100;
            compiled = now;
            if (settled || i == maxRounds)
                return new Outcome(i, clock.Elapsed, compiled, grown, settled);
        }
    }
}
