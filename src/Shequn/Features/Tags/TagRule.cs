using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Moderation;
using Shequn.Platform.Api;

namespace Shequn.Features.Tags;

/// <summary>
/// What an auto-tag rule looks at. The first three are decided on events by <see cref="AutoTagger"/> (in the event
/// processor's transaction); the others daily by <see cref="AutoTagJob"/>, which also catches up the first two kinds'
/// members who were already inside before the rule existed. New kinds (orders) add a value and a case in the spec's check.
/// </summary>
public enum TagRuleKind
{
    /// <summary>Joined a community through a channel (<see cref="Membership.Channel"/>).</summary>
    Channel = 0,
    /// <summary>Said a keyword (or matched a regular expression) in a message.</summary>
    Keyword = 1,
    /// <summary>Is in a community.</summary>
    Community = 2,
    /// <summary>Spoke on at least N of the last M days.</summary>
    Active = 3,
    /// <summary>In a community, and no message for N days.</summary>
    Silent = 4,
    /// <summary>A profile field has a value.</summary>
    ProfileField = 5,
}

/// <summary>The profile fields a rule may test.</summary>
public enum TagRuleField
{
    City = 0,
    Industry = 1,
    Layer = 2,
    Needs = 3,
}

/// <summary>
/// A rule's parameters, stored as JSON so that a new kind needs no migration. Which fields matter depends on the kind
/// (<see cref="TagRuleSpecs.Validate"/> names each bad one as <c>spec.&lt;field&gt;</c>).
/// </summary>
public sealed record TagRuleSpec(
    string? Channel = null,
    string? Keyword = null,
    bool? Regex = null,
    Guid? CommunityId = null,
    int? Days = null,
    int? WithinDays = null,
    string? Field = null,
    string? Value = null)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TagRuleSpec FromJson(string? json) =>
        string.IsNullOrWhiteSpace(json) ? new TagRuleSpec() : JsonSerializer.Deserialize<TagRuleSpec>(json, Json) ?? new TagRuleSpec();
}

/// <summary>An auto-tag rule (tag + condition) of a workspace. Its tags start <see cref="MemberTagState.Suggested"/>.</summary>
public sealed class TagRule : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int SpecMaxLength = 2000;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid TagId { get; set; }
    public required string Name { get; set; }
    public TagRuleKind Kind { get; set; }
    /// <summary>A <see cref="TagRuleSpec"/> as JSON.</summary>
    public string Spec { get; set; } = "{}";
    public bool Enabled { get; set; } = true;
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public Tag? Tag { get; set; }

    public TagRuleSpec SpecRecord => TagRuleSpec.FromJson(Spec);

    public static bool IsEventDriven(TagRuleKind kind) => kind is TagRuleKind.Channel or TagRuleKind.Keyword or TagRuleKind.Community;
}

internal sealed class TagRuleConfiguration : IEntityTypeConfiguration<TagRule>
{
    public void Configure(EntityTypeBuilder<TagRule> b)
    {
        b.ToTable("TagRules");
        b.HasKey(r => r.Id);
        b.Property(r => r.Name).HasMaxLength(TagRule.NameMaxLength);
        b.Property(r => r.Spec).HasMaxLength(TagRule.SpecMaxLength);
        b.HasOne(r => r.Tag).WithMany().HasForeignKey(r => r.TagId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(r => new { r.WorkspaceId, r.Enabled });
        b.Ignore(r => r.SpecRecord);
    }
}

/// <summary>The review state of tags: the tag page's report counts by it.</summary>
internal sealed class MemberTagReviewConfiguration : IEntityTypeConfiguration<MemberTag>
{
    public void Configure(EntityTypeBuilder<MemberTag> b) => b.HasIndex(e => new { e.TagId, e.State });
}

/// <summary>Checks a rule's spec for its kind; every error names the field (<c>spec.keyword</c>).</summary>
public static class TagRuleSpecs
{
    public const int MaxDays = 365;
    public const int KeywordMaxLength = 200;

