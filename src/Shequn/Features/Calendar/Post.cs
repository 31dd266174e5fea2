using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Scripts;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Calendar;

/// <summary>What a post is for (seed 001 §5's content types); the playbook lint reads it.</summary>
public enum ContentType
{
    /// <summary>今日爆品: the product of the day.</summary>
    ProductOfTheDay = 0,
    /// <summary>A campaign's announcement or progress.</summary>
    Campaign = 1,
    /// <summary>A game (guessing, red-packet rain, quiz).</summary>
    Game = 2,
    /// <summary>群接龙: members add their names (and orders) to a list.</summary>
    Solitaire = 3,
    /// <summary>种草: a recommendation that makes members want a product.</summary>
    Seeding = 4,
    /// <summary>品质保障: quality assurance (origin, tests, after-sales promises).</summary>
    QualityAssurance = 5,
    /// <summary>Knowledge: tips and tutorials.</summary>
    Knowledge = 6,
    /// <summary>A discussion topic (话题).</summary>
    Topic = 7,
}

public enum PostStatus
{
    /// <summary>Being written; nothing is sent. Operators' and admins' posts wait here for an owner or sub-owner.</summary>
    Draft = 0,
    /// <summary>Approved by an owner or sub-owner: each community's copy is sent at its time.</summary>
    Approved = 1,
    /// <summary>Withdrawn: what was not sent yet never will be.</summary>
    Cancelled = 2,
}

/// <summary>Where one community's copy of a post stands before the outbox takes it.</summary>
public enum DeliveryState
{
    /// <summary>The post is a draft.</summary>
    Draft = 0,
    /// <summary>Approved and waiting for its time.</summary>
    Scheduled = 1,
    /// <summary>Handed to the outbox (<see cref="PostDelivery.ActionId"/>): the action's status says the rest.</summary>
    Enqueued = 2,
    /// <summary>Its time passed while nothing could send it (the app was down) by more than the grace period.</summary>
    Missed = 3,
    /// <summary>Withdrawn before it was handed over (the post was cancelled, the community left the targets or was dissolved).</summary>
    Withdrawn = 4,
}

/// <summary>
/// Which communities a post goes to: those named (<see cref="CommunityIds"/>), and every active community matching the
/// kinds chosen among <see cref="Tiers"/>, <see cref="Platforms"/> and <see cref="TagIds"/>. Within a kind any value
/// matches (VIP paying or VIP core; tagged 华东 or 华南); the kinds chosen narrow one another (the VIP tiers' communities
/// on WeCom tagged 华东), as tiers and platforms always have; the communities named are added to what they match.
/// Resolved when the post is saved: a community tagged later gets no copy of a post saved before, until the post's
/// targets are saved again.
/// </summary>
public sealed record PostTargets(
    IReadOnlyList<Guid>? CommunityIds = null,
    IReadOnlyList<CommunityTier>? Tiers = null,
    IReadOnlyList<ChatPlatform>? Platforms = null,
    IReadOnlyList<Guid>? TagIds = null)
{
    public bool IsEmpty => (CommunityIds?.Count ?? 0) == 0 && !HasFilters;

    /// <summary>Whether it picks communities by tier, platform or tag (rather than only by name).</summary>
    public bool HasFilters => (Tiers?.Count ?? 0) > 0 || (Platforms?.Count ?? 0) > 0 || (TagIds?.Count ?? 0) > 0;
}

