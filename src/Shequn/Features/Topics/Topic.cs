using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Topics;

/// <summary>The three kinds of topic (seed 002 step 3).</summary>
public enum TopicKind
{
    /// <summary>万能话题: anyone can talk about it; for members staff do not know yet.</summary>
    Universal = 0,
    /// <summary>专业话题: the brand's own field (nutrition, ingredients, use).</summary>
    Professional = 1,
    /// <summary>个性话题: made for this community from what staff learned about its members.</summary>
    Personal = 2,
}

/// <summary>Where a session stands; derived from its times and cancellation (<see cref="TopicSession.StatusAt"/>), never stored.</summary>
public enum TopicSessionStatus
{
    /// <summary>Planned; no announcement has gone out yet.</summary>
    Planned = 0,
    /// <summary>The first announcement's time has passed; the session has not started.</summary>
    Announced = 1,
    Running = 2,
    /// <summary>Its end has passed: it was held.</summary>
    Done = 3,
    Cancelled = 4,
}

/// <summary>Who hosts a session.</summary>
public enum TopicHostKind
{
    /// <summary>A staff member of the workspace (<see cref="TopicSession.HostStaffId"/>).</summary>
    Staff = 0,
    /// <summary>A member, typically a KOC (<see cref="TopicSession.HostMemberId"/>).</summary>
    Member = 1,
    /// <summary>A guest Shequn does not know (an expert invited for the evening): only a name.</summary>
    Guest = 2,
}

