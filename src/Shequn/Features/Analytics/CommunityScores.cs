using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Orders;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Analytics;

/// <summary>
/// How much each figure counts in a community's ranking score (seed 000 E, 群间竞赛): whole numbers 0–100, not all zero.
/// Each figure is scored against the best community of the ranking (the best gets 100), and the score is the weighted mean.
/// </summary>
public sealed record ScoreWeights(int NewMembers, int ActiveMembers, int MemberMessages, int ResponseRate, int Orders, int Revenue, int CampaignAchievement)
{
    public const int Max = 100;

    /// <summary>Growth and activity first, then service; orders and campaigns count once the shop and campaigns are in use.</summary>
    public static readonly ScoreWeights Default = new(20, 25, 15, 20, 0, 10, 10);

    public static readonly string[] Metrics = ["newMembers", "activeMembers", "memberMessages", "responseRate", "orders", "revenue", "campaignAchievement"];

    public int Of(string metric) => metric switch
    {
        "newMembers" => NewMembers,
        "activeMembers" => ActiveMembers,
        "memberMessages" => MemberMessages,
        "responseRate" => ResponseRate,
        "orders" => Orders,
        "revenue" => Revenue,
        "campaignAchievement" => CampaignAchievement,
        _ => 0,
    };

    public int Total => Metrics.Sum(Of);

    /// <summary>The figure a metric reads from a community's period (absent figures count as 0; negative revenue as 0).</summary>
    public static double Value(string metric, CommunityPeriodRow r) => metric switch
    {
        "newMembers" => r.Joins,
        "activeMembers" => r.AverageActive,
        "memberMessages" => r.MemberMessages,
        "responseRate" => r.ResponseRate ?? 0,
        "orders" => r.Orders ?? 0,
        "revenue" => Math.Max(0, r.NetRevenueFen ?? 0),
        "campaignAchievement" => r.CampaignAchievement ?? 0,
        _ => 0,
    };
}

/// <summary>Weights as sent: a missing weight is 0.</summary>
public sealed record ScoreWeightsInput(int? NewMembers, int? ActiveMembers, int? MemberMessages, int? ResponseRate, int? Orders, int? Revenue, int? CampaignAchievement)
{
    /// <summary>Each weight 0–100 (an error naming it otherwise), not all zero (an error naming <paramref name="prefix"/>weights).</summary>
    public ScoreWeights? Check(Validation v, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(v);
        int One(string name, int? value)
        {
            var w = value ?? 0;
            if (w is < 0 or > ScoreWeights.Max)
                v.Add(prefix + name, "WeightOutOfRange", $"'{prefix + name}' must be a whole number from 0 to {ScoreWeights.Max} (got {w}).", 0, ScoreWeights.Max);
            return w;
        }
        var weights = new ScoreWeights(One("newMembers", NewMembers), One("activeMembers", ActiveMembers), One("memberMessages", MemberMessages),
            One("responseRate", ResponseRate), One("orders", Orders), One("revenue", Revenue), One("campaignAchievement", CampaignAchievement));
        if (v.IsValid && weights.Total == 0)
            v.Add(prefix + "weights", "WeightsAllZero", "At least one weight must be above 0.");
        return v.IsValid ? weights : null;
    }

    public static ScoreWeightsInput From(ScoreWeights w) =>
        new(w.NewMembers, w.ActiveMembers, w.MemberMessages, w.ResponseRate, w.Orders, w.Revenue, w.CampaignAchievement);
}

/// <summary>A workspace's ranking weights (one row, made on the first save); audited.</summary>
public sealed class CommunityScoreSettings : IWorkspaceOwned, IAudited
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary><see cref="ScoreWeights"/> as JSON.</summary>
    public string Weights { get; set; } = "{}";
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>
/// A competition between communities (群间竞赛): a named period of workspace days, the communities taking part and,
/// optionally, weights of its own (null: the workspace's). Audited.
/// </summary>
public sealed class CommunityCompetition : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int MaxCommunities = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public DateOnly StartsOn { get; set; }
    public DateOnly EndsOn { get; set; }
    /// <summary>The communities' ids as a JSON array.</summary>
    public string CommunityIds { get; set; } = "[]";
    /// <summary><see cref="ScoreWeights"/> as JSON, or null for the workspace's weights.</summary>
    public string? Weights { get; set; }
    public Guid? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public List<Guid> CommunityIdsValue() => JsonSerializer.Deserialize<List<Guid>>(CommunityIds) ?? [];
}

