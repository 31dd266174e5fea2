using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Responses;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Advisor;

public static class AdvisorSetup
{
    /// <summary>The advisor's desk (list, dismiss, freeze); the response target comes from <c>Responses:Target</c>; the
    /// nickname flags' upkeep (options <c>Advisor:*</c>).</summary>
    public static IHostApplicationBuilder AddShequnAdvisor(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped(sp => new AdviceDesk(sp.GetRequiredService<AppDbContext>(), sp.GetRequiredService<WorkspaceZones>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptionsMonitor<ResponsesOptions>>().CurrentValue.Target));
        builder.Services.AddOptions<AdvisorOptions>().Bind(builder.Configuration.GetSection("Advisor"))
            .Validate(o => o.NicknameRefreshInterval >= TimeSpan.FromSeconds(1), "Advisor:NicknameRefreshInterval must be at least 1 s.")
            .ValidateOnStart();
        // The refresh wakes on rule set edits; hosts without the API (the benchmarks' hosts) have no editor but the signal.
        builder.Services.TryAddSingleton<Enforcement.RuleSetChanges>();
        builder.Services.AddSingleton<NicknameFlagRefresh>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NicknameFlagRefresh>());
        return builder;
    }
}
