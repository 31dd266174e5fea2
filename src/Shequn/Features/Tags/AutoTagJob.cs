using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Tags;

/// <summary>
/// Evaluates the time-based auto-tag rules (active N of the last M days, silent N days, a profile field) once per
/// <see cref="AutoTagOptions.Interval"/>, and catches up the channel and community rules for members who were inside
/// before the rule existed. A member who satisfies a rule and has no row for its tag gets it as a suggestion; a
/// suggestion of a time-based rule whose member no longer satisfies it is taken back (confirmed and rejected tags stay as
/// staff left them). Safe on several app processes like <see cref="Members.MemberLifecycle"/>: one holds the
/// <c>autotags</c> checkpoint row by a lease while it works, and the row's time says when the last run finished. Under the
/// same lease it then invites new VIP candidates where a workspace's rules ask for it (<see cref="Vip.VipAutoInvites"/>).
/// </summary>
public sealed partial class AutoTagJob(IServiceScopeFactory scopes, TimeProvider time, WorkspaceZones zones, IOptions<AutoTagOptions> options, ILogger<AutoTagJob> log)
    : BackgroundService
{
    public const string CheckpointName = "autotags";

    private readonly string _node = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _running = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
            return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunAsync(force: false, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(log, ex);
            }
            await Task.Delay(options.Value.CheckEvery, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Evaluates the rules when the last run is an interval old (or <paramref name="force"/>) and no other process is at
    /// it; returns how many tags were suggested or taken back, or null when it did not run.
    /// </summary>
    public async Task<int?> RunAsync(bool force, CancellationToken ct)
    {
        if (!await _running.WaitAsync(0, ct))
            return null;
        try
        {
            return await ClaimAndRunAsync(force, ct);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<int?> ClaimAndRunAsync(bool force, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var due = force ? DateTime.MaxValue : now - options.Value.Interval;
        var claimed = await db.Set<EventCheckpoint>()
            .Where(c => c.Name == CheckpointName && c.UpdatedAt <= due && (c.LeaseOwner == null || c.LeaseOwner == _node || c.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, _node).SetProperty(c => c.LeaseUntil, now + options.Value.Lease), ct);
        if (claimed == 0)
            return null;
        var changed = 0;
        var invited = 0;
        try
        {
            var rules = await db.Set<TagRule>().IgnoreQueryFilters().AsNoTracking()
                .Where(r => r.Enabled && r.Kind != TagRuleKind.Keyword).OrderBy(r => r.CreatedAt).ToListAsync(ct);
            foreach (var rule in rules)
            {
                var zone = await zones.GetAsync(rule.WorkspaceId, ct);
                changed += await EvaluateAsync(db, rule, now, zone, ct);
            }
            // VIP candidates follow from tags (the paying tag) and the history just evaluated: invite the new ones where a
            // workspace asked for it.
            invited = await Vip.VipAutoInvites.RunAsync(scopes, ct);
        }
        finally
        {
            await db.Set<EventCheckpoint>().Where(c => c.Name == CheckpointName && c.LeaseOwner == _node)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseOwner, (string?)null).SetProperty(c => c.LeaseUntil, (DateTime?)null)
                    .SetProperty(c => c.UpdatedAt, time.GetUtcNow().UtcDateTime).SetProperty(c => c.Seq, c => c.Seq + 1), CancellationToken.None);
        }
        LogEvaluated(log, rules: changed, invited);
        return changed;
    }

    /// <summary>The members of the rule's workspace who satisfy it now.</summary>
    public static async Task<HashSet<Guid>> MatchingAsync(AppDbContext db, TagRule rule, DateTime now, TimeZoneInfo zone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(rule);
        var ws = rule.WorkspaceId;
        var spec = rule.SpecRecord;
        var memberships = db.Memberships.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws);
        switch (rule.Kind)
        {
            case TagRuleKind.Channel:
                var channel = (spec.Channel ?? "").ToLower();
                var scoped = spec.CommunityId is { } c ? memberships.Where(m => m.CommunityId == c) : memberships;
#pragma warning disable CA1862 // The StringComparison overloads do not translate to SQL; ToLower() does on both providers.
                return [.. await scoped.Where(m => m.Channel != null && m.Channel.ToLower() == channel).Select(m => m.MemberId).Distinct().ToListAsync(ct)];
#pragma warning restore CA1862
            case TagRuleKind.Community:
                return [.. await memberships.Where(m => m.CommunityId == spec.CommunityId && m.LeftAt == null).Select(m => m.MemberId).Distinct().ToListAsync(ct)];
            case TagRuleKind.Active:
                var today = DailyFigures.DayOf(now, zone);
                var from = today.AddDays(-((spec.WithinDays ?? 1) - 1));
                var need = spec.Days ?? 1;
                var communities = db.Communities.IgnoreQueryFilters().Where(x => x.WorkspaceId == ws).Select(x => x.Id);
                return [.. await db.Set<DailySpeaker>().Where(d => communities.Contains(d.CommunityId) && d.Day >= from && d.Day <= today)
                    .Select(d => new { d.MemberId, d.Day }).Distinct()
                    .GroupBy(d => d.MemberId).Where(g => g.Count() >= need).Select(g => g.Key).ToListAsync(ct)];
            case TagRuleKind.Silent:
                var cutoff = now.AddDays(-(spec.Days ?? 1));
                var inside = await memberships.Where(m => m.LeftAt == null).GroupBy(m => m.MemberId)
                    .Select(g => new { MemberId = g.Key, Since = g.Max(m => m.JoinedAt) }).ToListAsync(ct);
                var spoke = await db.Set<MemberActivity>().IgnoreQueryFilters().Where(a => a.WorkspaceId == ws).GroupBy(a => a.MemberId)
                    .Select(g => new { MemberId = g.Key, Last = g.Max(a => a.LastSpokeAt) }).ToDictionaryAsync(a => a.MemberId, a => a.Last, ct);
                return [.. inside.Where(m => m.Since <= cutoff && (!spoke.TryGetValue(m.MemberId, out var last) || last <= cutoff)).Select(m => m.MemberId)];
            case TagRuleKind.ProfileField:
                var members = await db.Members.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == ws)
                    .Select(m => new { m.Id, m.City, m.Industry, m.Layer, m.Needs }).ToListAsync(ct);
                return [.. members.Where(m => TagRuleMatcher.Matches(spec, m.City, m.Industry, m.Layer, m.Needs)).Select(m => m.Id)];
            default:
                return [];
        }
    }

    private static async Task<int> EvaluateAsync(AppDbContext db, TagRule rule, DateTime now, TimeZoneInfo zone, CancellationToken ct)
    {
        var matching = await MatchingAsync(db, rule, now, zone, ct);
        var rows = await db.MemberTags.IgnoreQueryFilters().AsNoTracking().Where(mt => mt.TagId == rule.TagId)
            .Select(mt => new { mt.MemberId, mt.RuleId, mt.State, mt.Source }).ToListAsync(ct);
        var carrying = rows.Select(r => r.MemberId).ToHashSet();
        var changed = 0;
        // Rejected from another rule's suggestion: this rule's evidence is its own, so it suggests the tag again
        // (see AutoTagRejection); rejected from this rule's: never again.
        var blocked = (await db.Set<AutoTagRejection>().AsNoTracking().Where(r => r.TagId == rule.TagId && r.RuleId == rule.Id)
            .Select(r => r.MemberId).ToListAsync(ct)).ToHashSet();
        var revived = rows.Where(r => r.State == MemberTagState.Rejected && r.Source == TagSource.Auto && r.RuleId != rule.Id
            && matching.Contains(r.MemberId) && !blocked.Contains(r.MemberId)).Select(r => r.MemberId).ToList();
        foreach (var chunk in revived.Chunk(500))
        {
            changed += await db.MemberTags.IgnoreQueryFilters()
                .Where(mt => mt.TagId == rule.TagId && mt.State == MemberTagState.Rejected && chunk.Contains(mt.MemberId))
                .ExecuteUpdateAsync(u => u.SetProperty(mt => mt.State, MemberTagState.Suggested).SetProperty(mt => mt.RuleId, rule.Id)
                    .SetProperty(mt => mt.AssignedAt, now).SetProperty(mt => mt.ReviewedAt, (DateTime?)null).SetProperty(mt => mt.ReviewedById, (Guid?)null), ct);
        }
        foreach (var chunk in matching.Where(m => !carrying.Contains(m)).Chunk(500))
        {
            db.MemberTags.AddRange(chunk.Select(m => new MemberTag
            {
                MemberId = m, TagId = rule.TagId, AssignedAt = now, Source = TagSource.Auto, RuleId = rule.Id, State = MemberTagState.Suggested,
            }));
            // Rows no staff member wrote: no audit entry (the suggestion itself is what staff review).
            changed += await SaveAsync(db, ct);
        }
        if (TagRule.IsEventDriven(rule.Kind))
            return changed;
        var stale = rows.Where(r => r.RuleId == rule.Id && r.State == MemberTagState.Suggested && !matching.Contains(r.MemberId)).Select(r => r.MemberId).ToList();
        foreach (var chunk in stale.Chunk(500))
        {
            changed += await db.MemberTags.IgnoreQueryFilters()
                .Where(mt => mt.TagId == rule.TagId && mt.RuleId == rule.Id && mt.State == MemberTagState.Suggested && chunk.Contains(mt.MemberId))
                .ExecuteDeleteAsync(ct);
        }
        return changed;
    }

    /// <summary>
    /// The processor may suggest the same tag for one of these members at the same moment: then the chunk goes in one
    /// row at a time, and the rows it already wrote are skipped.
    /// </summary>
    private static async Task<int> SaveAsync(AppDbContext db, CancellationToken ct)
    {
        var added = db.ChangeTracker.Entries<MemberTag>().Select(e => e.Entity).ToList();
        try
        {
            return await db.SaveChangesWithoutAuditAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            var saved = 0;
            foreach (var row in added)
            {
                db.MemberTags.Add(row);
                try
                {
                    saved += await db.SaveChangesWithoutAuditAsync(ct);
                }
                catch (DbUpdateException)
                {
                    // Already there.
                }
                db.ChangeTracker.Clear();
            }
            return saved;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    public override void Dispose()
    {
        _running.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Evaluating auto-tag rules failed; trying again later")]
    private static partial void LogFailed(ILogger logger, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Auto-tag rules evaluated: {Rules} tags suggested or taken back; {Invited} VIP candidates invited automatically")]
    private static partial void LogEvaluated(ILogger logger, int rules, int invited);
}
