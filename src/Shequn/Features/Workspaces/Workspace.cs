namespace Shequn.Features.Workspaces;

public sealed class Workspace
{
    public const int NameMaxLength = 100;
    public const int TimeZoneMaxLength = 64;
    public const int LanguageMaxLength = 10;

    /// <summary>Where Shequn's first users work; every new workspace starts here.</summary>
    public const string DefaultTimeZone = "Asia/Shanghai";

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>
    /// IANA id of the zone the workspace's days and times are in: what "today" means on the dashboard, how daily
    /// figures are bucketed and how the console shows times. A change applies to events processed from then on;
    /// days already counted keep the buckets they were counted in.
    /// </summary>
    public string TimeZone { get; set; } = DefaultTimeZone;

    /// <summary>
    /// The language of what Shequn writes to members on its own, where no script gives the words (a VIP invitation's
    /// private message, the profile form until the visitor switches): <c>zh-CN</c> (the default) or <c>en</c>
    /// (<see cref="Platform.Localization.Cultures"/>). Staff read the console in their own language.
    /// </summary>
    public string Language { get; set; } = Platform.Localization.Cultures.Default;

    /// <summary>Members are new for this many days after their first join (see <see cref="Members.MemberStage"/>).</summary>
    public int LifecycleNewDays { get; set; } = 7;

    /// <summary>Members in a community with no message for this many days are silent.</summary>
    public int LifecycleSilentDays { get; set; } = 14;

    /// <summary>Members silent this many days (or gone from every community) are churned.</summary>
    public int LifecycleChurnDays { get; set; } = 30;

    /// <summary>The advisor's playbook numbers (<see cref="Advisor.AdvisorThresholds"/>); the seeds' by default.</summary>
    public int AdvisorMaxMembers { get; set; } = Advisor.AdvisorThresholds.Default.MaxMembers;

    public int AdvisorMaxSubOwnerCommunities { get; set; } = Advisor.AdvisorThresholds.Default.MaxSubOwnerCommunities;

    public int AdvisorSilentDays { get; set; } = Advisor.AdvisorThresholds.Default.SilentDays;

    public int AdvisorNoContentDays { get; set; } = Advisor.AdvisorThresholds.Default.NoContentDays;

    public int AdvisorResponseDropPoints { get; set; } = Advisor.AdvisorThresholds.Default.ResponseDropPoints;

    public double AdvisorChannelCostRatio { get; set; } = Advisor.AdvisorThresholds.Default.ChannelCostRatio;

    /// <summary>Longest retention the owner may set (about ten years); 0 or null keeps message text.</summary>
    public const int KeepMessageTextMaxDays = 3650;

    /// <summary>
    /// Members' raw words (message text, media ids, forwarded-from names, case and question texts) are cleared by
    /// <see cref="MessageRetention"/> once this many days old; figures stay. Null or 0: kept.
    /// </summary>
    public int? KeepMessageTextDays { get; set; }

    /// <summary>When the owner asked for the workspace to be purged (<see cref="WorkspacePurge"/>); null: not asked, or cancelled.</summary>
    public DateTime? PurgeRequestedAt { get; set; }

    /// <summary>When the purge job deletes every row of the workspace; the owner can cancel until then.</summary>
    public DateTime? PurgeDueAt { get; set; }

    /// <summary>
    /// When the purge job began deleting (<see cref="WorkspacePurgeJob"/>): from then on the event processor passes the
    /// workspace's events without applying them. Set once, under the processor's checkpoint lock.
    /// </summary>
    public DateTime? PurgeStartedAt { get; set; }
}