/// <summary>
/// A planned post (推送) to one or more communities at one time in the workspace's time zone. Each community's copy is
/// a <see cref="PostDelivery"/>; the <see cref="PostScheduler"/> hands due ones to the outbox, which sends them
/// through the community's connector (ADR-014).
/// </summary>
public sealed class Post : IWorkspaceOwned, IAudited
{
    public const int TitleMaxLength = 100;
    public const int LinkMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>A short label for the calendar (never sent).</summary>
    public required string Title { get; set; }
    /// <summary>The text with script variables (<see cref="PostTexts.Variables"/>), rendered per community when sent.</summary>
    public required string Text { get; set; }
    /// <summary>A link put under the text.</summary>
    public string? Link { get; set; }
    public ContentType ContentType { get; set; }
    /// <summary>An image sent with the text (<see cref="PostImage"/>): a photo with the text as its caption, or an attachment on WeCom.</summary>
    public Guid? ImageId { get; set; }
    /// <summary>A WeChat mini-program card (WeCom only): its title, appid, page path and cover image; all set or none.</summary>
    public string? MiniProgramTitle { get; set; }
    public string? MiniProgramAppId { get; set; }
    public string? MiniProgramPage { get; set; }
    public Guid? MiniProgramCoverId { get; set; }
    /// <summary><see cref="PostTargets"/> as JSON: what staff chose (the deliveries hold the communities it meant at save).</summary>
    public string Targets { get; set; } = "{}";
    /// <summary>When it is sent (UTC).</summary>
    public DateTime DueAt { get; set; }
    public PostStatus Status { get; set; }
    public Guid? CreatedByStaffId { get; set; }
    /// <summary>The SOP template that made it (<see cref="SopTemplate"/>), while it follows the template.</summary>
    public Guid? SopTemplateId { get; set; }
    /// <summary>Which occurrence of the template it is (<c>{template}:{community}:{step}:{day}</c>): applying again makes no second one.</summary>
    public string? SopKey { get; set; }
    /// <summary>
    /// For a post of an SOP step some days after members join: the day (workspace zone) the members it greets joined.
    /// When it is handed over, <c>{nickname}</c> names those of them still in the community; if none is, it is withdrawn.
    /// </summary>
    public DateOnly? JoinedOn { get; set; }
    /// <summary>The campaign it announces or reports on (<see cref="Campaigns.Campaign"/>), if any.</summary>
    public Guid? CampaignId { get; set; }
    public Guid? ApprovedByStaffId { get; set; }
    public DateTime? ApprovedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    /// <summary>A concurrency token: two edits of one post cannot both win.</summary>
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>Sells something: the lint wants these in the evening and never on every day of a week (seed 000 E).</summary>
    public static bool IsCommercial(ContentType type) =>
        type is ContentType.ProductOfTheDay or ContentType.Campaign or ContentType.Solitaire or ContentType.Seeding;

    /// <summary>A promotion, for the evening (seed 001 §5).</summary>
    public static bool IsPromotion(ContentType type) => type is ContentType.ProductOfTheDay or ContentType.Campaign;

    /// <summary>Asks members to take part, for the daytime (seed 001 §5).</summary>
    public static bool IsInteractive(ContentType type) => type is ContentType.Game or ContentType.Solitaire or ContentType.Topic;
}

/// <summary>
/// One community's copy of a post. The scheduler moves a due <see cref="DeliveryState.Scheduled"/> row to
/// <see cref="DeliveryState.Enqueued"/> in the transaction that writes its outbound action (key
/// <c>post:{post}:{community}:{round}</c>), so it is handed over once however many nodes look.
/// </summary>
public sealed class PostDelivery : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid PostId { get; set; }
    public Guid CommunityId { get; set; }
    /// <summary>The post's time, kept here so the scheduler and the calendar read one table.</summary>
    public DateTime DueAt { get; set; }
    public DeliveryState State { get; set; }
    /// <summary>How many times it was handed over before (a missed copy rescheduled goes again under a new key).</summary>
    public int Round { get; set; }
    public Guid? ActionId { get; set; }
    public DateTime? EnqueuedAt { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public static string KeyOf(Guid postId, Guid communityId, int round) =>
        FormattableString.Invariant($"post:{postId:N}:{communityId:N}:{round}");
}

/// <summary>The variables a post may use: it is written to a whole group, so nobody's nickname.</summary>
public static class PostTexts
{
    public static readonly IReadOnlyList<string> Variables = [ScriptText.Community, ScriptText.Intro, ScriptText.Rules];

    /// <summary>A post greeting the members who joined on one day (<see cref="Post.JoinedOn"/>) may also name them.</summary>
    public static readonly IReadOnlyList<string> NewcomerVariables = [.. Variables, ScriptText.Nickname];

    /// <summary>The text a community receives: variables filled, the link below it.</summary>
    public static string Render(Post post, Community community, string? newcomers = null)
    {
        var text = ScriptText.Render(post.Text, new Dictionary<string, string?>
        {
            [ScriptText.Community] = community.Name,
            [ScriptText.Intro] = community.Intro,
            [ScriptText.Rules] = community.Rules,
            [ScriptText.Nickname] = newcomers,
        });
        var full = string.IsNullOrEmpty(post.Link) ? text : text + "\n" + post.Link;
        return full.Length <= OutboundAction.TextMaxLength ? full : full[..OutboundAction.TextMaxLength];
    }