internal sealed class CommunityScoreSettingsConfiguration : IEntityTypeConfiguration<CommunityScoreSettings>
{
    public void Configure(EntityTypeBuilder<CommunityScoreSettings> b)
    {
        b.ToTable("CommunityScoreSettings");
        b.HasKey(s => s.Id);
        b.Property(s => s.Weights).HasMaxLength(1000);
        b.HasIndex(s => s.WorkspaceId).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(s => s.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CommunityCompetitionConfiguration : IEntityTypeConfiguration<CommunityCompetition>
{
    public void Configure(EntityTypeBuilder<CommunityCompetition> b)
    {
        b.ToTable("CommunityCompetitions");
        b.HasKey(c => c.Id);
        b.Property(c => c.Name).HasMaxLength(CommunityCompetition.NameMaxLength);
        b.Property(c => c.CommunityIds).HasMaxLength(CommunityCompetition.MaxCommunities * 40);
        b.Property(c => c.Weights).HasMaxLength(1000);
        b.HasIndex(c => new { c.WorkspaceId, c.StartsOn });
        b.HasOne<Workspace>().WithMany().HasForeignKey(c => c.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>One figure of a ranked community: its value, its score against the best (0–100) and its weight.</summary>
public sealed record RankMetricDto(string Metric, double Value, double Score, int Weight);

public sealed record RankRowDto(int Rank, Guid CommunityId, string Name, double Score, IReadOnlyList<RankMetricDto> Metrics);

public sealed record RankingDto(DateOnly From, DateOnly To, string TimeZone, ScoreWeights Weights, IReadOnlyList<RankRowDto> Items, RankRowDto? Leader);

public sealed record ScoreSettingsDto(ScoreWeights Weights, bool IsDefault, DateTime? UpdatedAt, bool MayEdit);

public sealed record CompetitionInput(string? Name, string? From, string? To, IReadOnlyList<Guid>? CommunityIds, ScoreWeightsInput? Weights);

public sealed record CompetitionDto(Guid Id, string Name, DateOnly From, DateOnly To, IReadOnlyList<Guid> CommunityIds, ScoreWeights? Weights, DateTime CreatedAt);

public sealed record CompetitionStandingDto(CompetitionDto Competition, RankingDto Ranking);

public sealed record RankingResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

/// <summary>
/// Community rankings and competitions (issue 15, seed 000 E), shared by <c>/api/analytics/rankings</c>,
/// <c>/api/analytics/competitions</c> and the console's <c>/analytics/rankings</c>. Owners, sub-owners and admins read
/// them over the communities they see (the figures include orders, which operators and KOCs do not read); only owners
/// change the weights and the competitions. A ranking is computed over the communities the reader sees, so a sub-owner's
/// ranking compares their own groups.
/// </summary>
public sealed class CommunityScores(AppDbContext db, CommunityPeriod period, TimeProvider time)
{
    public static bool MayRead(StaffProfile? me) => OrderDesk.MayRead(me);

    public static bool MayEdit(StaffProfile? me) => me?.Role == StaffRole.Owner;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    private static ScoreWeights Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return ScoreWeights.Default;
        var w = JsonSerializer.Deserialize<ScoreWeights>(json);
        return w is null || w.Total == 0 ? ScoreWeights.Default : w;
    }

    public async Task<ScoreSettingsDto?> SettingsAsync(CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return null;
        var row = await db.Set<CommunityScoreSettings>().AsNoTracking().SingleOrDefaultAsync(ct);
        return new ScoreSettingsDto(Parse(row?.Weights), row is null, row?.UpdatedAt, MayEdit(me));
    }

    public async Task<RankingResult<ScoreSettingsDto>> SaveSettingsAsync(ScoreWeightsInput? input, CancellationToken ct)
    {
        var v = new Validation();
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, v);
        if (input is null)
        {
            v.Add("weights", "Required", "The weights are required.");
            return new(EditOutcome.Invalid, null, v);
        }
        var weights = input.Check(v);
        if (weights is null)
            return new(EditOutcome.Invalid, null, v);
        var row = await db.Set<CommunityScoreSettings>().SingleOrDefaultAsync(ct);
        if (row is null)
        {
            row = new CommunityScoreSettings { WorkspaceId = db.CurrentWorkspaceId };
            db.Add(row);
        }
        row.Weights = JsonSerializer.Serialize(weights);
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, new ScoreSettingsDto(weights, false, row.UpdatedAt, true), v);
    }

    /// <summary>
    /// Scores and ranks: each metric's value over the best value among <paramref name="rows"/> times 100 (0 when the best is
    /// 0), the score the weighted mean of those, rounded to 2 decimals; ties by name. Pure, so the tests compute it by hand.
    /// </summary>
    public static IReadOnlyList<RankRowDto> Rank(IReadOnlyList<CommunityPeriodRow> rows, ScoreWeights weights)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(weights);
        var best = ScoreWeights.Metrics.ToDictionary(m => m, m => rows.Count == 0 ? 0 : rows.Max(r => ScoreWeights.Value(m, r)));
        var total = Math.Max(1, weights.Total);
        var scored = rows.Select(r =>
        {
            var metrics = ScoreWeights.Metrics.Select(m =>
            {
                var value = ScoreWeights.Value(m, r);
                var score = best[m] > 0 ? Math.Round(100 * value / best[m], 2) : 0;
                return new RankMetricDto(m, Math.Round(value, 4), score, weights.Of(m));
            }).ToList();
            var s = Math.Round(metrics.Sum(x => x.Weight * x.Score) / total, 2);
            return (Row: r, Score: s, Metrics: metrics);
        })
            .OrderByDescending(x => x.Score).ThenBy(x => x.Row.Name, StringComparer.Ordinal).ToList();
        return [.. scored.Select((x, i) => new RankRowDto(i + 1, x.Row.CommunityId, x.Row.Name, x.Score, x.Metrics))];
    }

    /// <summary>The ranking of the communities the reader sees over a period (week, month, or from..to; default this week).</summary>
    public async Task<RankingResult<RankingDto>> RankingAsync(string? periodName, string? from, string? to, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        var (first, last, v) = await period.PeriodAsync(string.IsNullOrWhiteSpace(periodName) && from is null ? "week" : periodName, from, to, 7, ct);
        if (!MayRead(me))
            return new(EditOutcome.Forbidden, null, v);
        if (!v.IsValid)
            return new(EditOutcome.Invalid, null, v);
        var weights = Parse((await db.Set<CommunityScoreSettings>().AsNoTracking().SingleOrDefaultAsync(ct))?.Weights);
        return new(EditOutcome.Saved, await RankAsync(me, first, last, null, weights, ct), v);
    }

    private async Task<RankingDto> RankAsync(StaffProfile? me, DateOnly first, DateOnly last, IReadOnlyCollection<Guid>? only, ScoreWeights weights, CancellationToken ct)
    {
        var rows = await period.ReadAsync(me, first, last, only, ct) ?? [];
        var items = Rank(rows, weights);
        var zone = await period.ZoneAsync(ct);
        return new RankingDto(first, last, zone.Id, weights, items, items.Count > 0 && items[0].Score > 0 ? items[0] : null);
    }

    private static CompetitionDto Dto(CommunityCompetition c) =>
        new(c.Id, c.Name, c.StartsOn, c.EndsOn, c.CommunityIdsValue(), c.Weights is null ? null : Parse(c.Weights), c.CreatedAt);

    /// <summary>Competitions with at least one community the reader sees, latest first.</summary>
    public async Task<IReadOnlyList<CompetitionDto>?> CompetitionsAsync(CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return null;
        var rows = await db.Set<CommunityCompetition>().AsNoTracking().OrderByDescending(c => c.StartsOn).ThenByDescending(c => c.CreatedAt).ToListAsync(ct);
        return [.. rows.Where(c => me!.SeesAllCommunities || c.CommunityIdsValue().Any(me.Sees)).Select(Dto)];
    }

    /// <summary>A competition and its standing over the communities of it the reader sees.</summary>
    public async Task<RankingResult<CompetitionStandingDto>> StandingAsync(Guid id, CancellationToken ct)
    {
        var v = new Validation();
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return new(EditOutcome.Forbidden, null, v);
        var c = await db.Set<CommunityCompetition>().AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        if (c is null || !(me!.SeesAllCommunities || c.CommunityIdsValue().Any(me.Sees)))
            return new(EditOutcome.NotFound, null, v);
        var weights = c.Weights is not null ? Parse(c.Weights)
            : Parse((await db.Set<CommunityScoreSettings>().AsNoTracking().SingleOrDefaultAsync(ct))?.Weights);
        var ranking = await RankAsync(me, c.StartsOn, c.EndsOn, c.CommunityIdsValue(), weights, ct);
        return new(EditOutcome.Saved, new CompetitionStandingDto(Dto(c), ranking), v);
    }

    public async Task<RankingResult<CompetitionDto>> CreateCompetitionAsync(CompetitionInput? input, CancellationToken ct)
    {
        var v = new Validation();
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return new(EditOutcome.Forbidden, null, v);
        if (input is null)
        {
            v.Add("name", "Required", "'name' is required.");
            return new(EditOutcome.Invalid, null, v);
        }
        var name = input.Name?.Trim();
        v.Required("name", name, CommunityCompetition.NameMaxLength);
        var first = v.ParseDay("from", input.From, required: true);
        var last = v.ParseDay("to", input.To, required: true);
        if (first is not null && last is not null && last < first)
            v.Add("to", "OutOfRange", "'to' must not be before 'from'.");
        else if (first is not null && last is not null && last.Value.DayNumber - first.Value.DayNumber + 1 > CommunityPeriod.MaxDays)
            v.Add("to", "OutOfRange", $"A competition may last at most {CommunityPeriod.MaxDays} days.", CommunityPeriod.MaxDays);
        var ids = input.CommunityIds?.Distinct().ToList() ?? [];
        if (ids.Count < 2)
            v.Add("communityIds", "TooFewCommunities", "A competition needs at least two communities.");
        else if (ids.Count > CommunityCompetition.MaxCommunities)
            v.Add("communityIds", "TooManyCommunities", $"A competition takes at most {CommunityCompetition.MaxCommunities} communities.", CommunityCompetition.MaxCommunities);
        else
        {
            var known = await db.Communities.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct);
            var unknown = ids.Except(known).ToList();
            if (unknown.Count > 0)
                v.Add("communityIds", "UnknownCommunity", $"Unknown communities: {string.Join(", ", unknown)}.", string.Join(", ", unknown));
        }
        var weights = input.Weights?.Check(v, "weights.");
        if (!v.IsValid)
            return new(EditOutcome.Invalid, null, v);
        var row = new CommunityCompetition
        {
            WorkspaceId = db.CurrentWorkspaceId,
            Name = name!,
            StartsOn = first!.Value,
            EndsOn = last!.Value,
            CommunityIds = JsonSerializer.Serialize(ids),
            Weights = weights is null ? null : JsonSerializer.Serialize(weights),
            CreatedById = me!.Id,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            UpdatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Add(row);
        await db.SaveChangesAsync(ct);
        return new(EditOutcome.Saved, Dto(row), v);
    }

    public async Task<EditOutcome> DeleteCompetitionAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayEdit(me))
            return EditOutcome.Forbidden;
        var row = await db.Set<CommunityCompetition>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (row is null)
            return EditOutcome.NotFound;
        db.Remove(row);
        await db.SaveChangesAsync(ct);
        return EditOutcome.Saved;
    }
}
