using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Shequn.Features.Campaigns;

/// <summary>One group-chat message as the 接龙 parser sees it: its event sequence number, sender and text.</summary>
public sealed record ChainMessage(long Seq, Guid? MemberId, string DisplayName, DateTime At, string Text);

/// <summary>A line of the clean list: its position (1-based, in order of first appearance), the name and the rest of
/// the line, who first posted it, the message it first appeared in, and the message that last changed it.</summary>
public sealed record ChainEntry(int Position, string Name, string Note, Guid? AddedBy, string AddedByName, long FirstSeq, long UpdatedSeq);

public enum ChainWithdrawalForm
{
    /// <summary>The line's owner posted the list without it.</summary>
    RemovedFromCopy = 0,

    /// <summary>A message such as 取消接龙 or -张三.</summary>
    Message = 1,
}

/// <summary>A line taken off the list: the line as it last stood, who added it, and who withdrew it when and how.</summary>
public sealed record ChainWithdrawal(
    string Name, string Note, Guid? AddedBy, string AddedByName, long FirstSeq,
    Guid? WithdrawnBy, string WithdrawnByName, long Seq, ChainWithdrawalForm Form);

/// <summary>One 接龙 as a clean list: its title (the chain's identity), the header of the message that started it,
/// who started it, the current entries and the withdrawals.</summary>
public sealed record SignupChain(
    string Title, string Header, long StartSeq, Guid? StartedBy, string StartedByName,
    IReadOnlyList<ChainEntry> Entries, IReadOnlyList<ChainWithdrawal> Withdrawals);

/// <summary>
/// Turns a group's messages into clean 接龙 (signup chain) lists. Members copy the whole list, add a line and post it,
/// so the chat holds many overlapping versions; the numbers in them are not identity (two people copying the same
/// version both post a line "5."). A line is identified by its content: the name (first word) and the rest, with spaces
/// and full-width forms (NFKC) ignored. Rules, all documented in docs/signup-chains.md:
/// <list type="bullet">
/// <item>A message belongs to a chain when it has numbered lines (1. 1、 1) (1) １． 1 name) and either a 接龙 marker
/// in the lines before them, or a title that names a known chain, or (no title) mostly lines that chain already has.
/// The title is the marker line's text without the marker, else the next line, else a line above the marker.</item>
/// <item>A new line is added by the sender; the same content again is the same entry; a new line with the same name as
/// a line the sender owns changes that line (张三 1人 → 张三 2人).</item>
/// <item>A sender owns a line they added, or whose name is their display name. Only the owner removes a line: by
/// posting the list without it (unless the copy is evidently older than the line), or by a withdrawal message
/// (取消接龙, 我退出, -张三, 张三 取消). A stale copy missing other people's lines removes nothing.</item>
/// </list>
/// Deterministic: messages are taken in sequence order. Pure.
/// </summary>
public static partial class SignupChainParser
{
    private sealed class Item
    {
        public required string Name;
        public required string Note;
        public required string NameKey;
        public required Guid? AddedBy;
        public required string AddedByName;
        public required long FirstSeq;
        public required long UpdatedSeq;
        public required (long Seq, int Line) Order;
        public ChainWithdrawal? Withdrawn;
    }

    private sealed class Chain
    {
        public required string TitleKey;
        public required string Title;
        public required string Header;
        public required ChainMessage Starter;
        public long LastSeq;
        public readonly List<Item> Items = [];
        public readonly Dictionary<string, Item> ByKey = new(StringComparer.Ordinal);
    }

    private sealed record Line(string Name, string Note, string NameKey, string Key);

    private sealed record Parsed(List<string> Header, List<Line> Lines, bool Marker, bool StartsWithMarker, string Title, string TitleKey);

