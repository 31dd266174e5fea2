using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using nietras.SeparatedValues;
using Shequn.Features.Campaigns;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// <see cref="SignupChainParser"/> on signup-chains/*.txt: chat sequences written for it, each ending in the clean list
/// it must produce. A fixture is a description, then messages (">>> seq sender", "?" before the name for a sender
/// without a member id, then the text), then "=== expect" and the list as <see cref="Render"/> writes it.
/// </summary>
public sealed class SignupChainParserTests
{
    public sealed record Fixture(string Name, string Description, List<ChainMessage> Messages, string Expected);

    private static readonly DateTime Start = new(2026, 5, 1, 8, 0, 0, DateTimeKind.Utc);

    /// <summary>A stable member id per display name, so fixtures need not spell out Guids.</summary>
    public static Guid MemberId(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));

    private static string Directory([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "signup-chains");

    public static IEnumerable<TheoryDataRow<string>> FixtureNames() =>
        System.IO.Directory.GetFiles(Directory(), "*.txt").Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(n => new TheoryDataRow<string>(n!));

    public static Fixture Load(string name)
    {
        var lines = File.ReadAllText(Path.Combine(Directory(), name)).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var description = new StringBuilder();
        var messages = new List<ChainMessage>();
        var expected = new StringBuilder();
        (long Seq, string Sender)? current = null;
        var text = new List<string>();
        var expecting = false;

        void Flush()
        {
            if (current is not { } c)
                return;
            var anonymous = c.Sender.StartsWith('?');
            var display = anonymous ? c.Sender[1..] : c.Sender;
            messages.Add(new ChainMessage(c.Seq, anonymous ? null : MemberId(display), display, Start.AddMinutes(c.Seq), string.Join('\n', text).Trim('\n')));
            text.Clear();
            current = null;
        }

        foreach (var line in lines)
        {
            if (expecting)
            {
                if (line.Trim().Length > 0)
                    expected.Append(line.TrimEnd()).Append('\n');
            }
            else if (line.StartsWith(">>> ", StringComparison.Ordinal))
            {
                Flush();
                var parts = line[4..].Split(' ', 2);
                current = (long.Parse(parts[0], CultureInfo.InvariantCulture), parts[1].Trim());
            }
            else if (line == "=== expect")
            {
                Flush();
                expecting = true;
            }
            else if (current is null)
                description.Append(line).Append(' ');
            else
                text.Add(line);
        }
        Assert.True(expecting, name + " has no === expect block");
        return new Fixture(name, description.ToString().Trim(), messages, expected.ToString());
    }

    /// <summary>The clean lists as text: one "chain:" line per chain, its entries, then its withdrawals ("- ").</summary>
    public static string Render(IReadOnlyList<SignupChain> chains)
    {
        if (chains.Count == 0)
            return "(no chains)\n";
        var text = new StringBuilder();
        foreach (var chain in chains)
        {
            text.Append(CultureInfo.InvariantCulture, $"chain: {chain.Title} | started {chain.StartSeq} by {chain.StartedByName}\n");
            foreach (var e in chain.Entries)
            {
                text.Append(CultureInfo.InvariantCulture, $"{e.Position}. {e.Name} | {e.Note} | by {e.AddedByName} | seq {e.FirstSeq}");
                if (e.UpdatedSeq != e.FirstSeq)
                    text.Append(CultureInfo.InvariantCulture, $" | updated {e.UpdatedSeq}");
                text.Append('\n');
            }
            foreach (var w in chain.Withdrawals)
                text.Append(CultureInfo.InvariantCulture, $"- {w.Name} | {w.Note} | by {w.AddedByName} | {w.Form} by {w.WithdrawnByName} at {w.Seq}\n");
        }
        return string.Join('\n', text.ToString().Split('\n').Select(l => l.TrimEnd()));
    }

    [Fact]
    public void Fixtures_AtLeastTwelve_EachWithMessagesAndADescription()
    {
        var names = FixtureNames().Select(r => r.Data).ToList();

        Assert.True(names.Count >= 12, $"{names.Count} fixtures");
        foreach (var name in names)
        {
            var fixture = Load(name);
            Assert.NotEmpty(fixture.Messages);
            Assert.NotEmpty(fixture.Description);
            Assert.NotEmpty(fixture.Expected);
        }
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Parse_Fixture_GivesTheExpectedCleanList(string name)
    {
        var fixture = Load(name);

        var chains = SignupChainParser.Parse(fixture.Messages);

        Assert.Equal(fixture.Expected, Render(chains));
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Parse_FixtureInAnyArrivalOrder_SameList(string name)
    {
        var fixture = Load(name);
        var expected = Render(SignupChainParser.Parse(fixture.Messages));

        for (var i = 0; i < 5; i++)
        {
            var shuffled = fixture.Messages.ToArray();
            new Random(i).Shuffle(shuffled);
            Assert.Equal(expected, Render(SignupChainParser.Parse(shuffled)));
        }
    }

    /// <summary>
    /// Simulated busy chains: each member copies one of the last few versions (so many copies are concurrent or stale),
    /// renumbers it, adds their line and posts; some later send 取消接龙. The clean list must be exactly the lines
    /// added, minus the withdrawn, in the order they were first posted.
    /// </summary>
    [Fact]
    public void Parse_SimulatedConcurrentCopiesAndWithdrawals_KeepsEveryLineOnce()
    {
        for (var round = 0; round < 50; round++)
        {
            var random = new Random(round);
            var messages = new List<ChainMessage>();
            var versions = new List<List<string>> { new() { "发起人 1人" } };
            var expected = new List<string> { "发起人 1人" };
            long seq = 1;
            messages.Add(new ChainMessage(seq, MemberId("发起人"), "发起人", Start, "#接龙 周六团购\n1. 发起人 1人"));
            var joined = new List<string>();
            for (var m = 0; m < 40; m++)
            {
                var name = "成员" + m.ToString(CultureInfo.InvariantCulture);
                if (joined.Count > 0 && random.Next(5) == 0)
                {
                    var leaving = joined[random.Next(joined.Count)];
                    joined.Remove(leaving);
                    expected.RemoveAll(l => l.StartsWith(leaving + " ", StringComparison.Ordinal));
                    messages.Add(new ChainMessage(++seq, MemberId(leaving), leaving, Start, "取消接龙"));
                }
                var basis = versions[Math.Max(0, versions.Count - 1 - random.Next(3))];
                var line = $"{name} {random.Next(1, 4)}人";
                var copy = new List<string>(basis) { line };
                versions.Add(copy);
                expected.Add(line);
                joined.Add(name);
                var text = "#接龙 周六团购\n" + string.Join('\n', copy.Select((l, i) => $"{i + 1}{(i % 2 == 0 ? "." : "、")} {l}"));
                messages.Add(new ChainMessage(++seq, MemberId(name), name, Start, text));
            }

            var chain = Assert.Single(SignupChainParser.Parse(messages));

            Assert.Equal(expected, chain.Entries.Select(e => e.Name + " " + e.Note));
        }
    }

    [Fact]
    public void Parse_Entries_CarryTheAddingMembersId()
    {
        var chain = Assert.Single(SignupChainParser.Parse(Load("02-copies.txt").Messages));

        Assert.Equal(MemberId("张三"), chain.Entries[0].AddedBy);
        Assert.Equal(MemberId("李四"), chain.Entries[1].AddedBy);
        Assert.Null(chain.Entries[4].AddedBy); // 钱七 posted without a member id
        Assert.Equal(MemberId("张三"), chain.StartedBy);
        Assert.Equal(Enumerable.Range(1, 5), chain.Entries.Select(e => e.Position));
    }

    [Fact]
    public void Parse_Header_IsTheStartersLinesBeforeTheList()
    {
        var chain = Assert.Single(SignupChainParser.Parse(Load("01-starter.txt").Messages));

        Assert.Equal("#接龙 周六亲子烘焙\n时间:周六14:00-16:00\n地点:3栋活动室,每户限2人", chain.Header);
    }

    [Fact]
    public void Parse_TitleAboveABareMarker_IsTheTitle()
    {
        ChainMessage[] messages =
        [
            new(1, MemberId("张三"), "张三", Start, "周六烘焙报名\n#接龙\n1. 张三"),
            new(2, MemberId("李四"), "李四", Start, "周六烘焙报名\n1. 张三\n2. 李四"),
        ];

        var chain = Assert.Single(SignupChainParser.Parse(messages));

        Assert.Equal("周六烘焙报名", chain.Title);
        Assert.Equal(["张三", "李四"], chain.Entries.Select(e => e.Name));
    }

    [Fact]
    public void Parse_NoMessages_NoChains()
    {
        Assert.Empty(SignupChainParser.Parse([]));
        Assert.Empty(SignupChainParser.Parse([new ChainMessage(1, null, "张三", Start, "  ")]));
    }

    [Fact]
    public void Parse_SelfWithdrawalForms_AllRecognised()
    {
        foreach (var form in new[] { "取消接龙", "取消报名", "我取消", "取消", "我退出", "退出接龙", "我要退出了", "退出", "我不去了", "本人退出接龙", "不参加了", "取消接龙[捂脸]", "取消了。" })
        {
            ChainMessage[] messages =
            [
                new(1, MemberId("张三"), "张三", Start, "#接龙 周六烘焙\n1. 张三\n2. 李四"),
                new(2, MemberId("李四"), "李四", Start, form),
            ];

            var chain = Assert.Single(SignupChainParser.Parse(messages));

            Assert.Equal(["张三"], chain.Entries.Select(e => e.Name));
            Assert.Equal(ChainWithdrawalForm.Message, Assert.Single(chain.Withdrawals).Form);
        }
    }

    [Fact]
    public void Parse_NamedWithdrawalForms_AllRecognised()
    {
        foreach (var form in new[] { "-李四", "－李四", "— 李四", "李四 取消", "李四取消了", "李四退出", "取消 李四", "退出李四", "李四 1人 取消" })
        {
            ChainMessage[] messages =
            [
                new(1, MemberId("张三"), "张三", Start, "#接龙 周六烘焙\n1. 张三\n2. 李四 1人"),
                new(2, MemberId("李四"), "李四", Start, form),
            ];

            var chain = Assert.Single(SignupChainParser.Parse(messages));

            Assert.Equal(["张三"], chain.Entries.Select(e => e.Name));
        }
    }

    [Fact]
    public void Export_Csv_HasEntriesThenWithdrawals_DefusedAndQuoted()
    {
        var chain = SignupChainParser.Parse(Load("07-withdraw-messages.txt").Messages).Single();
        ChainMessage[] extra =
        [
            new(1, MemberId("张三"), "张三", Start, "#接龙 周六烘焙\n1. 张三 带2个孩子, 1位老人\n2. 李四 =1+1"),
        ];
        var quoted = SignupChainParser.Parse(extra).Single();

        var rows = ReadCsv(SignupChainExport.Csv(chain));
        var quotedRows = ReadCsv(SignupChainExport.Csv(quoted));

        Assert.Equal(5, rows.Count);
        Assert.Equal(["1", "赵六", "", "joined"], rows[0][..4]);
        Assert.Equal("withdrawn", rows[3][3]);
        Assert.Equal("'+1", rows[3][2]); // 钱七's note would be a formula in a spreadsheet
        Assert.Equal("钱七", rows[3][8]);
        Assert.Equal("68", rows[3][9]);
        Assert.Equal("带2个孩子, 1位老人", quotedRows[0][2]);
        Assert.Equal("'=1+1", quotedRows[1][2]);
        Assert.Equal(MemberId("张三").ToString(), quotedRows[0][5]);
    }

    [Fact]
    public void Export_EmptyChain_StillNamesItsColumns()
    {
        var chain = new SignupChain("周六烘焙", "#接龙 周六烘焙", 1, null, "张三", [], []);

        var csv = SignupChainExport.Csv(chain);

        Assert.Equal(Encoding.UTF8.GetPreamble(), csv[..3]);
        Assert.Equal(string.Join(',', SignupChainExport.Columns), Encoding.UTF8.GetString(csv[3..]).TrimEnd());
    }

    private static List<string[]> ReadCsv(byte[] csv)
    {
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true })
            .From(new StreamReader(new MemoryStream(csv), Encoding.UTF8));
        Assert.Equal(SignupChainExport.Columns, reader.Header.ColNames.ToArray());
        var rows = new List<string[]>();
        foreach (var row in reader)
        {
            var cells = new string[SignupChainExport.Columns.Length];
            for (var i = 0; i < cells.Length; i++)
                cells[i] = row[SignupChainExport.Columns[i]].ToString();
            rows.Add(cells);
        }
        return rows;
    }
}
