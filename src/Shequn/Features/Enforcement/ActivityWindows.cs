using Microsoft.Extensions.Options;
using Shequn.Features.Moderation;

namespace Shequn.Features.Enforcement;

/// <summary>One message as the windows keep it: when, where, by whom, and the fingerprint of its text (0: too short).</summary>
public sealed record WindowPost(long Seq, DateTime At, Guid WorkspaceId, Guid CommunityId, string Sender, ulong Text);

/// <summary>
/// The recent past the rules look at: who posted how often where (flooding), and which texts went to which
/// communities (cross-community spam). Everything is keyed by the log's sequence numbers, never by wall-clock
/// state: <see cref="Through"/> says how far the log has been observed, a node primes the gap from the log before it
/// enforces a batch (it started, or another node processed the batches in between), and a batch whose transaction
/// rolled back is rewound (<see cref="Rewind"/>) and observed again when it is read again. So two nodes, or one node
/// after a restart, count the same posts for the same event. Counting is by the time the posts happened, and only
/// posts before the event (in log order) count. Bounded: entries older than the horizon, or beyond the capacity,
/// are dropped oldest first. Not thread-safe: the enforcer observes one batch at a time.
/// </summary>
public sealed class ActivityWindows(IOptions<EnforcementOptions> options)
{
    /// <summary>Texts shorter than this (letters, after normalisation, digits ignored) are not fingerprinted: "谢谢" twice is no spam.</summary>
    public const int MinTextLength = 8;

    private readonly LinkedList<WindowPost> _order = new();
    private readonly Dictionary<(Guid, string), List<WindowPost>> _bySender = [];
    private readonly Dictionary<(Guid, ulong), List<WindowPost>> _byText = [];
    private readonly Dictionary<(Guid, ulong, string), List<WindowPost>> _bySenderText = [];

    /// <summary>
    /// Lists are in log order, which is about time order: a count walks back from the newest and stops at a post this
    /// much older than its range (so a long list costs only its recent end; an event delayed by more than this is missed).
    /// </summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(5);
    private DateTime _latest = DateTime.MinValue;

    [ThreadStatic]
    private static NormalisedText? _scratch;

    /// <summary>The highest sequence number observed; every earlier post the windows need is in them.</summary>
    public long Through { get; private set; }

    public int Count => _order.Count;

    /// <summary>Forgets posts after <paramref name="seq"/> (a batch that did not commit) and marks the windows as observed that far.</summary>
    public void Rewind(long seq)
    {
        while (_order.Last is { } last && last.Value.Seq > seq)
        {
            Unindex(last.Value);
            _order.RemoveLast();
        }
        Through = Math.Min(Through, seq);
    }

    /// <summary>Marks the log as observed through <paramref name="seq"/> (after priming, or after a batch with no posts).</summary>
    public void MarkThrough(long seq) => Through = Math.Max(Through, seq);

    /// <summary>Adds a post; posts must come in sequence order (earlier ones are ignored, as already observed).</summary>
    public void Observe(WindowPost post)
    {
        ArgumentNullException.ThrowIfNull(post);
        if (post.Seq <= Through)
            return;
        Through = post.Seq;
        _order.AddLast(post);
        Add(_bySender, (post.CommunityId, post.Sender), post);
        if (post.Text != 0)
        {
            Add(_byText, (post.WorkspaceId, post.Text), post);
            Add(_bySenderText, (post.WorkspaceId, post.Text, post.Sender), post);
        }
        if (post.At > _latest)
            _latest = post.At;
        Prune();
    }

    /// <summary>The sender's posts in the community from <paramref name="from"/> to <paramref name="to"/>, up to and including <paramref name="seq"/>.</summary>
    public int SenderPosts(Guid communityId, string sender, DateTime from, DateTime to, long seq)
    {
        if (!_bySender.TryGetValue((communityId, sender), out var posts))
            return 0;
        var n = 0;
        var stop = from - Slack;
        for (var i = posts.Count - 1; i >= 0; i--)
        {
            var p = posts[i];
            if (p.At < stop)
                break;
            if (p.Seq <= seq && p.At >= from && p.At <= to)
                n++;
        }
        return n;
    }

    /// <summary>
    /// In how many communities of the workspace the text was posted in the time range, up to and including
    /// <paramref name="seq"/>: by <paramref name="sender"/> only, or by anyone when it is null; counting stops at
    /// <paramref name="enough"/> (a popular phrase need not be counted through).
    /// </summary>
    public int Communities(Guid workspaceId, ulong text, string? sender, DateTime from, DateTime to, long seq, int enough = int.MaxValue)
    {
        if (text == 0)
            return 0;
        var found = sender is null ? _byText.TryGetValue((workspaceId, text), out var posts) : _bySenderText.TryGetValue((workspaceId, text, sender), out posts);
        if (!found)
            return 0;
        Span<Guid> seen = stackalloc Guid[16];
        var n = 0;
        var stop = from - Slack;
        for (var i = posts!.Count - 1; i >= 0 && n < enough; i--)
        {
            var p = posts[i];
            if (p.At < stop)
                break;
            if (p.Seq > seq || p.At < from || p.At > to || seen[..n].Contains(p.CommunityId))
                continue;
            if (n == seen.Length)
                return n;
            seen[n++] = p.CommunityId;
        }
        return n;
    }

    /// <summary>
    /// The fingerprint of a text for "the same or near-same" comparisons: its normalised letters (width, case,
    /// traditional/simplified folded; spaces, symbols, emoji and digits dropped), hashed; 0 when too short.
    /// </summary>
    public static ulong Fingerprint(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        var scratch = _scratch ??= new NormalisedText();
        TextNormaliser.Normalise(text, scratch);
        var hash = 14695981039346656037UL;
        var letters = 0;
        foreach (var c in scratch.Compact)
        {
            if (char.IsAsciiDigit(c))
                continue;
            hash = (hash ^ c) * 1099511628211UL;
            letters++;
        }
        return letters < MinTextLength ? 0 : hash | 1;
    }

    private void Prune()
    {
        var o = options.Value;
        var oldest = _latest - o.WindowHorizon;
        while (_order.First is { } first && (first.Value.At < oldest || _order.Count > o.WindowCapacity))
        {
            Unindex(first.Value);
            _order.RemoveFirst();
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<WindowPost>> index, TKey key, WindowPost post)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
            index[key] = list = [];
        list.Add(post);
    }

    private void Unindex(WindowPost post)
    {
        Remove(_bySender, (post.CommunityId, post.Sender), post);
        if (post.Text != 0)
        {
            Remove(_byText, (post.WorkspaceId, post.Text), post);
            Remove(_bySenderText, (post.WorkspaceId, post.Text, post.Sender), post);
        }
    }

    private static void Remove<TKey>(Dictionary<TKey, List<WindowPost>> index, TKey key, WindowPost post)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
            return;
        // Pruning takes the oldest (the front), a rewind the newest (the back).
        var at = ReferenceEquals(list[0], post) ? 0 : ReferenceEquals(list[^1], post) ? list.Count - 1 : list.FindIndex(p => ReferenceEquals(p, post));
        if (at >= 0)
            list.RemoveAt(at);
        if (list.Count == 0)
            index.Remove(key);
    }
}