/// <summary>
/// A topic (话题) of the workspace's library: a title, its kind, a few tags, and the question ladder a host works
/// through, from easy openers to deeper questions. <see cref="UsageCount"/> counts the sessions made from it.
/// </summary>
public sealed class Topic : IWorkspaceOwned, IAudited
{
    public const int TitleMaxLength = 100;
    public const int DescriptionMaxLength = 1000;
    public const int TagMaxLength = 20;
    public const int MaxTags = 8;
    public const int QuestionMaxLength = 300;
    public const int MaxQuestions = 20;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Title { get; set; }
    public TopicKind Kind { get; set; }
    /// <summary>A JSON array of short tags.</summary>
    public string Tags { get; set; } = "[]";
    public string? Description { get; set; }
    /// <summary>The question ladder, in order, as a JSON array.</summary>
    public string Questions { get; set; } = "[]";
    /// <summary>The built-in starter it was made from (<see cref="TopicTemplates"/>), for display only.</summary>
    public string? Template { get; set; }
    public Guid? CreatedByStaffId { get; set; }
    public int UsageCount { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public static IReadOnlyList<string> ReadList(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];

    private static readonly JsonSerializerOptions ListJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string WriteList(IEnumerable<string> items) => JsonSerializer.Serialize(items.ToList(), ListJson);
}

/// <summary>
/// A topic session (话题约局, seed 002 step 4) in one community: a host, a time, the questions to work through, the
/// announcements before it (posts on the content calendar, <see cref="AnnouncementPostIds"/>) and a summary after it,
/// posted once through the outbox (<see cref="SummaryActionId"/>).
/// </summary>
public sealed class TopicSession : IWorkspaceOwned, IAudited
{
    public const int HostNameMaxLength = 100;
    public const int MinMinutes = 15;
    public const int MaxMinutes = 8 * 60;
    public const int MaxLeads = 3;
    public const int MaxLeadMinutes = 7 * 24 * 60;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid TopicId { get; set; }
    public Guid CommunityId { get; set; }
    public TopicHostKind HostKind { get; set; }
    public Guid? HostStaffId { get; set; }
    public Guid? HostMemberId { get; set; }
    /// <summary>The host's name as it was at save (a guest's only identity).</summary>
    public required string HostName { get; set; }
    public DateTime StartsAt { get; set; }
    public DateTime EndsAt { get; set; }
    /// <summary>This session's ladder (the topic's, as staff adapted it), a JSON array.</summary>
    public string Questions { get; set; } = "[]";
    /// <summary>The announcement; null: the built-in one in the members' language.</summary>
    public string? AnnouncementText { get; set; }
    /// <summary>Minutes before the start each announcement goes out, a JSON array (e.g. [1440, 60]).</summary>
    public string AnnounceLeadMinutes { get; set; } = "[1440,60]";
    /// <summary>The calendar posts that announce it (a JSON array of post ids), oldest announcement first.</summary>
    public string AnnouncementPostIds { get; set; } = "[]";
    /// <summary>When the first announcement goes out (null: none), so status filters are a query.</summary>
    public DateTime? FirstAnnouncementAt { get; set; }
    /// <summary>The summary as staff edited it; null: the computed draft.</summary>
    public string? SummaryDraft { get; set; }
    /// <summary>The outbound action that posted the summary (key <c>topic:{id}:summary</c>), once posted.</summary>
    public Guid? SummaryActionId { get; set; }
    public DateTime? SummaryPostedAt { get; set; }
    public DateTime? CancelledAt { get; set; }
    public Guid? CreatedByStaffId { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>A concurrency token: two edits of one session cannot both win.</summary>
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public TopicSessionStatus StatusAt(DateTime now) =>
        CancelledAt is not null ? TopicSessionStatus.Cancelled
        : now >= EndsAt ? TopicSessionStatus.Done
        : now >= StartsAt ? TopicSessionStatus.Running
        : FirstAnnouncementAt is { } first && now >= first ? TopicSessionStatus.Announced
        : TopicSessionStatus.Planned;

    public IReadOnlyList<int> Leads() => JsonSerializer.Deserialize<List<int>>(AnnounceLeadMinutes) ?? [];

    public IReadOnlyList<Guid> PostIds() => JsonSerializer.Deserialize<List<Guid>>(AnnouncementPostIds) ?? [];

    public static string SummaryKey(Guid sessionId) => FormattableString.Invariant($"topic:{sessionId:N}:summary");
}

internal sealed class TopicConfiguration : IEntityTypeConfiguration<Topic>
{
    public void Configure(EntityTypeBuilder<Topic> b)
    {
        b.ToTable("Topics");
        b.HasKey(t => t.Id);
        b.Property(t => t.Title).HasMaxLength(Topic.TitleMaxLength);
        b.Property(t => t.Description).HasMaxLength(Topic.DescriptionMaxLength);
        b.Property(t => t.Tags).HasMaxLength(1000);
        b.Property(t => t.Questions).HasMaxLength(8000);
        b.Property(t => t.Template).HasMaxLength(50);
        // Titles are unique per workspace: two nodes making the starter topics at once make them once.
        b.HasIndex(t => new { t.WorkspaceId, t.Title }).IsUnique();
        b.HasOne<Workspace>().WithMany().HasForeignKey(t => t.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TopicSessionConfiguration : IEntityTypeConfiguration<TopicSession>
{
    public void Configure(EntityTypeBuilder<TopicSession> b)
    {
        b.ToTable("TopicSessions");
        b.HasKey(s => s.Id);
        b.Property(s => s.HostName).HasMaxLength(TopicSession.HostNameMaxLength);
        b.Property(s => s.Questions).HasMaxLength(8000);
        b.Property(s => s.AnnouncementText).HasMaxLength(Scripts.ScriptText.MaxLength);
        b.Property(s => s.AnnounceLeadMinutes).HasMaxLength(100);
        b.Property(s => s.AnnouncementPostIds).HasMaxLength(500);
        b.Property(s => s.SummaryDraft).HasMaxLength(Outbox.OutboundAction.TextMaxLength);
        b.Property(s => s.UpdatedAt).IsConcurrencyToken();
        // The session list and the volume: a community's (or the workspace's) sessions by time.
        b.HasIndex(s => new { s.CommunityId, s.StartsAt });
        b.HasIndex(s => new { s.WorkspaceId, s.StartsAt });
        b.HasIndex(s => s.TopicId);
        b.HasOne<Topic>().WithMany().HasForeignKey(s => s.TopicId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Community>().WithMany().HasForeignKey(s => s.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
