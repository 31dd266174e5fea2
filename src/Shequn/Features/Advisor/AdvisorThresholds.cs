using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Advisor;

/// <summary>
/// The workspace's own numbers for the advisor's playbook rules (product.md §3.8), the seeds' by default: a group holds
/// at most 350 members (seed 000 A), a sub-owner runs 2–4 groups (seed 004), a group silent for 30 days is one to clear
/// out (断舍离), 3 of the last 7 days without content is too many, a response rate 20 points below the week before has
/// dropped, and a channel whose cost per retained member is twice the others' median is costly. A brand whose groups
/// are bigger (a WeCom customer group takes 500, a Telegram group far more) or whose team is organised otherwise sets
/// its own; changing one changes what the advisor says, not the data.
/// </summary>
public sealed record AdvisorThresholds(int MaxMembers, int MaxSubOwnerCommunities, int SilentDays, int NoContentDays, int ResponseDropPoints,
    double ChannelCostRatio)
{
    public static readonly AdvisorThresholds Default = new(350, StaffUser.SubOwnerCommunityWarningThreshold, 30, 3, 20, 2.0);

    public const int MaxMembersLimit = 200_000;
    public const int MaxCommunitiesLimit = 100;
    public const int SilentDaysMin = 7;
    public const int SilentDaysMax = 365;
    public const double ChannelCostRatioMin = 1.1;
    public const double ChannelCostRatioMax = 10;

    /// <summary>The acting workspace's numbers (the seeds' when it has none).</summary>
    public static async Task<AdvisorThresholds> ReadAsync(AppDbContext db, CancellationToken ct) =>
        await db.Workspaces.AsNoTracking().Where(w => w.Id == db.CurrentWorkspaceId)
            .Select(w => new AdvisorThresholds(w.AdvisorMaxMembers, w.AdvisorMaxSubOwnerCommunities, w.AdvisorSilentDays, w.AdvisorNoContentDays,
                w.AdvisorResponseDropPoints, w.AdvisorChannelCostRatio))
            .SingleOrDefaultAsync(ct) ?? Default;

    public static AdvisorThresholds Of(Workspace ws) => new(ws.AdvisorMaxMembers, ws.AdvisorMaxSubOwnerCommunities, ws.AdvisorSilentDays,
        ws.AdvisorNoContentDays, ws.AdvisorResponseDropPoints, ws.AdvisorChannelCostRatio);

    public void ApplyTo(Workspace ws) =>
        (ws.AdvisorMaxMembers, ws.AdvisorMaxSubOwnerCommunities, ws.AdvisorSilentDays, ws.AdvisorNoContentDays, ws.AdvisorResponseDropPoints,
            ws.AdvisorChannelCostRatio) = (MaxMembers, MaxSubOwnerCommunities, SilentDays, NoContentDays, ResponseDropPoints, ChannelCostRatio);

    /// <summary>Field errors under <paramref name="prefix"/> (<c>advisor.maxMembers</c>), each naming its range.</summary>
    public void Validate(Validation validation, string prefix)
    {
        void Range(string field, double value, double min, double max, string unit)
        {
            if (double.IsNaN(value) || value < min || value > max)
                validation.Add($"{prefix}.{field}", "OutOfRange", $"'{prefix}.{field}' must be between {min} and {max}{unit} (got {value}).", min, max);
        }
        Range("maxMembers", MaxMembers, 2, MaxMembersLimit, " members");
        Range("maxSubOwnerCommunities", MaxSubOwnerCommunities, 1, MaxCommunitiesLimit, " communities");
        Range("silentDays", SilentDays, SilentDaysMin, SilentDaysMax, " days");
        Range("noContentDays", NoContentDays, 1, PlaybookAdvisor.ContentWindowDays, " days");
        Range("responseDropPoints", ResponseDropPoints, 1, 100, " points");
        Range("channelCostRatio", ChannelCostRatio, ChannelCostRatioMin, ChannelCostRatioMax, "");
    }
}
