using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;

namespace Shequn.Features.Images;

public sealed class ImageOptions
{
    /// <summary>Off: image messages are not looked into (no <see cref="EventKind.MessageInspected"/> events).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often to look for processed image messages when nothing wakes the inspector sooner.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one process's claim on the inspector's checkpoint lasts without renewal (renewed per image).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A fetch that keeps failing (the platform down) is given up after this many tries, so the log moves on.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The longest one download may take.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public QrDecoderOptions Decoder { get; set; } = new();
}

/// <summary>
/// Looks into every image message once, after the processor has applied it, and appends a
/// <see cref="EventKind.MessageInspected"/> event saying what QR codes it holds, one per line (empty: none, or the image
/// could not be read, in which case <see cref="CommunityEvent.Channel"/> says why). The enforcement checks that event
/// like a message.
/// <para>
/// It reads the log in order behind its own checkpoint (<see cref="CheckpointName"/>), never past the processor's, so the
/// community and the member are known by the time the result arrives. Fetching and decoding are slow and leave the
/// database, so they do not run inside a transaction: one app process at a time holds the checkpoint row by a lease, and
/// the inspected event's id is derived from the image message's sequence number, so a crash after appending, or a lease
/// that ran out mid-image, gives a duplicate the log refuses, never a second event.
/// </para>
/// </summary>
public sealed partial class ImageInspector(
    IServiceScopeFactory scopes, EventIngestor ingestor, EventLogSignal signal, IEnumerable<IMediaSource> sources,
    IOptions<ImageOptions> options, ILogger<ImageInspector> log) : BackgroundService
{
    public const string CheckpointName = "images";
    private const int BatchSize = 20;

    private readonly string _node = EventEffects.Clip($"{Guid.NewGuid():N}:{Environment.ProcessId}:{Environment.MachineName}", 100)!;
    private readonly Dictionary<ChatPlatform, IMediaSource> _sources = sources.ToDictionary(s => s.Platform);
    private readonly QrDecoder _decoder = new(options.Value.Decoder);
    private readonly Dictionary<long, int> _attempts = [];

    /// <summary>The event id of the inspection of the image message stored at <paramref name="seq"/>.</summary>
    public static string InspectionId(long seq) => "inspected:" + seq.ToString(CultureInfo.InvariantCulture);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await InspectBatchAsync(stoppingToken) == 0)
                    await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
                await Task.Delay(options.Value.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Inspects up to a batch of image messages the processor has applied; returns how many were inspected.</summary>
    public async Task<int> InspectBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (!await ClaimAsync(db, ct))
            return 0;
        var marks = await db.Set<EventCheckpoint>().AsNoTracking()
            .Where(c => c.Name == CheckpointName || c.Name == EventProcessor.CheckpointName).ToDictionaryAsync(c => c.Name, c => c.Seq, ct);
        var (from, through) = (marks[CheckpointName], marks[EventProcessor.CheckpointName]);
        if (from >= through)
            return 0;
        var images = await db.Set<CommunityEvent>().AsNoTracking()
            .Where(e => e.Seq > from && e.Seq <= through && e.Kind == EventKind.MessagePosted && e.MediaId != null)
            .OrderBy(e => e.Seq).Take(BatchSize).ToListAsync(ct);
        var done = 0;
        foreach (var image in images)
        {
            if (!await ClaimAsync(db, ct))
                return done;
            var inspected = await InspectAsync(db, image, ct);
            if (inspected is null)
                return done; // the platform is not answering: try this one again later, in order
            await ingestor.IngestAsync([inspected], ct);
            await MoveAsync(db, image.Seq, ct);
            done++;
        }
        // Nothing more to look at up to what the processor has applied.
        if (images.Count < BatchSize)
            await MoveAsync(db, through, ct);
        return done;
    }

    /// <summary>Takes (or renews) the lease on the checkpoint row; false while another process holds it.</summary>
    private async Task<bool> ClaimAsync(AppDbContext db, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var until = now + options.Value.Lease;
        return await db.Set<EventCheckpoint>()
            .Where(c => c.Name == CheckpointName && (c.LeaseOwner == null || c.LeaseOwner == _node || c.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, _node).SetProperty(c => c.LeaseUntil, until), ct) == 1;
    }

    /// <summary>Moves the checkpoint forward (never back), only while this process holds the lease.</summary>
    private Task<int> MoveAsync(AppDbContext db, long seq, CancellationToken ct) =>
        db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName && c.LeaseOwner == _node && c.Seq < seq)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Seq, seq).SetProperty(c => c.UpdatedAt, DateTime.UtcNow), ct);

    /// <summary>The inspection of one image message, or null when fetching failed for now and should be tried again.</summary>
    private async Task<CommunityEvent?> InspectAsync(AppDbContext db, CommunityEvent image, CancellationToken ct)
    {
        string? codes = null, reason = null;
        if (!_sources.TryGetValue(image.Platform, out var source))
            reason = $"images on {image.Platform} are not fetched";
        else
        {
            var communityId = image.CommunityId ?? await db.Set<PlatformChat>().IgnoreQueryFilters()
                .Where(c => c.WorkspaceId == image.WorkspaceId && c.Platform == image.Platform && c.ChatId == image.ChatId)
                .Select(c => (Guid?)c.CommunityId).FirstOrDefaultAsync(ct);
            byte[]? bytes = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.Value.FetchTimeout);
                bytes = await source.FetchAsync(new MediaRequest(image.WorkspaceId, communityId, image.ChatId, image.MediaId!, options.Value.Decoder.MaxBytes), timeout.Token);
            }
            catch (MediaUnavailableException ex)
            {
                reason = "not fetched: " + ex.Message;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                var attempts = _attempts[image.Seq] = _attempts.GetValueOrDefault(image.Seq) + 1;
                LogFetchFailed(log, image.Seq, attempts, ex.Message);
                if (attempts < options.Value.MaxAttempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempts), ct);
                    return null;
                }
                reason = $"not fetched after {attempts} tries: {ex.Message}";
            }
            _attempts.Remove(image.Seq);
            if (bytes is not null)
            {
                var scan = _decoder.Scan(bytes, ct);
                if (scan.Outcome == QrScanOutcome.Read)
                    codes = string.Join('\n', scan.Codes);
                else
                    reason = $"{scan.Outcome}: {scan.Reason}";
            }
        }
        if (reason is not null)
            LogNotRead(log, image.Seq, reason);
        return new CommunityEvent
        {
            WorkspaceId = image.WorkspaceId,
            Platform = image.Platform,
            PlatformEventId = InspectionId(image.Seq),
            Kind = EventKind.MessageInspected,
            OccurredAt = image.OccurredAt,
            CommunityId = image.CommunityId,
            ChatId = image.ChatId,
            ChatTitle = image.ChatTitle,
            UserId = image.UserId,
            UserName = image.UserName,
            FromStaff = image.FromStaff,
            MessageKind = image.MessageKind,
            MessageId = image.MessageId,
            TopicId = image.TopicId,
            MediaId = image.MediaId,
            Text = EventEffects.Clip(codes ?? "", CommunityEvent.TextMaxLength),
            Channel = EventEffects.Clip(reason, CommunityEvent.ChannelMaxLength),
        };
    }

    /// <summary>Waits until every image message stored so far has been inspected (tests, the demo).</summary>
    public async Task WaitUntilCaughtUpAsync(EventProcessor processor, CancellationToken ct)
    {
        long target;
        await using (var scope = scopes.CreateAsyncScope())
            target = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<CommunityEvent>().MaxAsync(e => (long?)e.Seq, ct) ?? 0;
        await processor.WaitUntilCaughtUpAsync(ct);
        while (true)
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                if (await db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName).Select(c => c.Seq).SingleAsync(ct) >= target)
                    return;
            }
            signal.Notify();
            await Task.Delay(50, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Inspecting images failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The image of event {Seq} could not be fetched (try {Attempt}): {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, long seq, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The image of event {Seq} was not read: {Reason}")]
    private static partial void LogNotRead(ILogger logger, long seq, string reason);
}

public static class ImagesSetup
{
    /// <summary>The image inspector and the Sandbox's images; each connector registers its own <see cref="IMediaSource"/>.</summary>
    public static IHostApplicationBuilder AddShequnImages(this IHostApplicationBuilder builder, bool run)
    {
        builder.Services.AddOptions<ImageOptions>().Bind(builder.Configuration.GetSection("Images"));
        builder.Services.AddSingleton<IMediaSource, SandboxMediaSource>();
        builder.Services.AddSingleton<ImageInspector>();
        if (run)
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ImageInspector>());
        return builder;
    }
}
