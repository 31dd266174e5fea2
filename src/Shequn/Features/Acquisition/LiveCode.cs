using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;

namespace Shequn.Features.Acquisition;

/// <summary>Where members come from (seed 000 E, seed 001 §4): the kinds a brand's channels fall into.</summary>
public enum ChannelKind
{
    OfficialAccount = 0,
    LiveStream = 1,
    CustomerService = 2,
    PackageCard = 3,
    FriendInvite = 4,
    ArticleFooter = 5,
    Moments = 6,
    OfflineEvent = 7,
    PaidAds = 8,
    ReviewCashBack = 9,
    PhoneInvitation = 10,
    Other = 11,
}

/// <summary>What a channel's cost is counted per: a month of running it, each join it brings, or once.</summary>
public enum CostUnit
{
    Month = 0,
    Join = 1,
    Total = 2,
}

/// <summary>
/// A source of members (渠道: 公众号, 直播间, a package card, …) with its cost and the staff member who owns it. Joins are
/// attributed to a channel through its live codes, or by name where a platform or staff entry names it.
/// </summary>
public sealed class AcquisitionChannel : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 50;
    public const int NoteMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public ChannelKind Kind { get; set; }
    public Guid? OwnerStaffId { get; set; }
    /// <summary>In yuan (ROI is computed from it later); null: no cost entered.</summary>
    public decimal? Cost { get; set; }
    public CostUnit CostUnit { get; set; }
    public string? Note { get; set; }
    public DateTime? ArchivedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>How a live code picks a community among its routes.</summary>
public enum RoutingPolicy
{
    /// <summary>Routes in order: each filled to the code's target before the next; when all reach it, the least full below the limit.</summary>
    FillToTarget = 0,
    LeastFull = 1,
    /// <summary>The routes whose choice (a city, a region, a tier) the visitor picked on the landing page, least full first; no match: fill in order.</summary>
    ByChoice = 2,
    RoundRobin = 3,
}

public enum LiveCodeState
{
    Active = 0,
    Paused = 1,
    Archived = 2,
}

/// <summary>
/// A live code (活码): a QR image and a short link (<c>/j/{Code}</c>), both stable forever, that send each visitor to a
/// community with room under <see cref="Policy"/>. Joins through it carry <see cref="Key"/> (Telegram invite-link
/// name, WeCom join_way <c>state</c>, the Sandbox's channel) and so are attributed to it and its channel.
/// </summary>
public sealed class LiveCode : IWorkspaceOwned, IAudited
{
    public const int CodeLength = 8;
    public const int NameMaxLength = 60;
    public const int TextMaxLength = 1000;
    public const int QuestionMaxLength = 60;
    public const int DefaultTarget = 150;
    /// <summary>Seed 000 E warns above 350; seed 004 keeps general groups at 100–150. 200 is the usual WeChat QR ceiling.</summary>
    public const int DefaultLimit = 200;
    public const int ErrorMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid ChannelId { get; set; }
    public Guid? CampaignId { get; set; }
    /// <summary>The staff member the code is for (their own code on a name card), or null.</summary>
    public Guid? StaffId { get; set; }
    public required string Name { get; set; }
    /// <summary>The short link's code: random, unique across workspaces, never reused.</summary>
    public required string Code { get; set; }
    public RoutingPolicy Policy { get; set; }
    /// <summary>Fill-to-target's target per community.</summary>
    public int Target { get; set; } = DefaultTarget;
    /// <summary>The operating limit: a community at or past it (or past its own capacity) gets nobody from this code.</summary>
    public int Limit { get; set; } = DefaultLimit;
    public LiveCodeState State { get; set; }
    /// <summary>Show the landing page (intro, rules, questions, the QR or button); off: the short link redirects straight to a group's link where it has one.</summary>
    public bool Landing { get; set; } = true;
    /// <summary>Landing page title and text; null: the first routed community's name and intro.</summary>
    public string? Title { get; set; }
    public string? Intro { get; set; }
    /// <summary>The question whose answer picks routes under <see cref="RoutingPolicy.ByChoice"/> ("您在哪个城市？"); the choices are the routes' labels.</summary>
    public string? ChoiceQuestion { get; set; }
    /// <summary>The profile template field (its key) the choice question's answer is written to; null: the answer only routes.</summary>
    public string? ChoiceField { get; set; }
    /// <summary>An optional free question (a need) whose answer is kept with the lead.</summary>
    public string? NeedQuestion { get; set; }
    /// <summary>The profile template field (a text field's key) the need question's answer is written to; null: kept with the lead only.</summary>
    public string? NeedField { get; set; }
    /// <summary>Offer phone capture (with consent) on the landing page.</summary>
    public bool CollectPhone { get; set; }
    /// <summary>Telegram links ask to join (approved automatically unless blacklisted) instead of carrying a member limit.</summary>
    public bool JoinRequests { get; set; } = true;
    /// <summary>Where round robin goes next (a position among the routes).</summary>
    public int NextPosition { get; set; }
    /// <summary>When the code last found every community full (staff were told once per episode); null while there is room.</summary>
    public DateTime? FullSince { get; set; }
    public Guid? LogoImageId { get; set; }
    /// <summary>WeCom: the join_way config (加入群聊) listing up to five of the routes, its QR image's URL and the chats it lists now.</summary>
    public string? WeComConfigId { get; set; }
    public string? WeComQrUrl { get; set; }
    public string? WeComChatIds { get; set; }
    /// <summary>WeCom's words for the upkeep's last failed call for this code, and when; cleared by the next call that succeeds.</summary>
    public string? WeComError { get; set; }
    public DateTime? WeComErrorAt { get; set; }
    /// <summary>
    /// When staff last took routes off the code (null: never). Groups WeCom opens for the join_way (auto_create_room) are
    /// added as routes only when they appeared after it, so a group staff took off does not come back by itself.
    /// </summary>
    public DateTime? RoutesSetAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    public List<LiveCodeRoute> Routes { get; set; } = [];

