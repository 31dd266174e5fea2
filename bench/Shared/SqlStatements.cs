using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Shequn.Bench;

/// <summary>
/// Counts the statements EF runs while it is alive, by text: how many times each ran and for how long (from EF's
/// CommandExecuted diagnostic events). For a benchmark's <c>--sql</c>: which statements a batch repeats, and what they cost.
/// </summary>
internal sealed class SqlStatements : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly ConcurrentDictionary<string, (int Count, double Seconds)> _byText = new();
    private readonly List<IDisposable> _subscriptions = [];
    private volatile bool _on = true;

    public SqlStatements() => _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
            lock (_subscriptions)
                _subscriptions.Add(value.Subscribe(this));
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (!_on || value.Key != RelationalEventId.CommandExecuted.Name || value.Value is not CommandExecutedEventData e)
            return;
        var seconds = e.Duration.TotalSeconds;
        _byText.AddOrUpdate(e.Command.CommandText, (1, seconds), (_, x) => (x.Count + 1, x.Seconds + seconds));
    }

    /// <summary>The <paramref name="top"/> statements by total time: count, seconds, and the text's first line(s).</summary>
    public IEnumerable<string> Top(int top) =>
        _byText.OrderByDescending(x => x.Value.Seconds).Take(top)
            .Select(x => $"{x.Value.Count,7:N0} × {x.Value.Seconds,6:0.000} s  {Squash(x.Key)}");

    public int Statements => _byText.Values.Sum(x => x.Count);

    private static string Squash(string sql)
    {
        var one = string.Join(' ', sql.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries));
        return one.Length <= 220 ? one : one[..220] + "…";
    }

    public void OnCompleted() { }
    public void OnError(Exception error) { }

    public void Dispose()
    {
        _on = false;
        lock (_subscriptions)
            foreach (var s in _subscriptions)
                s.Dispose();
    }
}