    /// <summary>Every chain found in <paramref name="messages"/>, in the order they started.</summary>
    public static IReadOnlyList<SignupChain> Parse(IEnumerable<ChainMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var chains = new List<Chain>();
        foreach (var message in messages.OrderBy(m => m.Seq))
        {
            if (string.IsNullOrWhiteSpace(message.Text))
                continue;
            var parsed = Read(message.Text);
            if (parsed.Lines.Count == 0)
            {
                if (Withdraw(chains, message))
                    continue;
                if (parsed.StartsWithMarker && parsed.TitleKey.Length > 0 && chains.TrueForAll(c => c.TitleKey != parsed.TitleKey))
                    chains.Add(NewChain(parsed, message)); // announced before anyone (even the starter) signed
                continue;
            }
            var chain = Resolve(chains, parsed);
            if (chain is null && parsed.Marker)
                chains.Add(chain = NewChain(parsed, message));
            if (chain is not null)
                Apply(chain, message, parsed.Lines);
        }
        return [.. chains.Select(Result)];
    }

    private static Chain NewChain(Parsed parsed, ChainMessage message) => new()
    {
        TitleKey = parsed.TitleKey,
        Title = parsed.Title,
        Header = string.Join('\n', parsed.Header),
        Starter = message,
        LastSeq = message.Seq,
    };

    private static Chain? Resolve(List<Chain> chains, Parsed parsed)
    {
        if (parsed.TitleKey.Length > 0 && chains.Find(c => c.TitleKey == parsed.TitleKey) is { } named)
            return named;
        if (parsed.TitleKey.Length > 0 && parsed.Marker)
            return null; // a marked list with a new title is a new chain
        // no title, or an unknown title without a marker: a copy whose header was dropped or changed, if its lines are known
        Chain? best = null;
        var bestCount = 0;
        foreach (var chain in chains)
        {
            var known = parsed.Lines.Count(l => chain.ByKey.ContainsKey(l.Key));
            if (known > bestCount || (known == bestCount && best is not null && chain.LastSeq > best.LastSeq))
                (best, bestCount) = (chain, known);
        }
        var needed = parsed.TitleKey.Length > 0 ? 2 : 1;
        return bestCount >= needed && bestCount * 2 >= parsed.Lines.Count ? best : null;
    }

