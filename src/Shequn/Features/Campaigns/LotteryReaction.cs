using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Events;
using Shequn.Features.Outbox;

namespace Shequn.Features.Campaigns;

/// <summary>Lotteries at run time (section <c>Lottery</c>).</summary>
public sealed class LotteryOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How often ended lotteries are looked for and drawn.</summary>
    public TimeSpan DrawInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A keyword message processed later than this after it was posted enters nobody (a replayed backlog is not a live entry).</summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Enters members who post a running lottery's keyword (<see cref="CampaignRules.Keyword"/>, default 抽奖) in one of its
/// communities, as a reaction of the event processor in the batch's transaction. Only members (never <c>FromStaff</c>),
/// only messages posted within the period and processed within <see cref="LotteryOptions.LateAfter"/>. A replayed batch
/// or a second keyword finds the member's entry and adds nothing.
/// </summary>
public sealed class LotteryEntryReaction(TimeProvider time, IOptions<LotteryOptions> options) : IBatchReaction
{
    public async Task<int> ReactAsync(AppDbContext db, IReadOnlyList<CommunityEvent> events, EventEffects effects, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(effects);
        if (!options.Value.Enabled)
            return 0;
        var now = time.GetUtcNow().UtcDateTime;
        var messages = events.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff && e.UserId is not null && !string.IsNullOrWhiteSpace(e.Text)
            && e.Text.Trim().Length <= CampaignRulesCheck.KeywordMaxLength && now - e.OccurredAt <= options.Value.LateAfter
            && effects.CommunityOf.GetValueOrDefault(e.Seq) is not null).ToList();
        if (messages.Count == 0)
            return 0;
        foreach (var group in messages.GroupBy(e => e.WorkspaceId))
        {
            var ws = group.Key;
            var first = group.Min(e => e.OccurredAt);
            var last = group.Max(e => e.OccurredAt);
            var lotteries = await db.Set<Campaign>().IgnoreQueryFilters().AsNoTracking()
                .Where(c => c.WorkspaceId == ws && c.Kind == CampaignKind.Lottery && c.Status == CampaignStatus.Published && c.StartsAt <= last && c.EndsAt > first)
                .ToListAsync(ct);
            if (lotteries.Count == 0)
                continue;
            var plans = lotteries.Select(c => (Campaign: c, Communities: c.CommunityIdsValue().ToHashSet(), Keyword: Lotteries.Keyword(c))).ToList();
            foreach (var e in group)
            {
                var community = effects.CommunityOf[e.Seq]!.Id;
                if (!effects.MemberOf.TryGetValue((ws, e.Platform, e.UserId!), out var member))
                    continue;
                var text = e.Text!.Trim();
                foreach (var plan in plans.Where(p => p.Communities.Contains(community) && string.Equals(p.Keyword, text, StringComparison.OrdinalIgnoreCase)))
                    await Lotteries.EnterAsync(db, plan.Campaign, member, community, e.Seq, e.OccurredAt, ct);
            }
        }
        return 0;
    }
}

/// <summary>Registration of the lottery's and the signup chain's services.</summary>
public static class LotterySetup
{
    public static IHostApplicationBuilder AddShequnLotteries(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LotteryOptions>().Bind(builder.Configuration.GetSection("Lottery"))
            .Validate(o => o.DrawInterval > TimeSpan.Zero && o.LateAfter > TimeSpan.Zero, "Lottery:DrawInterval and Lottery:LateAfter must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<LotteryWork>();
        builder.Services.AddScoped<LotteryDesk>();
        builder.Services.AddScoped<SignupChainReader>();
        builder.Services.AddSingleton<IBatchReaction, LotteryEntryReaction>();
        builder.Services.AddSingleton<LotteryDrawer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LotteryDrawer>());
        return builder;
    }
}
