using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Shequn.Features.Campaigns;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// <see cref="LotteryDraw"/> against its specification in docs/lottery.md: an independent re-implementation written
/// here from the spec, and the doc's own Python snippet run by python3, must both name the same winners.
/// </summary>
public sealed class LotteryDrawTests
{
    private static byte[] FixedSeed(int i) => SHA256.HashData(Encoding.UTF8.GetBytes("lottery-test-seed-" + i.ToString(CultureInfo.InvariantCulture)));

    private static List<string> Entries(int count, int salt = 0) =>
        [.. Enumerable.Range(1, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i + salt:0000} 会员{(char)('甲' + i % 10)}*"))];

    /// <summary>Re-implemented from docs/lottery.md only: (prize index, entry index) per winner.</summary>
    private static List<(int Prize, int Entry)> SpecDraw(byte[] seed, List<string> entries, List<LotteryPrize> prizes)
    {
        var listing = new List<byte>();
        foreach (var e in entries)
        {
            listing.AddRange(Encoding.UTF8.GetBytes(e));
            listing.Add(0x0A);
        }
        var h = SHA256.HashData([.. listing]);
        var pool = new List<int>();
        for (var i = 0; i < entries.Count; i++)
            pool.Add(i);
        var result = new List<(int, int)>();
        long c = 0;
        var two256 = BigInteger.Pow(2, 256);
        for (var p = 0; p < prizes.Count; p++)
        {
            for (var w = 0; w < prizes[p].Count; w++)
            {
                var n = new BigInteger(pool.Count);
                var limit = BigInteger.Divide(two256, n) * n;
                while (true)
                {
                    var counter = new byte[8];
                    for (var b = 0; b < 8; b++)
                        counter[7 - b] = (byte)((c >> (8 * b)) & 0xFF);
                    c++;
                    using var mac = new HMACSHA256(seed);
                    var digest = mac.ComputeHash([.. h, .. counter]);
                    var v = BigInteger.Zero;
                    foreach (var d in digest)
                        v = v * 256 + d;
                    if (v < limit)
                    {
                        var at = (int)BigInteger.Remainder(v, n);
                        result.Add((p, pool[at]));
                        pool.RemoveAt(at);
                        break;
                    }
                }
            }
        }
        return result;
    }

    [Fact]
    public void Draw_ManySeedsAndLists_MatchesIndependentImplementationOfTheSpec()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 200; round++)
        {
            var seed = new byte[32];
            random.NextBytes(seed);
            var entries = Entries(random.Next(1, 60), salt: round * 100);
            var first = random.Next(1, entries.Count + 1);
            var prizes = new List<LotteryPrize> { new("一等奖", first) };
            if (entries.Count > first)
                prizes.Add(new LotteryPrize("二等奖", random.Next(1, entries.Count - first + 1)));

            var engine = LotteryDraw.Draw(seed, entries, prizes);
            var spec = SpecDraw(seed, entries, prizes);

            Assert.Equal(spec, engine.Winners.Select(w => (w.PrizeIndex, w.EntryIndex)).ToList());
            Assert.All(engine.Winners, w => Assert.Equal(entries[w.EntryIndex], w.Entry));
            Assert.All(engine.Winners, w => Assert.Equal(prizes[w.PrizeIndex].Name, w.Prize));
        }
    }

    [Fact]
    public void EntriesHash_IsSha256OfEntriesEachEndedByLineFeed()
    {
        string[] entries = ["0001 张*", "0002 李*"];
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("0001 张*\n0002 李*\n")));

        Assert.Equal(expected, LotteryDraw.EntriesHash(entries));
        Assert.Equal(expected, LotteryDraw.Draw(FixedSeed(1), entries, [new LotteryPrize("奖", 1)]).EntriesHash);
    }

    [Fact]
    public void Draw_PythonSnippetFromThisDoc_AgreesWithEngine()
    {
        var python = FindOnPath("python3");
        if (python is null)
            Assert.Skip("python3 is not on PATH, so the doc's Python snippet cannot be run here.");
        var script = PythonSnippet();
        var dir = Directory.CreateTempSubdirectory("shequn-lottery-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "verify.py"), script, new UTF8Encoding(false));
            for (var round = 0; round < 5; round++)
            {
                var seed = FixedSeed(100 + round);
                var entries = Entries(25 + round * 7, salt: round);
                entries[3] = "0004 🌸小*"; // an emoji in the list must hash the same on both sides
                LotteryPrize[] prizes = [new("一等奖", 1), new("二等奖: 家庭装", 2), new("三等奖", 5)];
                File.WriteAllBytes(Path.Combine(dir.FullName, "entries.txt"), LotteryDraw.CanonicalEntries(entries));

                var start = new ProcessStartInfo(python)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    StandardOutputEncoding = Encoding.UTF8,
                    StandardErrorEncoding = Encoding.UTF8,
                    WorkingDirectory = dir.FullName,
                };
                start.Environment["PYTHONIOENCODING"] = "utf-8";
                foreach (var arg in new[] { "verify.py", LotteryDraw.Commitment(seed), Convert.ToHexString(seed), "entries.txt" })
                    start.ArgumentList.Add(arg);
                foreach (var prize in prizes)
                    start.ArgumentList.Add(prize.Name + ":" + prize.Count.ToString(CultureInfo.InvariantCulture));
                using var process = Process.Start(start)!;
                var output = process.StandardOutput.ReadToEnd();
                var error = process.StandardError.ReadToEnd();
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, "python3 failed: " + error);

                var result = LotteryDraw.Draw(seed, entries, prizes);
                var expected = new StringBuilder().Append(result.EntriesHash).Append('\n');
                foreach (var w in result.Winners)
                    expected.Append(CultureInfo.InvariantCulture, $"{w.Prize}\t{w.EntryIndex}\t{w.Entry}\n");
                Assert.Equal(expected.ToString(), output.Replace("\r\n", "\n", StringComparison.Ordinal));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void PythonSnippet_WrongSeed_IsRefused()
    {
        var python = FindOnPath("python3");
        if (python is null)
            Assert.Skip("python3 is not on PATH, so the doc's Python snippet cannot be run here.");
        var dir = Directory.CreateTempSubdirectory("shequn-lottery-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "verify.py"), PythonSnippet(), new UTF8Encoding(false));
            File.WriteAllBytes(Path.Combine(dir.FullName, "entries.txt"), LotteryDraw.CanonicalEntries(Entries(5)));
            var start = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir.FullName };
            foreach (var arg in new[] { "verify.py", LotteryDraw.Commitment(FixedSeed(1)), Convert.ToHexString(FixedSeed(2)), "entries.txt", "奖:1" })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();

            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains("does not match the commitment", error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Verify_TheCommittedSeed_Passes_AndAnyOtherSeedFails()
    {
        var seed = LotteryDraw.NewSeed();
        var commitment = LotteryDraw.Commitment(seed);
        var other = (byte[])seed.Clone();
        other[31] ^= 1;

        Assert.Equal(32, seed.Length);
        Assert.Matches("^[0-9a-f]{64}$", commitment);
        Assert.True(LotteryDraw.Verify(commitment, seed));
        Assert.True(LotteryDraw.Verify(commitment.ToUpperInvariant(), seed));
        Assert.False(LotteryDraw.Verify(commitment, other));
        Assert.False(LotteryDraw.Verify(commitment, LotteryDraw.NewSeed()));
        Assert.False(LotteryDraw.Verify(commitment[..63], seed));
    }

    [Fact]
    public void Draw_OneEntryChanged_ChangesHashAndWinners()
    {
        var entries = Entries(200);
        var changed = new List<string>(entries) { [57] = entries[57] + "." };
        LotteryPrize[] prizes = [new("一等奖", 3), new("二等奖", 10)];

        var before = LotteryDraw.Draw(FixedSeed(7), entries, prizes);
        var after = LotteryDraw.Draw(FixedSeed(7), changed, prizes);

        Assert.NotEqual(before.EntriesHash, after.EntriesHash);
        Assert.NotEqual(before.Winners.Select(w => w.EntryIndex), after.Winners.Select(w => w.EntryIndex));
    }

    [Fact]
    public void Draw_SameInput_SameWinners()
    {
        var entries = Entries(30);
        LotteryPrize[] prizes = [new("一等奖", 2), new("二等奖", 4)];

        Assert.Equal(LotteryDraw.Draw(FixedSeed(3), entries, prizes).Winners, LotteryDraw.Draw(FixedSeed(3), entries, prizes).Winners);
        Assert.NotEqual(
            LotteryDraw.Draw(FixedSeed(3), entries, prizes).Winners.Select(w => w.EntryIndex),
            LotteryDraw.Draw(FixedSeed(4), entries, prizes).Winners.Select(w => w.EntryIndex));
    }

    [Fact]
    public void Draw_AsManyPrizesAsEntries_EveryEntryWinsExactlyOnce()
    {
        for (var i = 0; i < 50; i++)
        {
            var entries = Entries(1 + i % 17);
            List<LotteryPrize> prizes = [new("一等奖", 1)];
            if (entries.Count > 1)
                prizes.Add(new LotteryPrize("参与奖", entries.Count - 1));

            var result = LotteryDraw.Draw(FixedSeed(i), entries, prizes);

            Assert.Equal(entries.Count, result.Winners.Count);
            Assert.Equal(Enumerable.Range(0, entries.Count), result.Winners.Select(w => w.EntryIndex).Order());
        }
    }

    [Fact]
    public void Draw_NoEntryWinsTwice_AcrossPrizes()
    {
        for (var i = 0; i < 100; i++)
        {
            var result = LotteryDraw.Draw(FixedSeed(i), Entries(12), [new("一等奖", 2), new("二等奖", 3), new("三等奖", 5)]);

            Assert.Equal(10, result.Winners.Count);
            Assert.Equal(10, result.Winners.Select(w => w.EntryIndex).Distinct().Count());
            Assert.Equal(Enumerable.Range(0, 10), result.Winners.Select(w => w.Draw));
            Assert.Equal([0, 0, 1, 1, 1, 2, 2, 2, 2, 2], result.Winners.Select(w => w.PrizeIndex));
        }
    }

    /// <summary>
    /// 2,000 fixed seeds, ten entries, one winner each: the counts are within a chi-square of 9 degrees of freedom far
    /// below 40 (p ≈ 0.00001 for a fair draw). The seeds are fixed, so the figure is the same on every run. The second
    /// prize, drawn from the nine entries left, must be as even over all ten.
    /// </summary>
    [Fact]
    public void Draw_ManyFixedSeeds_EachOfTenEntriesWinsAboutEqually()
    {
        const int Draws = 2000;
        var entries = Entries(10);
        var first = new int[10];
        var second = new int[10];
        for (var i = 0; i < Draws; i++)
        {
            var winners = LotteryDraw.Draw(FixedSeed(i), entries, [new("一等奖", 1), new("二等奖", 1)]).Winners;
            first[winners[0].EntryIndex]++;
            second[winners[1].EntryIndex]++;
        }

        Assert.True(ChiSquare(first, Draws) < 40, "first prize counts: " + string.Join(',', first));
        Assert.True(ChiSquare(second, Draws) < 40, "second prize counts: " + string.Join(',', second));
        Assert.All(first, count => Assert.InRange(count, 120, 280));
    }

    private static double ChiSquare(int[] counts, int total)
    {
        var expected = total / (double)counts.Length;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }

    [Fact]
    public void Validate_MorePrizesThanEntries_NamesPrizes()
    {
        var reason = LotteryDraw.Validate(Entries(3), [new("一等奖", 2), new("二等奖", 2)]);

        Assert.NotNull(reason);
        Assert.StartsWith("prizes:", reason, StringComparison.Ordinal);
        Assert.Contains("4 prizes but only 3 entries", reason, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LotteryDraw.Draw(FixedSeed(1), Entries(3), [new("一等奖", 2), new("二等奖", 2)]));
    }

    [Theory]
    [InlineData(new[] { "0001 张*", "0002 李*", "0001 张*" }, "entries[2]:")]
    [InlineData(new[] { "0001 张*", "" }, "entries[1]:")]
    [InlineData(new[] { "0001 张*", "0002\n李*" }, "entries[1]:")]
    [InlineData(new[] { "0001 张*\r" }, "entries[0]:")]
    [InlineData(new string[0], "entries:")]
    public void Validate_BadEntries_NamesTheEntry(string[] entries, string field)
    {
        var reason = LotteryDraw.Validate(entries, [new("一等奖", 1)]);

        Assert.NotNull(reason);
        Assert.StartsWith(field, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LoneSurrogate_IsRefused()
    {
        Assert.StartsWith("entries[0]:", LotteryDraw.Validate(["0001 \ud83c"], [new("奖", 1)]), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadPrizes_NamesThePrize()
    {
        Assert.StartsWith("prizes:", LotteryDraw.Validate(Entries(3), []), StringComparison.Ordinal);
        Assert.StartsWith("prizes[1]:", LotteryDraw.Validate(Entries(3), [new("一等奖", 1), new("二等奖", 0)]), StringComparison.Ordinal);
        Assert.StartsWith("prizes[0]:", LotteryDraw.Validate(Entries(3), [new(" ", 1)]), StringComparison.Ordinal);
        Assert.Null(LotteryDraw.Validate(Entries(3), [new("一等奖", 1), new("二等奖", 2)]));
    }

    [Fact]
    public void Draw_SeedOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => LotteryDraw.Draw(new byte[16], Entries(3), [new("奖", 1)]));
    }

    /// <summary>The one python code block of docs/lottery.md, exactly as a reader would copy it.</summary>
    private static string PythonSnippet([CallerFilePath] string here = "")
    {
        var doc = File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "..", "docs", "lottery.md"));
        const string Open = "```python\n";
        var start = doc.IndexOf(Open, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/lottery.md has no python block");
        start += Open.Length;
        var end = doc.IndexOf("\n```", start, StringComparison.Ordinal);
        return doc[start..end] + "\n";
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}
