using Microsoft.Extensions.Configuration;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Shequn.Platform.Localization;

namespace Shequn.Tests.Features.Tasks;

/// <summary>Task words are looked up by composed keys (no literal L["..."] for the localization test to find): check them here.</summary>
public sealed class TaskWordsTests
{
    private static readonly ActionKind[] AboutAPerson = [ActionKind.Remove, ActionKind.Ban, ActionKind.Unban, ActionKind.ApproveJoin, ActionKind.DeclineJoin];

    [Fact]
    public void EveryKind_HasALabelAndEveryPersonKindItsText_InBothLanguages()
    {
        foreach (var culture in Cultures.Supported)
        {
            var table = JsonStringLocalizerFactory.LoadTable(culture);
            Assert.All(Enum.GetValues<ActionKind>(), k => Assert.True(table.ContainsKey($"Tasks.Kind.{k}"), $"{culture}: Tasks.Kind.{k}"));
            Assert.All(AboutAPerson, k => Assert.True(table.ContainsKey($"Tasks.Text.{k}"), $"{culture}: Tasks.Text.{k}"));
            Assert.All(Enum.GetValues<StaffTaskStatus>(), s => Assert.True(table.ContainsKey($"Tasks.Status.{s}"), $"{culture}: Tasks.Status.{s}"));
        }
    }

    [Fact]
    public void Routing_ManagingGoesToAdminsFirst_SpeakingToOperators_NeverKocs()
    {
        Assert.Equal(Shequn.Features.Communities.CommunityRole.Admin, TaskRouting.RolesFor(ActionKind.Remove)[0]);
        Assert.Equal(Shequn.Features.Communities.CommunityRole.Operator, TaskRouting.RolesFor(ActionKind.MassSend)[0]);
        Assert.All(Enum.GetValues<ActionKind>(), k => Assert.DoesNotContain(Shequn.Features.Communities.CommunityRole.Koc, TaskRouting.RolesFor(k)));
    }

    [Fact]
    public void Due_DefaultsPerKind_AndTheRestFallBack()
    {
        var options = new TasksOptions();

        Assert.Equal(TimeSpan.FromMinutes(15), options.DueAfter(ActionKind.DeleteMessage));
        Assert.Equal(options.DefaultDue, options.DueAfter(ActionKind.CreateInviteLink));
    }

    [Fact]
    public void Due_FromConfiguration_OverridesOneKindAndKeepsTheOthers()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Tasks:Due:Remove"] = "00:05:00", ["Tasks:DefaultDue"] = "08:00:00" }).Build();
        var options = new TasksOptions();

        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(config.GetSection("Tasks"), options);

        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(8)),
            (options.DueAfter(ActionKind.Remove), options.DueAfter(ActionKind.DeleteMessage), options.DueAfter(ActionKind.MassSend)));
    }
}