    /// <summary>What joins through the code carry: ≤ 30 characters for WeCom's state, ≤ 32 for a Telegram link name.</summary>
    public string Key => KeyOf(Code);

    public static string KeyOf(string code) => "lc-" + code;

    public static string NewCode() => RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", CodeLength);
}

/// <summary>
/// A community a live code may send visitors to, in order. <see cref="Filled"/> is what counts against the cap: the
/// members there when last reconciled plus every visitor routed since (a visitor sent there and not yet joined holds a
/// seat), moved only by a conditional update so that concurrent scans never pass the cap.
/// </summary>
public sealed class LiveCodeRoute : IWorkspaceOwned
{
    public const int ChoiceMaxLength = 30;
    public const int UrlMaxLength = 500;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid LiveCodeId { get; set; }
    public Guid CommunityId { get; set; }
    public int Position { get; set; }
    /// <summary>The landing page's answer that picks this route under <see cref="RoutingPolicy.ByChoice"/> (上海, 华东, VIP).</summary>
    public string? Choice { get; set; }
    public int Filled { get; set; }
    /// <summary>Visitors routed here since it was added (never reduced).</summary>
    public int Routed { get; set; }
    public DateTime? ReconciledAt { get; set; }
    /// <summary>Where a visitor joins: a Telegram invite link, a Sandbox join page; null while it is being made.</summary>
    public string? JoinUrl { get; set; }
    /// <summary>
    /// Telegram: which invite link of the route is current (its outbox key carries it, see <see cref="LiveCodeUpkeep.LinkKey"/>);
    /// moved on when the link is replaced (used up, or the code switched between join requests and a member limit).
    /// </summary>
    public int LinkGeneration { get; set; }
    /// <summary>Telegram: the member_limit the current link was (or is being) made with; null for a join-request link (and links made before generations).</summary>
    public int? LinkLimit { get; set; }
    /// <summary>Personal WeChat: the group QR image staff uploaded (a <c>PostImage</c>), what it decodes to, and when it stops working (7 days).</summary>
    public Guid? QrImageId { get; set; }
    public string? QrText { get; set; }
    public DateTime? QrExpiresAt { get; set; }
    /// <summary>When staff were asked to upload a fresh QR for the current one (once per image).</summary>
    public DateTime? QrRefreshAskedAt { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public LiveCode? LiveCode { get; set; }
    public Community? Community { get; set; }
}

public enum ScanKind
{
    /// <summary>The landing page was shown.</summary>
    Visit = 0,
    /// <summary>The visitor pressed join on the landing page and was routed.</summary>
    Join = 1,
    /// <summary>No landing page: the short link routed and redirected at once.</summary>
    Direct = 2,
}

/// <summary>
/// One scan of a live code, stored before the visitor is answered. A visitor (a hash of the address) counts once per
/// kind per burst window: a bot hammering the link adds nothing and takes no seats. <see cref="RouteId"/> is where a
/// join or direct scan was sent; null when every community was full.
/// </summary>
public sealed class LiveCodeScan : IWorkspaceOwned
{
    public const int VisitorLength = 16;