    private static void Apply(Chain chain, ChainMessage message, List<Line> lines)
    {
        var starting = chain.Items.Count == 0 && chain.Starter.Seq == message.Seq;
        var sender = Key(message.DisplayName);
        chain.LastSeq = message.Seq;
        var present = new HashSet<Item>();
        var added = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (!seen.Add(line.Key))
                continue; // the same line twice in one message
            if (chain.ByKey.TryGetValue(line.Key, out var known))
            {
                if (known.Withdrawn is null)
                    present.Add(known);
                else if (Owns(message, sender, known) && i == lines.Count - 1 && message.Seq > known.Withdrawn.Seq)
                {
                    // the owner signs again at the end of a copy: back on the list, at the end
                    known.Withdrawn = null;
                    known.Order = (message.Seq, i);
                    known.UpdatedSeq = message.Seq;
                    present.Add(known);
                }
                continue; // otherwise a copy older than the withdrawal: the line stays withdrawn
            }
            var own = chain.Items.Where(e => e.Withdrawn is null && e.NameKey == line.NameKey && Owns(message, sender, e))
                .OrderBy(e => present.Contains(e)).ThenBy(e => e.Order).FirstOrDefault();
            if (own is not null)
            {
                own.Name = line.Name;
                own.Note = line.Note;
                own.UpdatedSeq = message.Seq;
                chain.ByKey[line.Key] = own;
                present.Add(own);
                continue;
            }
            var item = new Item
            {
                Name = line.Name, Note = line.Note, NameKey = line.NameKey,
                AddedBy = message.MemberId, AddedByName = message.DisplayName,
                FirstSeq = message.Seq, UpdatedSeq = message.Seq, Order = (message.Seq, i),
            };
            chain.Items.Add(item);
            chain.ByKey[line.Key] = item;
            present.Add(item);
            added++;
        }
        if (starting)
            return;
        foreach (var item in chain.Items)
        {
            if (item.Withdrawn is not null || present.Contains(item) || item.FirstSeq >= message.Seq || !Owns(message, sender, item))
                continue;
            // a copy made before this line existed (it adds a line but has nothing newer) is stale, not a withdrawal
            var newer = present.Any(o => o.FirstSeq < message.Seq && o.Order.CompareTo(item.Order) > 0);
            if (added > 0 && !newer)
                continue;
            item.Withdrawn = new ChainWithdrawal(item.Name, item.Note, item.AddedBy, item.AddedByName, item.FirstSeq,
                message.MemberId, message.DisplayName, message.Seq, ChainWithdrawalForm.RemovedFromCopy);
        }
    }

    /// <summary>A one-line withdrawal message. Returns whether the message was one (even if nothing matched it).</summary>
    private static bool Withdraw(List<Chain> chains, ChainMessage message)
    {
        var text = Normalize(message.Text).Trim();
        if (text.Contains('\n', StringComparison.Ordinal))
            return false;
        text = TrailingNoise().Replace(Sticker().Replace(text, ""), "");
        var sender = Key(message.DisplayName);
        Func<Item, bool> target;
        if (SelfWithdrawal().IsMatch(text))
        {
            target = e => e.NameKey == sender || SameSender(message, e);
        }
        else if (NamedWithdrawal().Match(text) is { Success: true } m)
        {
            var name = Key(m.Groups["name"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
            target = e => e.NameKey == name && Owns(message, sender, e);
        }
        else
            return false;

        // a self withdrawal names the member's own line when there is one, else every line they added
        List<Item> Targets(Chain c)
        {
            var candidates = c.Items.Where(e => e.Withdrawn is null && target(e)).ToList();
            var named = candidates.Where(e => e.NameKey == sender).ToList();
            return named.Count > 0 ? named : candidates;
        }
        var chain = chains.Where(c => Targets(c).Count > 0).OrderByDescending(c => c.LastSeq).FirstOrDefault();
        if (chain is null)
            return true;
        foreach (var item in Targets(chain))
            item.Withdrawn = new ChainWithdrawal(item.Name, item.Note, item.AddedBy, item.AddedByName, item.FirstSeq,
                message.MemberId, message.DisplayName, message.Seq, ChainWithdrawalForm.Message);
        chain.LastSeq = message.Seq;
        return true;
    }

    private static bool SameSender(ChainMessage message, Item item) =>
        message.MemberId is { } id ? item.AddedBy == id : item.AddedBy is null && item.AddedByName == message.DisplayName;

    private static bool Owns(ChainMessage message, string senderKey, Item item) => SameSender(message, item) || item.NameKey == senderKey;

    private static Parsed Read(string text)
    {
        var header = new List<string>();
        var lines = new List<Line>();
        foreach (var raw in Normalize(text).Split('\n'))
        {
            var line = Spaces().Replace(raw, " ").Trim();
            if (line.Length == 0)
                continue;
            if (Numbered().Match(line) is { Success: true } m)
            {
                var content = m.Groups["content"].Value.Trim();
                if (content.Length > 0)
                    lines.Add(Split(content)); // an empty "3." is a slot left for the next person
                continue;
            }
            if (lines.Count == 0)
                header.Add(line); // text after the list (a footnote) is not part of the header
        }
        var markerAt = header.FindIndex(h => h.Contains("接龙", StringComparison.Ordinal));
        var title = "";
        var titleKey = "";
        // the marker line's own text, then the lines after it, then (a title put above the marker) the lines before it
        var order = Enumerable.Range(Math.Max(0, markerAt), header.Count - Math.Max(0, markerAt)).Concat(Enumerable.Range(0, Math.Max(0, markerAt)));
        foreach (var i in order)
        {
            title = i == markerAt ? Marker().Replace(header[i], " ").Trim() : header[i];
            titleKey = TitleKey(title);
            if (titleKey.Length > 0)
                break;
        }
        if (titleKey.Length == 0)
            title = "";
        var starts = header.Count > 0 && LeadingMarker().IsMatch(header[0]);
        return new Parsed(header, lines, markerAt >= 0, starts, title, titleKey);
    }

    private static Line Split(string content)
    {
        string name, note;
        var space = content.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0)
            (name, note) = (content[..space], content[(space + 1)..]);
        else if (Glued().Match(content) is { Success: true } g)
            (name, note) = (g.Groups["name"].Value, g.Groups["note"].Value); // 张三2人, 张三+1
        else
            (name, note) = (content, "");
        var nameKey = Key(name);
        return new Line(name, note, nameKey, nameKey + "\u0001" + Key(note));
    }

    /// <summary>
    /// NFKC folds full-width digits, letters and punctuation (１．, （1）, ＃) into their ASCII forms; before it, circled
    /// numbers (①) and keycap emoji (1️⃣) become "1." because NFKC would leave ① as a bare digit and 1️⃣ unchanged.
    /// </summary>
    private static string Normalize(string text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is >= '\u2460' and <= '\u2473')
                folded.Append((c - '\u2460' + 1).ToString(CultureInfo.InvariantCulture)).Append('.');
            else if (c == '\u20e3')
                folded.Append('.');
            else if (c is not ('\ufe0f' or '\u200b' or '\ufeff'))
                folded.Append(c);
        }
        return folded.Replace("\r\n", "\n").Replace('\r', '\n').ToString().Normalize(NormalizationForm.FormKC);
    }

    private static string Key(string text) => Spaces().Replace(Normalize(text), "").ToLowerInvariant();

    private static string TitleKey(string title)
    {
        var key = new StringBuilder();
        foreach (var c in title.Normalize(NormalizationForm.FormKC))
        {
            var category = char.GetUnicodeCategory(c);
            if (char.IsLetterOrDigit(c) || category is UnicodeCategory.OtherSymbol or UnicodeCategory.Surrogate)
                key.Append(char.ToLowerInvariant(c));
        }
        return key.ToString();
    }

    private static SignupChain Result(Chain chain)
    {
        var active = chain.Items.Where(e => e.Withdrawn is null).OrderBy(e => e.Order).ToList();
        var entries = active.Select((e, i) => new ChainEntry(i + 1, e.Name, e.Note, e.AddedBy, e.AddedByName, e.FirstSeq, e.UpdatedSeq)).ToList();
        var withdrawals = chain.Items.Where(e => e.Withdrawn is not null).OrderBy(e => e.Withdrawn!.Seq).ThenBy(e => e.Order)
            .Select(e => e.Withdrawn!).ToList();
        return new SignupChain(chain.Title, chain.Header, chain.Starter.Seq, chain.Starter.MemberId, chain.Starter.DisplayName, entries, withdrawals);
    }

    // 1. 1、 1) (1) 1] 1】 1。 1, 1: or "1 name"; "1.5小时" and "14:00" are not list lines
    [GeneratedRegex(@"^\(?(?<n>\d{1,3})\s*(?:[.:](?!\d)|[、,)\]】。]|\s)\s*(?<content>.*)$")]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^(?<name>.+?)(?<note>(?:\+\d+|\d+\s*(?:人|位|个|大|小|份|张|只|间)).*)$")]
    private static partial Regex Glued();

    [GeneratedRegex(@"[#\[【]*\s*接龙\s*[\]】]*")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^(?:#\s*接龙|【\s*接龙\s*】|\[\s*接龙\s*\])")]
    private static partial Regex LeadingMarker();

    [GeneratedRegex(@"^(?:(?:我|本人)?(?:要|先)?(?:取消|退出)了?(?:接龙|报名)?了?|我?不(?:去|参加|来)了)$")]
    private static partial Regex SelfWithdrawal();

    [GeneratedRegex(@"^(?:[-—–]\s*(?<name>\S.*)|(?<name>\S.*?)\s*(?:取消|退出)了?(?:接龙|报名)?了?|(?:取消|退出)\s*(?<name>\S+))$")]
    private static partial Regex NamedWithdrawal();

    [GeneratedRegex(@"\[[^\[\]]{1,8}\]")]
    private static partial Regex Sticker();

    [GeneratedRegex(@"[\s\u00a0]+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"[\p{P}\p{S}\p{Cs}\s]+$")]
    private static partial Regex TrailingNoise();
}