    /// <summary>Normalises <paramref name="spec"/> (trimmed, only the kind's fields kept) when it is valid.</summary>
    public static TagRuleSpec Validate(Validation v, TagRuleKind kind, TagRuleSpec? spec, ISet<Guid> communities)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(communities);
        spec ??= new TagRuleSpec();
        switch (kind)
        {
            case TagRuleKind.Channel:
                v.Required("spec.channel", spec.Channel?.Trim(), Member.FieldMaxLength);
                CommunityScope(v, spec, communities, required: false);
                return new TagRuleSpec(Channel: spec.Channel?.Trim(), CommunityId: spec.CommunityId);
            case TagRuleKind.Keyword:
                var keyword = spec.Keyword?.Trim();
                v.Required("spec.keyword", keyword, KeywordMaxLength);
                if (spec.Regex == true && !string.IsNullOrEmpty(keyword) && !CustomPattern.TryCreate("keyword", keyword, 1, out _, out var error))
                    v.Add("spec.keyword", "BadPattern", $"'spec.keyword' is refused as a regular expression: {error}.", keyword, error!);
                CommunityScope(v, spec, communities, required: false);
                return new TagRuleSpec(Keyword: keyword, Regex: spec.Regex == true ? true : null, CommunityId: spec.CommunityId);
            case TagRuleKind.Community:
                CommunityScope(v, spec, communities, required: true);
                return new TagRuleSpec(CommunityId: spec.CommunityId);
            case TagRuleKind.Active:
                Range(v, "spec.withinDays", spec.WithinDays);
                Range(v, "spec.days", spec.Days);
                if (v.IsValid && spec.Days > spec.WithinDays)
                    v.Add("spec.days", "DaysMoreThanWindow", $"'spec.days' ({spec.Days}) cannot be more than 'spec.withinDays' ({spec.WithinDays}).", spec.Days!, spec.WithinDays!);
                return new TagRuleSpec(Days: spec.Days, WithinDays: spec.WithinDays);
            case TagRuleKind.Silent:
                Range(v, "spec.days", spec.Days);
                return new TagRuleSpec(Days: spec.Days);
            case TagRuleKind.ProfileField:
                if (FieldOf(spec) is not { } field)
                {
                    v.Add("spec.field", "Required", "'spec.field' must be one of city, industry, layer, needs.");
                    return spec;
                }
                var value = spec.Value?.Trim();
                v.Required("spec.value", value, Member.FieldMaxLength);
                if (!string.IsNullOrEmpty(value))
                {
                    if (field == TagRuleField.Layer && !Enum.TryParse<MemberLayer>(value, ignoreCase: true, out _))
                        v.Add("spec.value", "UnknownValue", "'spec.value' must be a layer: regular, vip, koc, core.", value);
                    if (field == TagRuleField.Needs && (!Enum.TryParse<MemberNeeds>(value, ignoreCase: true, out var needs) || needs == MemberNeeds.None))
                        v.Add("spec.value", "UnknownValue", "'spec.value' must be a need: business, knowledge, life.", value);
                }
                return new TagRuleSpec(Field: JsonNamingPolicy.CamelCase.ConvertName(field.ToString()), Value: value);
            default:
                v.Add("kind", "UnknownValue", "'kind' must be one of channel, keyword, community, active, silent, profileField.", kind.ToString());
                return spec;
        }
    }

    /// <summary>The profile field a spec names (any case), or null.</summary>
    public static TagRuleField? FieldOf(TagRuleSpec spec) =>
        Enum.TryParse<TagRuleField>(spec?.Field?.Trim(), ignoreCase: true, out var f) && Enum.IsDefined(f) && !int.TryParse(spec!.Field, out _) ? f : null;

    private static void Range(Validation v, string field, int? days)
    {
        if (days is not { } d)
            v.Add(field, "Required", $"'{field}' is required.");
        else if (d is < 1 or > MaxDays)
            v.Add(field, "OutOfRange", $"'{field}' must be between 1 and {MaxDays} days (got {d}).", 1, MaxDays);
    }

    private static void CommunityScope(Validation v, TagRuleSpec spec, ISet<Guid> communities, bool required)
    {
        if (spec.CommunityId is { } id)
        {
            if (!communities.Contains(id))
                v.Add("spec.communityId", "UnknownCommunity", $"Unknown community '{id}'.", id);
        }
        else if (required)
        {
            v.Add("spec.communityId", "Required", "'spec.communityId' is required.");
        }
    }
}