    public long Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid LiveCodeId { get; set; }
    public ScanKind Kind { get; set; }
    public DateTime At { get; set; }
    public required string Visitor { get; set; }
    /// <summary>The burst window the scan fell in (Unix seconds / window length).</summary>
    public long Window { get; set; }
    public Guid? RouteId { get; set; }
    public Guid? CommunityId { get; set; }
    public string? Choice { get; set; }
}

/// <summary>A phone (with consent) and answers left on a live code's landing page.</summary>
public sealed class LiveCodeLead : IWorkspaceOwned
{
    public const int PhoneMaxLength = 20;
    public const int AnswerMaxLength = 200;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid LiveCodeId { get; set; }
    public string? Phone { get; set; }
    public string? Choice { get; set; }
    public string? Need { get; set; }
    /// <summary>The consent line the visitor agreed to, as shown (required with a phone).</summary>
    public string? ConsentText { get; set; }
    /// <summary>The member with this phone, when one was known (their profile took the answers it lacked).</summary>
    public Guid? MemberId { get; set; }
    public DateTime At { get; set; } = DateTime.UtcNow;
}

internal sealed class AcquisitionConfiguration :
    IEntityTypeConfiguration<AcquisitionChannel>, IEntityTypeConfiguration<LiveCode>, IEntityTypeConfiguration<LiveCodeRoute>,
    IEntityTypeConfiguration<LiveCodeScan>, IEntityTypeConfiguration<LiveCodeLead>
{
    public void Configure(EntityTypeBuilder<AcquisitionChannel> b)
    {
        b.ToTable("AcquisitionChannels");
        b.Property(c => c.Name).HasMaxLength(AcquisitionChannel.NameMaxLength);
        b.Property(c => c.Note).HasMaxLength(AcquisitionChannel.NoteMaxLength);
        b.Property(c => c.Cost).HasPrecision(12, 2);
        b.HasIndex(c => new { c.WorkspaceId, c.Name }).IsUnique();
    }

    public void Configure(EntityTypeBuilder<LiveCode> b)
    {
        b.ToTable("LiveCodes");
        b.Property(c => c.Name).HasMaxLength(LiveCode.NameMaxLength);
        b.Property(c => c.Code).HasMaxLength(LiveCode.CodeLength);
        b.Property(c => c.Title).HasMaxLength(LiveCode.NameMaxLength);
        b.Property(c => c.Intro).HasMaxLength(LiveCode.TextMaxLength);
        b.Property(c => c.ChoiceQuestion).HasMaxLength(LiveCode.QuestionMaxLength);
        b.Property(c => c.NeedQuestion).HasMaxLength(LiveCode.QuestionMaxLength);
        b.Property(c => c.ChoiceField).HasMaxLength(Profiles.ProfileField.KeyMaxLength);
        b.Property(c => c.NeedField).HasMaxLength(Profiles.ProfileField.KeyMaxLength);
        b.Property(c => c.WeComConfigId).HasMaxLength(64);
        b.Property(c => c.WeComQrUrl).HasMaxLength(LiveCodeRoute.UrlMaxLength);
        b.Property(c => c.WeComChatIds).HasMaxLength(1000);
        b.Property(c => c.WeComError).HasMaxLength(LiveCode.ErrorMaxLength);
        b.Ignore(c => c.Key);
        b.HasIndex(c => c.Code).IsUnique();
        b.HasIndex(c => new { c.WorkspaceId, c.ChannelId });
        b.HasOne<AcquisitionChannel>().WithMany().HasForeignKey(c => c.ChannelId).OnDelete(DeleteBehavior.Restrict);
        b.HasMany(c => c.Routes).WithOne(r => r.LiveCode).HasForeignKey(r => r.LiveCodeId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<LiveCodeRoute> b)
    {
        b.ToTable("LiveCodeRoutes");
        b.Property(r => r.Choice).HasMaxLength(LiveCodeRoute.ChoiceMaxLength);
        b.Property(r => r.JoinUrl).HasMaxLength(LiveCodeRoute.UrlMaxLength);
        b.Property(r => r.QrText).HasMaxLength(LiveCodeRoute.UrlMaxLength);
        b.HasIndex(r => new { r.LiveCodeId, r.CommunityId }).IsUnique();
        b.HasIndex(r => r.CommunityId);
        b.HasOne(r => r.Community).WithMany().HasForeignKey(r => r.CommunityId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<LiveCodeScan> b)
    {
        b.ToTable("LiveCodeScans");
        b.Property(s => s.Visitor).HasMaxLength(LiveCodeScan.VisitorLength);
        b.Property(s => s.Choice).HasMaxLength(LiveCodeRoute.ChoiceMaxLength);
        // A visitor counts once per kind in a burst window, across nodes.
        b.HasIndex(s => new { s.LiveCodeId, s.Kind, s.Visitor, s.Window }).IsUnique();
        b.HasIndex(s => new { s.LiveCodeId, s.At });
        b.HasOne<LiveCode>().WithMany().HasForeignKey(s => s.LiveCodeId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<LiveCodeLead> b)
    {
        b.ToTable("LiveCodeLeads");
        b.Property(l => l.Phone).HasMaxLength(LiveCodeLead.PhoneMaxLength);
        b.Property(l => l.Choice).HasMaxLength(LiveCodeRoute.ChoiceMaxLength);
        b.Property(l => l.Need).HasMaxLength(LiveCodeLead.AnswerMaxLength);
        b.Property(l => l.ConsentText).HasMaxLength(500);
        b.HasIndex(l => new { l.LiveCodeId, l.At });
        b.HasOne<LiveCode>().WithMany().HasForeignKey(l => l.LiveCodeId).OnDelete(DeleteBehavior.Cascade);
    }
}
