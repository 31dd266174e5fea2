using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Shequn.Features.Events;

namespace Shequn.Bench;

/// <summary>
/// Where the processor's time goes while it is alive: the sum of its phase histogram
/// (<see cref="EventProcessor.PhaseInstrument"/>) per phase, in seconds.
/// </summary>
internal sealed class ProcessorPhases : IDisposable
{
    private readonly ConcurrentDictionary<string, double> _seconds = new();
    private readonly ConcurrentDictionary<string, double> _longest = new();
    private readonly MeterListener _listener = new();

    public ProcessorPhases()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EventProcessor.MeterName && instrument.Name == EventProcessor.PhaseInstrument)
                l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "phase" && tag.Value is string name)
                {
                    _seconds.AddOrUpdate(name, seconds, (_, sum) => sum + seconds);
                    _longest.AddOrUpdate(name, seconds, (_, most) => Math.Max(most, seconds));
                }
        });
        _listener.Start();
    }

    /// <summary>The phases that took at least 5 ms, longest first: "rules 1.20 s, save 0.80 s, …".</summary>
    public override string ToString() =>
        string.Join(", ", _seconds.Where(p => p.Value >= 0.005).OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:0.00} s"));

    /// <summary>The longest single batch phase, longest first: "commit 310 ms, rules 42 ms, …" (where a latency's tail comes from).</summary>
    public string Longest() =>
        string.Join(", ", _longest.OrderByDescending(p => p.Value).Take(5).Select(p => $"{p.Key} {p.Value * 1000:0} ms"));

    public void Dispose() => _listener.Dispose();
}
