using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Enforcement;

/// <summary>
/// A named set of group rules (群规) a workspace applies to its communities. Exactly one per workspace is the
/// default (<see cref="IsDefault"/>): it applies to every community that has no rule set of its own
/// (<see cref="Community.RuleSetId"/>). What the rules say is one JSON document (<see cref="RuleSetSpec"/>),
/// so that a rule added later needs no migration.
/// </summary>
public sealed class RuleSet : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int SpecMaxLength = 40_000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }

    /// <summary>The workspace's default: applies where a community names no rule set.</summary>
    public bool IsDefault { get; set; }

    /// <summary>The template it was made from (<c>comprehensive</c>, <c>ads</c>, …), for display only.</summary>
    public string? Template { get; set; }

    /// <summary><see cref="RuleSetSpec"/> as JSON (<see cref="RuleSetSpec.ToJson"/>).</summary>
    public string Spec { get; set; } = "{}";

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>What each step of the escalation ladder does to a violator (each step includes deleting the message unless it is <see cref="Warn"/>).</summary>
public enum LadderAction
{
    /// <summary>A reply quoting the rule; the message stays.</summary>
    Warn = 0,
    /// <summary>The message is deleted and the sender warned.</summary>
    Delete = 1,
    /// <summary>Deleted, and the sender may not post for <see cref="LadderStep.MuteMinutes"/>.</summary>
    Mute = 2,
    /// <summary>Deleted, the sender removed, the removal announced in the group once per burst.</summary>
    Remove = 3,
    /// <summary>As <see cref="Remove"/>, and the sender goes on the workspace blacklist.</summary>
    Blacklist = 4,
}

public sealed record LadderStep(LadderAction Action, int MuteMinutes = 0);

/// <summary>Off, or noticed and logged for review, or acted on.</summary>
public enum RuleMode
{
    Off = 0,
    Flag = 1,
    Enforce = 2,
}

/// <summary>
/// The rules of a <see cref="RuleSet"/>. Every field has a sensible default so that an empty document is a
/// usable rule set; templates (seed 004) fill them differently.
/// </summary>
public sealed record RuleSetSpec
{
    // --- what is against the rules ---

    /// <summary>Commercial ads outside the ads community (the engine's score). Communities of the ads tier are exempt.</summary>
    public RuleMode Ads { get; init; } = RuleMode.Enforce;

    /// <summary>"Add me as a friend" / private-contact solicitation (seed 004: report to the owner).</summary>
    public RuleMode FriendSolicitation { get; init; } = RuleMode.Enforce;

    /// <summary>Votes, bargain and assist links (投票、砍价、助力) only with the owner's approval.</summary>
    public RuleMode VoteLinks { get; init; } = RuleMode.Enforce;

    /// <summary>Nickname format such as <c>城市-行业-昵称</c>; null: no format.</summary>
    public string? NicknameFormat { get; init; }

    public RuleMode Nickname { get; init; } = RuleMode.Off;

    /// <summary>Seed 004: at most this many communities per person (1 comprehensive + 1 category); 0: no limit.</summary>
    public int MaxCommunitiesPerMember { get; init; }

    public RuleMode MembershipLimit { get; init; } = RuleMode.Off;

    /// <summary>Flooding: more than <see cref="FloodMessages"/> messages within <see cref="FloodSeconds"/>; 0: off.</summary>
    public int FloodMessages { get; init; } = 6;

    public int FloodSeconds { get; init; } = 10;

    /// <summary>The same or near-same text in at least this many communities within <see cref="CrossCommunityMinutes"/>; 0: off.</summary>
    public int CrossCommunityCount { get; init; } = 2;

    public int CrossCommunityMinutes { get; init; } = 10;

    /// <summary>Members in their first hours are held to stricter thresholds; 0: off.</summary>
    public int NewMemberHours { get; init; } = 24;

    /// <summary>Message kinds that are ads by nature.</summary>
    public RuleMode QrCodeImages { get; init; } = RuleMode.Enforce;

    public RuleMode MiniProgramCards { get; init; } = RuleMode.Flag;

    public RuleMode RedPacketsFromOutsiders { get; init; } = RuleMode.Enforce;

    /// <summary>Links to domains that are not on the allow list (the workspace's plus <see cref="AllowedDomains"/>).</summary>
    public RuleMode UnlistedLinks { get; init; } = RuleMode.Flag;

    public IReadOnlyList<string> AllowedDomains { get; init; } = [];

    /// <summary>Thresholds for this rule set; null: the workspace's.</summary>
    public double? ReviewThreshold { get; init; }

    public double? ActThreshold { get; init; }

    // --- who is exempt ---

    public bool ExemptStaff { get; init; } = true;

    public bool ExemptKocs { get; init; } = true;

    /// <summary>Members (ids) exempt by name.</summary>
    public IReadOnlyList<Guid> ExemptMembers { get; init; } = [];

    // --- what happens ---

    /// <summary>The n-th violation within <see cref="EscalationMinutes"/> takes step n (the last step repeats).</summary>
    public IReadOnlyList<LadderStep> Ladder { get; init; } =
    [
        new(LadderAction.Delete),
        new(LadderAction.Mute, 60),
        new(LadderAction.Remove),
    ];

    public int EscalationMinutes { get; init; } = 24 * 60;

    /// <summary>Announce a removal in the group with the rule broken (seed 004), once per burst.</summary>
    public bool AnnounceRemovals { get; init; } = true;

    /// <summary>Wording; null: the script library's or the built-in text. <c>{name}</c> and <c>{rule}</c> are filled in.</summary>
    public string? WarningText { get; init; }

    public string? AnnouncementText { get; init; }

    /// <summary>This rule set's own regular expressions (checked like the workspace's: a pathological one is refused at save).</summary>
    public IReadOnlyList<Moderation.CustomPatternSpec> CustomPatterns { get; init; } = [];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RuleSetSpec FromJson(string? json) =>
        string.IsNullOrWhiteSpace(json) ? new RuleSetSpec() : JsonSerializer.Deserialize<RuleSetSpec>(json, Json) ?? new RuleSetSpec();
}

internal sealed class RuleSetConfiguration : IEntityTypeConfiguration<RuleSet>
{
    public void Configure(EntityTypeBuilder<RuleSet> b)
    {
        b.ToTable("RuleSets");
        b.Property(e => e.Name).HasMaxLength(RuleSet.NameMaxLength);
        b.Property(e => e.Template).HasMaxLength(50);
        b.Property(e => e.Spec).HasMaxLength(RuleSet.SpecMaxLength);
        b.HasIndex(e => new { e.WorkspaceId, e.Name }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}