    /// <summary>
    /// A post's (or an SOP step's) text: required, within the length, and using only <see cref="Variables"/> (or
    /// <see cref="NewcomerVariables"/> for steps after members join).
    /// </summary>
    public static void Check(Platform.Api.Validation v, string field, string? text, bool newcomers = false)
    {
        v.Required(field, text?.Trim(), ScriptText.MaxLength);
        var allowed = newcomers ? NewcomerVariables : Variables;
        if (string.IsNullOrWhiteSpace(text) || ScriptText.Unknown(text, allowed) is not { Count: > 0 } unknown)
            return;
        var names = string.Join(", ", unknown.Select(x => "{" + x + "}"));
        var known = string.Join(", ", allowed.Select(x => "{" + x + "}"));
        v.Add(field, "UnknownVariables", $"'{field}' uses variables a post cannot fill: {names}; a post may use {known}.", names, known);
    }

    /// <summary>A link under a post: a web address within <see cref="Post.LinkMaxLength"/>; blank means none.</summary>
    public static void CheckLink(Platform.Api.Validation v, string field, string? link)
    {
        if (string.IsNullOrWhiteSpace(link))
            return;
        link = link.Trim();
        v.MaxLength(field, link, Post.LinkMaxLength);
        if (!Uri.TryCreate(link, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            v.Add(field, "BadLink", $"'{field}' must be a web address starting with https:// (got '{link}').", link);
    }

    /// <summary>The UTC bounds of the workspace's calendar day that holds <paramref name="utc"/> (WeCom's quota counts by it).</summary>
    public static (DateTime Start, DateTime End) DayOf(DateTime utc, TimeZoneInfo zone)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(utc, zone));
        return (Events.DailyFigures.StartOf(day, zone), Events.DailyFigures.StartOf(day.AddDays(1), zone));
    }

    /// <summary>WeCom's customer-group messages are mass sends (one a day per group); elsewhere a plain message.</summary>
    public static ActionKind KindFor(ChatPlatform platform) => platform == ChatPlatform.WeCom ? ActionKind.MassSend : ActionKind.Send;
}

internal sealed class PostConfiguration : IEntityTypeConfiguration<Post>
{
    public void Configure(EntityTypeBuilder<Post> b)
    {
        b.ToTable("Posts");
        b.HasKey(p => p.Id);
        b.Property(p => p.Title).HasMaxLength(Post.TitleMaxLength);
        b.Property(p => p.Text).HasMaxLength(ScriptText.MaxLength);
        b.Property(p => p.Link).HasMaxLength(Post.LinkMaxLength);
        b.Property(p => p.Targets).HasMaxLength(40_000);
        b.Property(p => p.MiniProgramTitle).HasMaxLength(PostMedia.MiniProgramTitleMaxBytes);
        b.Property(p => p.MiniProgramAppId).HasMaxLength(18);
        b.Property(p => p.MiniProgramPage).HasMaxLength(PostMedia.MiniProgramPageMaxLength);
        // An image stays while a post names it.
        b.HasOne<PostImage>().WithMany().HasForeignKey(p => p.ImageId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<PostImage>().WithMany().HasForeignKey(p => p.MiniProgramCoverId).OnDelete(DeleteBehavior.Restrict);
        b.Property(p => p.UpdatedAt).IsConcurrencyToken();
        b.HasIndex(p => new { p.WorkspaceId, p.DueAt });
        b.Property(p => p.SopKey).HasMaxLength(200);
        b.HasIndex(p => new { p.WorkspaceId, p.SopKey }).IsUnique();
        b.HasIndex(p => p.SopTemplateId);
        b.HasIndex(p => p.CampaignId);
        b.HasOne<Campaigns.Campaign>().WithMany().HasForeignKey(p => p.CampaignId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Workspace>().WithMany().HasForeignKey(p => p.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<SopTemplate>().WithMany().HasForeignKey(p => p.SopTemplateId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class PostDeliveryConfiguration : IEntityTypeConfiguration<PostDelivery>
{
    public void Configure(EntityTypeBuilder<PostDelivery> b)
    {
        b.ToTable("PostDeliveries");
        b.HasKey(d => d.Id);
        b.HasIndex(d => new { d.PostId, d.CommunityId }).IsUnique();
        // What the scheduler asks: scheduled copies whose time has come.
        b.HasIndex(d => new { d.State, d.DueAt });
        // What the calendar and the lint ask: a community's (or the workspace's) copies in a range of days.
        b.HasIndex(d => new { d.CommunityId, d.DueAt });
        b.HasIndex(d => new { d.WorkspaceId, d.DueAt });
        b.HasOne<Post>().WithMany().HasForeignKey(d => d.PostId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Community>().WithMany().HasForeignKey(d => d.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }
}
