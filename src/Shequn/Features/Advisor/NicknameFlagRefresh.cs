using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;

namespace Shequn.Features.Advisor;

public sealed class AdvisorOptions
{
    /// <summary>How often every node rechecks the nickname flags of communities whose format changed (at start: the
    /// backfill of rows made before the flags existed).</summary>
    public TimeSpan NicknameRefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    public bool NicknameRefreshEnabled { get; set; } = true;
}

/// <summary>
/// <see cref="NicknameFlags.RefreshAsync"/> over every workspace, at start and then every
/// <see cref="AdvisorOptions.NicknameRefreshInterval"/>: fills the flags of existing memberships and follows format
/// changes saved on another node. Safe on every node at once: a recheck writes the same flags whoever runs it.
/// </summary>
public sealed partial class NicknameFlagRefresh(IServiceScopeFactory scopes, IOptions<AdvisorOptions> options, TimeProvider time, ILogger<NicknameFlagRefresh> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.NicknameRefreshEnabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(options.Value.NicknameRefreshInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogPassFailed(log, ex);
                await Task.Delay(TimeSpan.FromSeconds(30), time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One pass over every workspace; returns the communities rechecked.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<Guid> workspaces;
        await using (var scope = scopes.CreateAsyncScope())
            workspaces = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Workspaces.Select(w => w.Id).ToListAsync(ct);
        var rechecked = 0;
        foreach (var ws in workspaces)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            using (db.Current.ActAsSystemWhile(ws))
                rechecked += await NicknameFlags.RefreshAsync(db, ct);
        }
        return rechecked;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Rechecking the members' nicknames against their communities' formats failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
