using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Calendar;

/// <summary>When an SOP template's steps fall (LinkWeChat's group SOP has fixed dates, days after a member joins and after a group is created; weekdays are ours).</summary>
public enum SopTrigger
{
    /// <summary>Each step on its own date (<see cref="SopStep.Date"/>).</summary>
    FixedDates = 0,
    /// <summary>Each step every week on its weekdays (<see cref="SopStep.Weekdays"/>), planned <see cref="SopTemplate.WeeksAhead"/> weeks ahead.</summary>
    Weekdays = 1,
    /// <summary>Each step <see cref="SopStep.Day"/> days after the community was created (day 0 is that day).</summary>
    DaysAfterCommunityCreated = 2,
    /// <summary>
    /// Each step <see cref="SopStep.Day"/> days after members join (day 0 is the day they join): one post per community
    /// per day's newcomers, naming those still there when it is sent (<c>{nickname}</c>, see <see cref="Post.JoinedOn"/>).
    /// Members who joined before the template was applied to the community are not counted.
    /// </summary>
    DaysAfterMemberJoined = 3,
}

/// <summary>One post of a template: what, at which time of day (<c>HH:mm</c>, the workspace's zone), and on which day per the trigger.</summary>
public sealed record SopStep(
    string? Title,
    string? Text,
    ContentType? ContentType,
    string? Time,
    DateOnly? Date = null,
    IReadOnlyList<DayOfWeek>? Weekdays = null,
    int? Day = null,
    string? Link = null,
    Guid? ImageId = null);

/// <summary>
/// A repeating plan (SOP) applied to communities: applying makes each community's posts; editing the template changes
/// the posts not handed to the outbox yet (and withdraws those it no longer wants); deleting it either cancels those
/// or leaves them as ordinary posts, as staff choose.
/// </summary>
public sealed class SopTemplate : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 100;
    public const int MaxSteps = 50;
    public const int MaxWeeksAhead = 12;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public SopTrigger Trigger { get; set; }
    /// <summary>The steps as JSON (<see cref="SopStep"/>).</summary>
    public string Steps { get; set; } = "[]";
    /// <summary>How far ahead a weekly template is planned; the scheduler keeps the horizon moving.</summary>
    public int WeeksAhead { get; set; } = 4;
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public IReadOnlyList<SopStep> StepList => JsonSerializer.Deserialize<List<SopStep>>(Steps, PostPlanner.Json) ?? [];
}

/// <summary>A template applied to a community.</summary>
public sealed class SopApplication : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public Guid TemplateId { get; set; }
    public Guid CommunityId { get; set; }
    public DateTime AppliedAt { get; set; } = DateTime.UtcNow;
    /// <summary>Who applied it: its posts are approved when this staff member may approve.</summary>
    public Guid? AppliedByStaffId { get; set; }
}

internal sealed class SopTemplateConfiguration : IEntityTypeConfiguration<SopTemplate>
{
    public void Configure(EntityTypeBuilder<SopTemplate> b)
    {
        b.ToTable("SopTemplates");
        b.HasKey(t => t.Id);
        b.Property(t => t.Name).HasMaxLength(SopTemplate.NameMaxLength);
        b.Property(t => t.Steps).HasMaxLength(200_000);
        b.HasIndex(t => new { t.WorkspaceId, t.Name }).IsUnique();
        b.Ignore(t => t.StepList);
        b.HasOne<Workspace>().WithMany().HasForeignKey(t => t.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SopApplicationConfiguration : IEntityTypeConfiguration<SopApplication>
{
    public void Configure(EntityTypeBuilder<SopApplication> b)
    {
        b.ToTable("SopApplications");
        b.HasKey(a => new { a.TemplateId, a.CommunityId });
        b.HasIndex(a => a.CommunityId);
        b.HasOne<SopTemplate>().WithMany().HasForeignKey(a => a.TemplateId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Community>().WithMany().HasForeignKey(a => a.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
