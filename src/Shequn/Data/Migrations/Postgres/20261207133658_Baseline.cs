using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Baseline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AcquisitionChannels",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    OwnerStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    Cost = table.Column<decimal>(type: "numeric(12,2)", precision: 12, scale: 2, nullable: true),
                    CostUnit = table.Column<int>(type: "integer", nullable: false),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    ArchivedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AcquisitionChannels", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AspNetRoles",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    NormalizedName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ConcurrencyStamp = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetRoles", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "AuditEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ActorId = table.Column<Guid>(type: "uuid", nullable: true),
                    ActorName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    EntityType = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    EntityId = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Before = table.Column<string>(type: "character varying(16000)", maxLength: 16000, nullable: true),
                    After = table.Column<string>(type: "character varying(1048576)", maxLength: 1048576, nullable: true),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BudgetAlerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Month = table.Column<DateOnly>(type: "date", nullable: false),
                    Percent = table.Column<int>(type: "integer", nullable: false),
                    SpentFen = table.Column<long>(type: "bigint", nullable: false),
                    CapFen = table.Column<long>(type: "bigint", nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    AcknowledgedById = table.Column<Guid>(type: "uuid", nullable: true),
                    AcknowledgedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BudgetAlerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BudgetCaps",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    FromMonth = table.Column<DateOnly>(type: "date", nullable: false),
                    CapFen = table.Column<long>(type: "bigint", nullable: false),
                    SetById = table.Column<Guid>(type: "uuid", nullable: true),
                    SetAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BudgetCaps", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CampaignLinkKeys",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    ProtectedKey = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignLinkKeys", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "CommunityEvents",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    PlatformEventId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    OccurredAt = table.Column<long>(type: "bigint", nullable: false),
                    ReceivedAt = table.Column<long>(type: "bigint", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    ChatId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ChatTitle = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    UserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    UserName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    FromStaff = table.Column<bool>(type: "boolean", nullable: false),
                    ActorId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ActorName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    MessageKind = table.Column<int>(type: "integer", nullable: true),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ReplyToMessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Text = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true),
                    InviteLink = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    TopicId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ForwardedFrom = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    MediaId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ActionId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityEvents", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "CostEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Category = table.Column<int>(type: "integer", nullable: false),
                    Item = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    AmountFen = table.Column<long>(type: "bigint", nullable: false),
                    Quantity = table.Column<int>(type: "integer", nullable: true),
                    UnitCostFen = table.Column<long>(type: "bigint", nullable: true),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: true),
                    ChannelId = table.Column<Guid>(type: "uuid", nullable: true),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CreatedById = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CostEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DataProtectionKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    FriendlyName = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Xml = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataProtectionKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "EventCheckpoints",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Rewrites = table.Column<long>(type: "bigint", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    LeaseUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EventCheckpoints", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "InteractionEdges",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    FromMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    ToMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Replies = table.Column<int>(type: "integer", nullable: false),
                    Mentions = table.Column<int>(type: "integer", nullable: false),
                    Messages = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InteractionEdges", x => new { x.CommunityId, x.Day, x.FromMemberId, x.ToMemberId });
                });

            migrationBuilder.CreateTable(
                name: "InteractionMessages",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InteractionMessages", x => new { x.CommunityId, x.MessageId });
                });

            migrationBuilder.CreateTable(
                name: "PersonalDataReveals",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    StaffId = table.Column<Guid>(type: "uuid", nullable: false),
                    StaffName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Field = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PersonalDataReveals", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ProfileFields",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Key = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Options = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Required = table.Column<bool>(type: "boolean", nullable: false),
                    Personal = table.Column<bool>(type: "boolean", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProfileFields", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SkippedEvents",
                columns: table => new
                {
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SkippedEvents", x => x.Seq);
                });

            migrationBuilder.CreateTable(
                name: "TelegramBots",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    BotUserId = table.Column<long>(type: "bigint", nullable: false),
                    Username = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ProtectedToken = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    ProtectedWebhookSecret = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Mode = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    StatusDetail = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    StatusAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    PollOffset = table.Column<long>(type: "bigint", nullable: false),
                    PollLeaseOwner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    PollLeaseUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TelegramBots", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TelegramChats",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    BotId = table.Column<Guid>(type: "uuid", nullable: false),
                    ChatId = table.Column<long>(type: "bigint", nullable: false),
                    MigratedFromChatId = table.Column<long>(type: "bigint", nullable: true),
                    Title = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    Type = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    BotStatus = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Approval = table.Column<int>(type: "integer", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    AddedById = table.Column<long>(type: "bigint", nullable: true),
                    AddedByName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    SeenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TelegramChats", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TelegramRawUpdates",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    BotUserId = table.Column<long>(type: "bigint", nullable: false),
                    UpdateId = table.Column<long>(type: "bigint", nullable: false),
                    Reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Json = table.Column<string>(type: "character varying(64000)", maxLength: 64000, nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TelegramRawUpdates", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WeComConnections",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CorpId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ProtectedSecret = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    ProtectedToken = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    ProtectedAesKey = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    SecretHint = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    StatusDetail = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    StatusAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastSyncAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SyncLeaseOwner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    SyncLeaseUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WeComConnections", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Workspaces",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    TimeZone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, defaultValue: "Asia/Shanghai"),
                    Language = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false, defaultValue: "zh-CN"),
                    LifecycleNewDays = table.Column<int>(type: "integer", nullable: false, defaultValue: 7),
                    LifecycleSilentDays = table.Column<int>(type: "integer", nullable: false, defaultValue: 14),
                    LifecycleChurnDays = table.Column<int>(type: "integer", nullable: false, defaultValue: 30),
                    KeepMessageTextDays = table.Column<int>(type: "integer", nullable: true),
                    PurgeRequestedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PurgeDueAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Workspaces", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ChannelId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: true),
                    StaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    Name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Code = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Policy = table.Column<int>(type: "integer", nullable: false),
                    Target = table.Column<int>(type: "integer", nullable: false),
                    Limit = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Landing = table.Column<bool>(type: "boolean", nullable: false),
                    Title = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: true),
                    Intro = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    ChoiceQuestion = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: true),
                    ChoiceField = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    NeedQuestion = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: true),
                    NeedField = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    CollectPhone = table.Column<bool>(type: "boolean", nullable: false),
                    JoinRequests = table.Column<bool>(type: "boolean", nullable: false),
                    NextPosition = table.Column<int>(type: "integer", nullable: false),
                    FullSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LogoImageId = table.Column<Guid>(type: "uuid", nullable: true),
                    WeComConfigId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    WeComQrUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    WeComChatIds = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    WeComError = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    WeComErrorAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    RoutesSetAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodes_AcquisitionChannels_ChannelId",
                        column: x => x.ChannelId,
                        principalTable: "AcquisitionChannels",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "AspNetRoleClaims",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RoleId = table.Column<Guid>(type: "uuid", nullable: false),
                    ClaimType = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    ClaimValue = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetRoleClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetRoleClaims_AspNetRoles_RoleId",
                        column: x => x.RoleId,
                        principalTable: "AspNetRoles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WeComChats",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ConnectionId = table.Column<Guid>(type: "uuid", nullable: false),
                    ChatId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Owner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Notice = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    MemberVersion = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Members = table.Column<string>(type: "character varying(200000)", maxLength: 200000, nullable: false),
                    NeedsRefresh = table.Column<bool>(type: "boolean", nullable: false),
                    Dismissed = table.Column<bool>(type: "boolean", nullable: false),
                    RefreshedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Revision = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WeComChats", x => x.Id);
                    table.ForeignKey(
                        name: "FK_WeComChats_WeComConnections_ConnectionId",
                        column: x => x.ConnectionId,
                        principalTable: "WeComConnections",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WeComGroupMessages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ConnectionId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    ActionId = table.Column<Guid>(type: "uuid", nullable: false),
                    MsgId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ChatId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Sender = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Text = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true),
                    State = table.Column<int>(type: "integer", nullable: false),
                    SendStatus = table.Column<int>(type: "integer", nullable: true),
                    SentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CheckedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WeComGroupMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_WeComGroupMessages_WeComConnections_ConnectionId",
                        column: x => x.ConnectionId,
                        principalTable: "WeComConnections",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AdviceDismissals",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Rule = table.Column<int>(type: "integer", nullable: false),
                    SubjectId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Fingerprint = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    DismissedById = table.Column<Guid>(type: "uuid", nullable: true),
                    DismissedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AdviceDismissals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AdviceDismissals_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BlacklistEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    UserName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CaseId = table.Column<Guid>(type: "uuid", nullable: true),
                    AddedById = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlacklistEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BlacklistEntries_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "BrandDates",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    Month = table.Column<int>(type: "integer", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    Year = table.Column<int>(type: "integer", nullable: true),
                    Theme = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BrandDates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BrandDates_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Campaigns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    StartsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Audience = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    CommunityIds = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    GoalMetric = table.Column<int>(type: "integer", nullable: false),
                    GoalTarget = table.Column<long>(type: "bigint", nullable: false),
                    BudgetFen = table.Column<long>(type: "bigint", nullable: true),
                    Rewards = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Rules = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Page = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Slug = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    StockLeft = table.Column<int>(type: "integer", nullable: false),
                    CreatedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    PublishedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    PublishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CancelledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Campaigns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Campaigns_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CommunityCompetitions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    StartsOn = table.Column<DateOnly>(type: "date", nullable: false),
                    EndsOn = table.Column<DateOnly>(type: "date", nullable: false),
                    CommunityIds = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    Weights = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    CreatedById = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityCompetitions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CommunityCompetitions_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CommunityScoreSettings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Weights = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityScoreSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CommunityScoreSettings_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CommunityTags",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    NormalizedName = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    Color = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityTags", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CommunityTags_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "FeedbackSettings",
                columns: table => new
                {
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Rules = table.Column<string>(type: "character varying(32000)", maxLength: 32000, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedbackSettings", x => x.WorkspaceId);
                    table.ForeignKey(
                        name: "FK_FeedbackSettings_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LabelledMessage",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    IsSpam = table.Column<bool>(type: "boolean", nullable: false),
                    Text = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LabelledMessage", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LabelledMessage_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Members",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    City = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Industry = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Phone = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    Needs = table.Column<int>(type: "integer", nullable: false),
                    Channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Organisations = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Layer = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Stage = table.Column<int>(type: "integer", nullable: false),
                    StageChangedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LegalHold = table.Column<bool>(type: "boolean", nullable: false),
                    LegalHoldReason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    ConsentWithdrawnAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Members", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Members_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ModerationPolicy",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    AllowedDomains = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    DeniedDomains = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    CustomPatterns = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    BuiltInRules = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false, defaultValue: "[]"),
                    ReviewThreshold = table.Column<double>(type: "double precision", nullable: false),
                    ActThreshold = table.Column<double>(type: "double precision", nullable: false),
                    ListsStamp = table.Column<long>(type: "bigint", nullable: false),
                    ModelStamp = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModerationPolicy", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModerationPolicy_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ModerationWordList",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Category = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Weight = table.Column<double>(type: "double precision", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModerationWordList", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModerationWordList_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "OrderSettings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    AttributionDays = table.Column<int>(type: "integer", nullable: false),
                    ProtectedWebhookSecret = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    WebhookSecretAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrderSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OrderSettings_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PlaybookSettings",
                columns: table => new
                {
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    DaytimeStartMinute = table.Column<int>(type: "integer", nullable: false),
                    EveningStartMinute = table.Column<int>(type: "integer", nullable: false),
                    NightStartMinute = table.Column<int>(type: "integer", nullable: false),
                    MaxPostsPerDay = table.Column<int>(type: "integer", nullable: false),
                    MaxQuietDays = table.Column<int>(type: "integer", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlaybookSettings", x => x.WorkspaceId);
                    table.ForeignKey(
                        name: "FK_PlaybookSettings_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PointLevels",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    Threshold = table.Column<int>(type: "integer", nullable: false),
                    Rights = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PointLevels", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PointLevels_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PointRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Points = table.Column<int>(type: "integer", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    Keywords = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PointRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PointRules_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PostImages",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    FileName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ContentType = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    ByteSize = table.Column<int>(type: "integer", nullable: false),
                    Width = table.Column<int>(type: "integer", nullable: false),
                    Height = table.Column<int>(type: "integer", nullable: false),
                    Bytes = table.Column<byte[]>(type: "bytea", nullable: false),
                    Thumbnail = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PostImages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PostImages_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RuleSets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    IsDefault = table.Column<bool>(type: "boolean", nullable: false),
                    Template = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    Spec = table.Column<string>(type: "character varying(40000)", maxLength: 40000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RuleSets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RuleSets_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Scripts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Category = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Template = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    UsageCount = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Scripts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Scripts_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "SopTemplates",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Trigger = table.Column<int>(type: "integer", nullable: false),
                    Steps = table.Column<string>(type: "character varying(200000)", maxLength: 200000, nullable: false),
                    WeeksAhead = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SopTemplates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SopTemplates_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "StoredSpamModel",
                columns: table => new
                {
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Weights = table.Column<byte[]>(type: "bytea", nullable: false),
                    TrainingExamples = table.Column<int>(type: "integer", nullable: false),
                    SpamExamples = table.Column<int>(type: "integer", nullable: false),
                    HeldOut = table.Column<int>(type: "integer", nullable: false),
                    Accuracy = table.Column<double>(type: "double precision", nullable: true),
                    Precision = table.Column<double>(type: "double precision", nullable: true),
                    Recall = table.Column<double>(type: "double precision", nullable: true),
                    TrainedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StoredSpamModel", x => x.WorkspaceId);
                    table.ForeignKey(
                        name: "FK_StoredSpamModel_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Tags",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Tags", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Tags_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Topics",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Title = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Tags = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    Description = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    Questions = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    Template = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    CreatedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    UsageCount = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Topics", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Topics_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "WorkspaceDays",
                columns: table => new
                {
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    TimeZone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Joins = table.Column<int>(type: "integer", nullable: false),
                    Leaves = table.Column<int>(type: "integer", nullable: false),
                    Messages = table.Column<int>(type: "integer", nullable: false),
                    StaffMessages = table.Column<int>(type: "integer", nullable: false),
                    Speakers = table.Column<int>(type: "integer", nullable: false),
                    DeletedMessages = table.Column<int>(type: "integer", nullable: false),
                    Members = table.Column<int>(type: "integer", nullable: false),
                    DistinctMembers = table.Column<int>(type: "integer", nullable: false),
                    MembersListed = table.Column<int>(type: "integer", nullable: false),
                    ComputedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkspaceDays", x => new { x.WorkspaceId, x.Day });
                    table.ForeignKey(
                        name: "FK_WorkspaceDays_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodeLeads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    LiveCodeId = table.Column<Guid>(type: "uuid", nullable: false),
                    Phone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    Choice = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    Need = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ConsentText = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodeLeads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodeLeads_LiveCodes_LiveCodeId",
                        column: x => x.LiveCodeId,
                        principalTable: "LiveCodes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodeScans",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    LiveCodeId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Visitor = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Window = table.Column<long>(type: "bigint", nullable: false),
                    RouteId = table.Column<Guid>(type: "uuid", nullable: true),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    Choice = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodeScans", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodeScans_LiveCodes_LiveCodeId",
                        column: x => x.LiveCodeId,
                        principalTable: "LiveCodes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignItemStocks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    ItemIndex = table.Column<int>(type: "integer", nullable: false),
                    Taken = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignItemStocks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignItemStocks_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignLotteries",
                columns: table => new
                {
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Seed = table.Column<byte[]>(type: "bytea", nullable: false),
                    Commitment = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EntryCount = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DrawnAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EntriesHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Winners = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Warning = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignLotteries", x => x.CampaignId);
                    table.ForeignKey(
                        name: "FK_CampaignLotteries_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUsers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Role = table.Column<int>(type: "integer", nullable: false),
                    Culture = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    IsActive = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    UserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    NormalizedUserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Email = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    NormalizedEmail = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    EmailConfirmed = table.Column<bool>(type: "boolean", nullable: false),
                    PasswordHash = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    SecurityStamp = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    ConcurrencyStamp = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    PhoneNumber = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    PhoneNumberConfirmed = table.Column<bool>(type: "boolean", nullable: false),
                    TwoFactorEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    LockoutEnd = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LockoutEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    AccessFailedCount = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUsers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetUsers_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_AspNetUsers_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CampaignAssists",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Needed = table.Column<int>(type: "integer", nullable: false),
                    Helps = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignAssists", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignAssists_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignAssists_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignBargains",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StartPriceFen = table.Column<long>(type: "bigint", nullable: false),
                    FloorPriceFen = table.Column<long>(type: "bigint", nullable: false),
                    Helpers = table.Column<int>(type: "integer", nullable: false),
                    PriceFen = table.Column<long>(type: "bigint", nullable: false),
                    Cuts = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ReachedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PaidAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    OrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    PaidPriceFen = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignBargains", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignBargains_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignBargains_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignCardDraws",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    CardIndex = table.Column<int>(type: "integer", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignCardDraws", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignCardDraws_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignCardDraws_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignCheckIns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: true),
                    ByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Excluded = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignCheckIns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignCheckIns_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignCheckIns_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignClaims",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Quantity = table.Column<int>(type: "integer", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    PaidAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    OrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ReleasedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignClaims_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignClaims_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignGroups",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    LeaderMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Size = table.Column<int>(type: "integer", nullable: false),
                    MaxSize = table.Column<int>(type: "integer", nullable: false),
                    Seats = table.Column<int>(type: "integer", nullable: false),
                    Paid = table.Column<int>(type: "integer", nullable: false),
                    OpenedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ClosedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Virtual = table.Column<bool>(type: "boolean", nullable: false),
                    PriceFen = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignGroups", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignGroups_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignGroups_Members_LeaderMemberId",
                        column: x => x.LeaderMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignInvitations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    InviterMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    InviteeMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CountsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    SettledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignInvitations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignInvitations_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignInvitations_Members_InviteeMemberId",
                        column: x => x.InviteeMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignInvitations_Members_InviterMemberId",
                        column: x => x.InviterMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignLeads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Phone = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ConsentText = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    ConsentedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignLeads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignLeads_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignLeads_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignParticipants",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    InvitedByMemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    IsNewMember = table.Column<bool>(type: "boolean", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Units = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignParticipants", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignParticipants_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignParticipants_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignPointsAccounts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Spent = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignPointsAccounts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignPointsAccounts_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignPointsAccounts_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CampaignRedemptions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    ItemIndex = table.Column<int>(type: "integer", nullable: false),
                    ItemName = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Points = table.Column<int>(type: "integer", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DeliveredByStaffId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignRedemptions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignRedemptions_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignRedemptions_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignRewardGrants",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    RewardIndex = table.Column<int>(type: "integer", nullable: false),
                    Key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CostFen = table.Column<long>(type: "bigint", nullable: false),
                    HeldUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignRewardGrants", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignRewardGrants_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignRewardGrants_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LotteryEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Number = table.Column<int>(type: "integer", nullable: false),
                    Entry = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    EventSeq = table.Column<long>(type: "bigint", nullable: true),
                    EnteredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LotteryEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LotteryEntries_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LotteryEntries_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MemberFieldValues",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Key = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Value = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberFieldValues", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberFieldValues_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MemberIdentities",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberIdentities", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberIdentities_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberIdentities_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MemberMerges",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    IntoMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    MergedMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    MergedName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Profile = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Moves = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    MergedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    MergedById = table.Column<Guid>(type: "uuid", nullable: true),
                    UnmergedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UnmergedById = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberMerges", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberMerges_Members_IntoMemberId",
                        column: x => x.IntoMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberMerges_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MemberPointsEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Delta = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<int>(type: "integer", nullable: false),
                    ReasonText = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    EventSeq = table.Column<long>(type: "bigint", nullable: true),
                    Key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    RelatedMemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    StaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    OccurredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Skipped = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberPointsEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberPointsEntries_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberPointsEntries_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Orders",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ExternalId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    PlacedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    AmountFen = table.Column<long>(type: "bigint", nullable: false),
                    RefundedFen = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    Phone = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Platform = table.Column<int>(type: "integer", nullable: true),
                    PlatformUserId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ShareCode = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    MatchedBy = table.Column<int>(type: "integer", nullable: true),
                    MatchedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SharedCampaignId = table.Column<Guid>(type: "uuid", nullable: true),
                    SharedByMemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    Channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LiveCodeId = table.Column<Guid>(type: "uuid", nullable: true),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: true),
                    InviterMemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    Touch = table.Column<int>(type: "integer", nullable: true),
                    TouchAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    AttributionDays = table.Column<int>(type: "integer", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Orders", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Orders_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Orders_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ProfileLinks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UsedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ConsentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    WelcomeActionId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProfileLinks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ProfileLinks_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "QuizSubmissions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Answers = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Score = table.Column<int>(type: "integer", nullable: false),
                    Total = table.Column<int>(type: "integer", nullable: false),
                    Passed = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuizSubmissions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_QuizSubmissions_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_QuizSubmissions_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SwapItems",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    OwnerMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Title = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    AcceptedOfferId = table.Column<Guid>(type: "uuid", nullable: true),
                    SwappedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    HiddenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    HiddenReason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    HiddenByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SwapItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SwapItems_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SwapItems_Members_OwnerMemberId",
                        column: x => x.OwnerMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ModerationTerm",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WordListId = table.Column<Guid>(type: "uuid", nullable: false),
                    Text = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModerationTerm", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModerationTerm_ModerationWordList_WordListId",
                        column: x => x.WordListId,
                        principalTable: "ModerationWordList",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignPhotos",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: true),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    MediaId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ImageId = table.Column<Guid>(type: "uuid", nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    ReviewedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    ReviewedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignPhotos", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignPhotos_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignPhotos_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignPhotos_PostImages_ImageId",
                        column: x => x.ImageId,
                        principalTable: "PostImages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "Communities",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    Type = table.Column<int>(type: "integer", nullable: false),
                    SubType = table.Column<int>(type: "integer", nullable: false),
                    Tier = table.Column<int>(type: "integer", nullable: false),
                    Capacity = table.Column<int>(type: "integer", nullable: false),
                    Purpose = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Intro = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    Rules = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    State = table.Column<int>(type: "integer", nullable: false),
                    RuleSetId = table.Column<Guid>(type: "uuid", nullable: true),
                    NicknameFormatChecked = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Communities", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Communities_RuleSets_RuleSetId",
                        column: x => x.RuleSetId,
                        principalTable: "RuleSets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Communities_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "AutoReplyRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    Mode = table.Column<int>(type: "integer", nullable: false),
                    Keywords = table.Column<string>(type: "character varying(12000)", maxLength: 12000, nullable: false),
                    ReplyText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    ScriptId = table.Column<Guid>(type: "uuid", nullable: true),
                    AllCommunities = table.Column<bool>(type: "boolean", nullable: false),
                    CommunityIds = table.Column<string>(type: "character varying(40000)", maxLength: 40000, nullable: false),
                    CooldownSeconds = table.Column<int>(type: "integer", nullable: false),
                    QuietFromMinute = table.Column<int>(type: "integer", nullable: true),
                    QuietToMinute = table.Column<int>(type: "integer", nullable: true),
                    QuietMode = table.Column<int>(type: "integer", nullable: false),
                    HumanHandoff = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AutoReplyRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AutoReplyRules_Scripts_ScriptId",
                        column: x => x.ScriptId,
                        principalTable: "Scripts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_AutoReplyRules_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Posts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Title = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Link = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    ContentType = table.Column<int>(type: "integer", nullable: false),
                    ImageId = table.Column<Guid>(type: "uuid", nullable: true),
                    MiniProgramTitle = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    MiniProgramAppId = table.Column<string>(type: "character varying(18)", maxLength: 18, nullable: true),
                    MiniProgramPage = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    MiniProgramCoverId = table.Column<Guid>(type: "uuid", nullable: true),
                    Targets = table.Column<string>(type: "character varying(40000)", maxLength: 40000, nullable: false),
                    DueAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CreatedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    SopTemplateId = table.Column<Guid>(type: "uuid", nullable: true),
                    SopKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    JoinedOn = table.Column<DateOnly>(type: "date", nullable: true),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: true),
                    ApprovedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    ApprovedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Posts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Posts_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Posts_PostImages_ImageId",
                        column: x => x.ImageId,
                        principalTable: "PostImages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Posts_PostImages_MiniProgramCoverId",
                        column: x => x.MiniProgramCoverId,
                        principalTable: "PostImages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_Posts_SopTemplates_SopTemplateId",
                        column: x => x.SopTemplateId,
                        principalTable: "SopTemplates",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Posts_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MemberTags",
                columns: table => new
                {
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    TagId = table.Column<Guid>(type: "uuid", nullable: false),
                    AssignedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    RuleId = table.Column<Guid>(type: "uuid", nullable: true),
                    State = table.Column<int>(type: "integer", nullable: false),
                    ReviewedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ReviewedById = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberTags", x => new { x.MemberId, x.TagId });
                    table.ForeignKey(
                        name: "FK_MemberTags_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberTags_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "TagRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    TagId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Spec = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TagRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TagRules_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ConsentRecords",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    LeadId = table.Column<Guid>(type: "uuid", nullable: true),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    Page = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    NoticeVersion = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    NoticeText = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    GivenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    WithdrawnAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    WithdrawnVia = table.Column<int>(type: "integer", nullable: true),
                    WithdrawTokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConsentRecords", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ConsentRecords_LiveCodeLeads_LeadId",
                        column: x => x.LeadId,
                        principalTable: "LiveCodeLeads",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ConsentRecords_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ApiTokens",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    StaffUserId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastUsedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ApiTokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ApiTokens_AspNetUsers_StaffUserId",
                        column: x => x.StaffUserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ApiTokens_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserClaims",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    ClaimType = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    ClaimValue = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AspNetUserClaims_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserLogins",
                columns: table => new
                {
                    LoginProvider = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    ProviderKey = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    ProviderDisplayName = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserLogins", x => new { x.LoginProvider, x.ProviderKey });
                    table.ForeignKey(
                        name: "FK_AspNetUserLogins_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserRoles",
                columns: table => new
                {
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    RoleId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserRoles", x => new { x.UserId, x.RoleId });
                    table.ForeignKey(
                        name: "FK_AspNetUserRoles_AspNetRoles_RoleId",
                        column: x => x.RoleId,
                        principalTable: "AspNetRoles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AspNetUserRoles_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AspNetUserTokens",
                columns: table => new
                {
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    LoginProvider = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Name = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Value = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AspNetUserTokens", x => new { x.UserId, x.LoginProvider, x.Name });
                    table.ForeignKey(
                        name: "FK_AspNetUserTokens_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FriendAccounts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    StaffUserId = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    DailyLimit = table.Column<int>(type: "integer", nullable: false),
                    WindowStartHour = table.Column<int>(type: "integer", nullable: false),
                    WindowEndHour = table.Column<int>(type: "integer", nullable: false),
                    Active = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FriendAccounts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FriendAccounts_AspNetUsers_StaffUserId",
                        column: x => x.StaffUserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_FriendAccounts_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CampaignAssistHelps",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    AssistId = table.Column<Guid>(type: "uuid", nullable: false),
                    HelperMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignAssistHelps", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignAssistHelps_CampaignAssists_AssistId",
                        column: x => x.AssistId,
                        principalTable: "CampaignAssists",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignAssistHelps_Members_HelperMemberId",
                        column: x => x.HelperMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignBargainCuts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    BargainId = table.Column<Guid>(type: "uuid", nullable: false),
                    HelperMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    AmountFen = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignBargainCuts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignBargainCuts_CampaignBargains_BargainId",
                        column: x => x.BargainId,
                        principalTable: "CampaignBargains",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignBargainCuts_Members_HelperMemberId",
                        column: x => x.HelperMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignGroupSeats",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    GroupId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    PriceFen = table.Column<long>(type: "bigint", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    PaidAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    OrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ReleasedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignGroupSeats", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignGroupSeats_CampaignGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "CampaignGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignGroupSeats_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignCoupons",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Code = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    FaceValueFen = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    IssuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ValidUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UsedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    VoidedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    VoidedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    OrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    GrantId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignCoupons", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignCoupons_CampaignRewardGrants_GrantId",
                        column: x => x.GrantId,
                        principalTable: "CampaignRewardGrants",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_CampaignCoupons_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignCoupons_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "OrderLines",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrderId = table.Column<Guid>(type: "uuid", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    Sku = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ProductName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Category = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Quantity = table.Column<int>(type: "integer", nullable: false),
                    AmountFen = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrderLines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OrderLines_Orders_OrderId",
                        column: x => x.OrderId,
                        principalTable: "Orders",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SwapOffers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    ItemId = table.Column<Guid>(type: "uuid", nullable: false),
                    OffererMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Text = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    DecidedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    HiddenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    HiddenReason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    HiddenByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SwapOffers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SwapOffers_Members_OffererMemberId",
                        column: x => x.OffererMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SwapOffers_SwapItems_ItemId",
                        column: x => x.ItemId,
                        principalTable: "SwapItems",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CategoryCommunities",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Category = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CategoryCommunities", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CategoryCommunities_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CategoryCommunities_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CommunityDailyFigures",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Joins = table.Column<int>(type: "integer", nullable: false),
                    Leaves = table.Column<int>(type: "integer", nullable: false),
                    Messages = table.Column<int>(type: "integer", nullable: false),
                    StaffMessages = table.Column<int>(type: "integer", nullable: false),
                    Speakers = table.Column<int>(type: "integer", nullable: false),
                    DeletedMessages = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityDailyFigures", x => new { x.CommunityId, x.Day });
                    table.ForeignKey(
                        name: "FK_CommunityDailyFigures_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CommunityStaff",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    StaffUserId = table.Column<Guid>(type: "uuid", nullable: false),
                    Role = table.Column<int>(type: "integer", nullable: false),
                    AssignedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityStaff", x => new { x.CommunityId, x.StaffUserId });
                    table.ForeignKey(
                        name: "FK_CommunityStaff_AspNetUsers_StaffUserId",
                        column: x => x.StaffUserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CommunityStaff_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CommunityTagLinks",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    TagId = table.Column<Guid>(type: "uuid", nullable: false),
                    TaggedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityTagLinks", x => new { x.CommunityId, x.TagId });
                    table.ForeignKey(
                        name: "FK_CommunityTagLinks_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CommunityTagLinks_CommunityTags_TagId",
                        column: x => x.TagId,
                        principalTable: "CommunityTags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DailySpeakers",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Day = table.Column<DateOnly>(type: "date", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DailySpeakers", x => new { x.CommunityId, x.Day, x.MemberId });
                    table.ForeignKey(
                        name: "FK_DailySpeakers_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_DailySpeakers_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FeedbackTickets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    Text = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: true),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    UserName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Signal = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Department = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    AssignedStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    ResolutionNote = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    AnswerText = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: true),
                    AnswerActionId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedById = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ClosedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedbackTickets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FeedbackTickets_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_FeedbackTickets_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HandoffCooldowns",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    LastHandoffAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HandoffCooldowns", x => new { x.CommunityId, x.MemberId });
                    table.ForeignKey(
                        name: "FK_HandoffCooldowns_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_HandoffCooldowns_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodeRoutes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    LiveCodeId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    Choice = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    Filled = table.Column<int>(type: "integer", nullable: false),
                    Routed = table.Column<int>(type: "integer", nullable: false),
                    ReconciledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    JoinUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    LinkGeneration = table.Column<int>(type: "integer", nullable: false),
                    LinkLimit = table.Column<int>(type: "integer", nullable: true),
                    QrImageId = table.Column<Guid>(type: "uuid", nullable: true),
                    QrText = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    QrExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    QrRefreshAskedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodeRoutes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodeRoutes_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LiveCodeRoutes_LiveCodes_LiveCodeId",
                        column: x => x.LiveCodeId,
                        principalTable: "LiveCodes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MemberActivities",
                columns: table => new
                {
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Messages = table.Column<int>(type: "integer", nullable: false),
                    FirstSpokeAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastSpokeAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberActivities", x => new { x.CommunityId, x.MemberId });
                    table.ForeignKey(
                        name: "FK_MemberActivities_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberActivities_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MemberQuestions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    UserName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    EventSeq = table.Column<long>(type: "bigint", nullable: false),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    Text = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    AskedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    AnsweredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    AnswerSeconds = table.Column<int>(type: "integer", nullable: true),
                    AnsweredBySeq = table.Column<long>(type: "bigint", nullable: true),
                    AnsweredByKind = table.Column<int>(type: "integer", nullable: true),
                    AnsweredByUserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    AnsweredByName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    AnsweredByMemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    AnsweredByReply = table.Column<bool>(type: "boolean", nullable: false),
                    DismissedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DismissedById = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberQuestions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberQuestions_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Memberships",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LeftAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Nickname = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    NicknameBreaksFormat = table.Column<bool>(type: "boolean", nullable: true),
                    Channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    InviterMemberId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Memberships", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Memberships_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Memberships_Members_InviterMemberId",
                        column: x => x.InviterMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Memberships_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ModerationCases",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    UserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    UserName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    Text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    Decision = table.Column<int>(type: "integer", nullable: false),
                    Rule = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    Score = table.Column<double>(type: "double precision", nullable: false),
                    ModelScore = table.Column<double>(type: "double precision", nullable: true),
                    Evidence = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    Action = table.Column<int>(type: "integer", nullable: true),
                    Violations = table.Column<int>(type: "integer", nullable: false),
                    Verdict = table.Column<int>(type: "integer", nullable: false),
                    ReviewedById = table.Column<Guid>(type: "uuid", nullable: true),
                    ReviewedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UndoneAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UndoneById = table.Column<Guid>(type: "uuid", nullable: true),
                    UndoNote = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    OccurredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModerationCases", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModerationCases_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ModerationCases_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "OutboundActions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Payload = table.Column<string>(type: "character varying(16000)", maxLength: 16000, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    LeaseUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PlatformIds = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    ErrorCategory = table.Column<int>(type: "integer", nullable: true),
                    Error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    ErrorReason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    CausedByEventSeq = table.Column<long>(type: "bigint", nullable: true),
                    CausedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    IdempotencyKey = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Resolution = table.Column<int>(type: "integer", nullable: true),
                    ResolvedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    ResolvedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ResendOfId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboundActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OutboundActions_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlatformChats",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    ChatId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlatformChats", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlatformChats_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PlatformChats_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RitualNewcomers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: false),
                    Platform = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Nickname = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    WelcomeActionId = table.Column<Guid>(type: "uuid", nullable: true),
                    ReminderActionId = table.Column<Guid>(type: "uuid", nullable: true),
                    NicknameFixedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RitualNewcomers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RitualNewcomers_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RitualSettings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    WelcomeEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    WelcomeText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    BurstSeconds = table.Column<int>(type: "integer", nullable: false),
                    NicknameCheckEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    NicknameReminderMinutes = table.Column<int>(type: "integer", nullable: false),
                    NicknameReminderText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    NicknameThanksText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    SelfIntroEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    SelfIntroText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    IntroduceTaskEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    IntroduceTaskText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    QuietHoursEnabled = table.Column<bool>(type: "boolean", nullable: false),
                    QuietStartMinute = table.Column<int>(type: "integer", nullable: false),
                    QuietEndMinute = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RitualSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RitualSettings_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SandboxUploads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    FileName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ContentType = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Bytes = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SandboxUploads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SandboxUploads_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SandboxUploads_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ScriptOverrides",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    ScriptId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScriptOverrides", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ScriptOverrides_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ScriptOverrides_Scripts_ScriptId",
                        column: x => x.ScriptId,
                        principalTable: "Scripts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "SopApplications",
                columns: table => new
                {
                    TemplateId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    AppliedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    AppliedByStaffId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SopApplications", x => new { x.TemplateId, x.CommunityId });
                    table.ForeignKey(
                        name: "FK_SopApplications_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SopApplications_SopTemplates_TemplateId",
                        column: x => x.TemplateId,
                        principalTable: "SopTemplates",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "TopicSessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    TopicId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    HostKind = table.Column<int>(type: "integer", nullable: false),
                    HostStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    HostMemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    HostName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    StartsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Questions = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: false),
                    AnnouncementText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    AnnounceLeadMinutes = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    AnnouncementPostIds = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    FirstAnnouncementAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SummaryDraft = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: true),
                    SummaryActionId = table.Column<Guid>(type: "uuid", nullable: true),
                    SummaryPostedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CancelledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedByStaffId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TopicSessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TopicSessions_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_TopicSessions_Topics_TopicId",
                        column: x => x.TopicId,
                        principalTable: "Topics",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "VipInvitations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    ActionId = table.Column<Guid>(type: "uuid", nullable: true),
                    InvitedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    InvitedById = table.Column<Guid>(type: "uuid", nullable: true),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VipInvitations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_VipInvitations_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_VipInvitations_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "VipRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    PayingTagId = table.Column<Guid>(type: "uuid", nullable: true),
                    AnswersMin = table.Column<int>(type: "integer", nullable: false),
                    AnswersDays = table.Column<int>(type: "integer", nullable: false),
                    TenureDays = table.Column<int>(type: "integer", nullable: false),
                    AutoInviteCommunityId = table.Column<Guid>(type: "uuid", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VipRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_VipRules_Communities_AutoInviteCommunityId",
                        column: x => x.AutoInviteCommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_VipRules_Tags_PayingTagId",
                        column: x => x.PayingTagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_VipRules_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AutoReplyCooldowns",
                columns: table => new
                {
                    RuleId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    LastReplyAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AutoReplyCooldowns", x => new { x.RuleId, x.CommunityId });
                    table.ForeignKey(
                        name: "FK_AutoReplyCooldowns_AutoReplyRules_RuleId",
                        column: x => x.RuleId,
                        principalTable: "AutoReplyRules",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AutoReplyCooldowns_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PostDeliveries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    PostId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    DueAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Round = table.Column<int>(type: "integer", nullable: false),
                    ActionId = table.Column<Guid>(type: "uuid", nullable: true),
                    EnqueuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PostDeliveries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PostDeliveries_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PostDeliveries_Posts_PostId",
                        column: x => x.PostId,
                        principalTable: "Posts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "AutoTagRejections",
                columns: table => new
                {
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    TagId = table.Column<Guid>(type: "uuid", nullable: false),
                    RuleId = table.Column<Guid>(type: "uuid", nullable: false),
                    RejectedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RejectedById = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AutoTagRejections", x => new { x.MemberId, x.TagId, x.RuleId });
                    table.ForeignKey(
                        name: "FK_AutoTagRejections_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AutoTagRejections_TagRules_RuleId",
                        column: x => x.RuleId,
                        principalTable: "TagRules",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AutoTagRejections_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FriendLeads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Phone = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    SourceRef = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    Note = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    QueuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CarriedOver = table.Column<int>(type: "integer", nullable: false),
                    AccountId = table.Column<Guid>(type: "uuid", nullable: true),
                    PlanDay = table.Column<DateOnly>(type: "date", nullable: true),
                    PlanSlot = table.Column<int>(type: "integer", nullable: true),
                    PlannedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Greeting = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    GreetingKey = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    OutcomeAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    OutcomeById = table.Column<Guid>(type: "uuid", nullable: true),
                    OutcomeNote = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CreatedById = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FriendLeads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FriendLeads_FriendAccounts_AccountId",
                        column: x => x.AccountId,
                        principalTable: "FriendAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_FriendLeads_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_FriendLeads_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CampaignRefunds",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    SeatId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    OrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    AmountFen = table.Column<long>(type: "bigint", nullable: false),
                    Reason = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DoneAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Reference = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignRefunds", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignRefunds_CampaignGroupSeats_SeatId",
                        column: x => x.SeatId,
                        principalTable: "CampaignGroupSeats",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CohortJoins",
                columns: table => new
                {
                    MembershipId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    JoinWeek = table.Column<DateOnly>(type: "date", nullable: false),
                    TimeZone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Settled = table.Column<int>(type: "integer", nullable: false),
                    Stayed = table.Column<int>(type: "integer", nullable: false),
                    Spoke = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CohortJoins", x => x.MembershipId);
                    table.ForeignKey(
                        name: "FK_CohortJoins_Memberships_MembershipId",
                        column: x => x.MembershipId,
                        principalTable: "Memberships",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "StaffTasks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    ActionId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Text = table.Column<string>(type: "character varying(4596)", maxLength: 4596, nullable: false),
                    Context = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    AssignedRole = table.Column<int>(type: "integer", nullable: true),
                    AssignedStaffId = table.Column<Guid>(type: "uuid", nullable: false),
                    DueAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Note = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    ClosedById = table.Column<Guid>(type: "uuid", nullable: true),
                    ClosedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StaffTasks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_StaffTasks_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_StaffTasks_OutboundActions_ActionId",
                        column: x => x.ActionId,
                        principalTable: "OutboundActions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "LeaseOwner", "LeaseUntil", "Rewrites", "Seq", "UpdatedAt" },
                values: new object[,]
                {
                    { "autotags", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) },
                    { "campaigns", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) },
                    { "images", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) },
                    { "lifecycle", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) },
                    { "livecodes", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) },
                    { "lottery", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) },
                    { "processor", null, null, 0L, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) }
                });

            migrationBuilder.CreateIndex(
                name: "IX_AcquisitionChannels_WorkspaceId_Name",
                table: "AcquisitionChannels",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AdviceDismissals_WorkspaceId_Rule_SubjectId",
                table: "AdviceDismissals",
                columns: new[] { "WorkspaceId", "Rule", "SubjectId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ApiTokens_Hash",
                table: "ApiTokens",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ApiTokens_StaffUserId",
                table: "ApiTokens",
                column: "StaffUserId");

            migrationBuilder.CreateIndex(
                name: "IX_ApiTokens_WorkspaceId",
                table: "ApiTokens",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetRoleClaims_RoleId",
                table: "AspNetRoleClaims",
                column: "RoleId");

            migrationBuilder.CreateIndex(
                name: "RoleNameIndex",
                table: "AspNetRoles",
                column: "NormalizedName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserClaims_UserId",
                table: "AspNetUserClaims",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserLogins_UserId",
                table: "AspNetUserLogins",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUserRoles_RoleId",
                table: "AspNetUserRoles",
                column: "RoleId");

            migrationBuilder.CreateIndex(
                name: "EmailIndex",
                table: "AspNetUsers",
                column: "NormalizedEmail");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUsers_MemberId",
                table: "AspNetUsers",
                column: "MemberId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUsers_WorkspaceId",
                table: "AspNetUsers",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "UserNameIndex",
                table: "AspNetUsers",
                column: "NormalizedUserName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AuditEntries_WorkspaceId_At",
                table: "AuditEntries",
                columns: new[] { "WorkspaceId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_AutoReplyCooldowns_CommunityId",
                table: "AutoReplyCooldowns",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_AutoReplyRules_ScriptId",
                table: "AutoReplyRules",
                column: "ScriptId");

            migrationBuilder.CreateIndex(
                name: "IX_AutoReplyRules_WorkspaceId_Name",
                table: "AutoReplyRules",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AutoTagRejections_RuleId",
                table: "AutoTagRejections",
                column: "RuleId");

            migrationBuilder.CreateIndex(
                name: "IX_AutoTagRejections_TagId",
                table: "AutoTagRejections",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_BlacklistEntries_WorkspaceId_Platform_UserId",
                table: "BlacklistEntries",
                columns: new[] { "WorkspaceId", "Platform", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BrandDates_WorkspaceId",
                table: "BrandDates",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_BudgetAlerts_WorkspaceId_Month_Percent",
                table: "BudgetAlerts",
                columns: new[] { "WorkspaceId", "Month", "Percent" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BudgetCaps_WorkspaceId_FromMonth",
                table: "BudgetCaps",
                columns: new[] { "WorkspaceId", "FromMonth" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignAssistHelps_AssistId_HelperMemberId",
                table: "CampaignAssistHelps",
                columns: new[] { "AssistId", "HelperMemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignAssistHelps_AssistId_Position",
                table: "CampaignAssistHelps",
                columns: new[] { "AssistId", "Position" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignAssistHelps_HelperMemberId",
                table: "CampaignAssistHelps",
                column: "HelperMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignAssists_CampaignId_MemberId",
                table: "CampaignAssists",
                columns: new[] { "CampaignId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignAssists_MemberId",
                table: "CampaignAssists",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignBargainCuts_BargainId_HelperMemberId",
                table: "CampaignBargainCuts",
                columns: new[] { "BargainId", "HelperMemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignBargainCuts_BargainId_Position",
                table: "CampaignBargainCuts",
                columns: new[] { "BargainId", "Position" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignBargainCuts_HelperMemberId",
                table: "CampaignBargainCuts",
                column: "HelperMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignBargains_CampaignId_MemberId",
                table: "CampaignBargains",
                columns: new[] { "CampaignId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignBargains_MemberId",
                table: "CampaignBargains",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCardDraws_CampaignId_MemberId_Day",
                table: "CampaignCardDraws",
                columns: new[] { "CampaignId", "MemberId", "Day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCardDraws_MemberId",
                table: "CampaignCardDraws",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCheckIns_CampaignId_MemberId_Day",
                table: "CampaignCheckIns",
                columns: new[] { "CampaignId", "MemberId", "Day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCheckIns_MemberId",
                table: "CampaignCheckIns",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_CampaignId_MemberId",
                table: "CampaignClaims",
                columns: new[] { "CampaignId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_CampaignId_RequestId",
                table: "CampaignClaims",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_MemberId",
                table: "CampaignClaims",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_Status_ExpiresAt",
                table: "CampaignClaims",
                columns: new[] { "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCoupons_CampaignId_MemberId",
                table: "CampaignCoupons",
                columns: new[] { "CampaignId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCoupons_CampaignId_RequestId",
                table: "CampaignCoupons",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCoupons_Code",
                table: "CampaignCoupons",
                column: "Code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCoupons_GrantId",
                table: "CampaignCoupons",
                column: "GrantId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCoupons_MemberId",
                table: "CampaignCoupons",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroups_CampaignId_Status",
                table: "CampaignGroups",
                columns: new[] { "CampaignId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroups_LeaderMemberId",
                table: "CampaignGroups",
                column: "LeaderMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroups_Status_ExpiresAt",
                table: "CampaignGroups",
                columns: new[] { "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroupSeats_CampaignId_RequestId",
                table: "CampaignGroupSeats",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroupSeats_GroupId_MemberId",
                table: "CampaignGroupSeats",
                columns: new[] { "GroupId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroupSeats_MemberId",
                table: "CampaignGroupSeats",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignGroupSeats_Status_ExpiresAt",
                table: "CampaignGroupSeats",
                columns: new[] { "Status", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_CampaignId_InviteeMemberId",
                table: "CampaignInvitations",
                columns: new[] { "CampaignId", "InviteeMemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_CampaignId_InviterMemberId",
                table: "CampaignInvitations",
                columns: new[] { "CampaignId", "InviterMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_InviteeMemberId",
                table: "CampaignInvitations",
                column: "InviteeMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_InviterMemberId",
                table: "CampaignInvitations",
                column: "InviterMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_Status_CountsAt",
                table: "CampaignInvitations",
                columns: new[] { "Status", "CountsAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignItemStocks_CampaignId_ItemIndex",
                table: "CampaignItemStocks",
                columns: new[] { "CampaignId", "ItemIndex" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignLeads_CampaignId_MemberId",
                table: "CampaignLeads",
                columns: new[] { "CampaignId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignLeads_MemberId",
                table: "CampaignLeads",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignLotteries_DrawnAt_WorkspaceId",
                table: "CampaignLotteries",
                columns: new[] { "DrawnAt", "WorkspaceId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignParticipants_CampaignId_MemberId",
                table: "CampaignParticipants",
                columns: new[] { "CampaignId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignParticipants_MemberId",
                table: "CampaignParticipants",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPhotos_CampaignId_MemberId_Day",
                table: "CampaignPhotos",
                columns: new[] { "CampaignId", "MemberId", "Day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPhotos_CampaignId_Status",
                table: "CampaignPhotos",
                columns: new[] { "CampaignId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPhotos_ImageId",
                table: "CampaignPhotos",
                column: "ImageId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPhotos_MemberId",
                table: "CampaignPhotos",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPointsAccounts_MemberId",
                table: "CampaignPointsAccounts",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPointsAccounts_WorkspaceId_MemberId",
                table: "CampaignPointsAccounts",
                columns: new[] { "WorkspaceId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRedemptions_CampaignId_RequestId",
                table: "CampaignRedemptions",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRedemptions_MemberId",
                table: "CampaignRedemptions",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRedemptions_WorkspaceId_MemberId",
                table: "CampaignRedemptions",
                columns: new[] { "WorkspaceId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRefunds_CampaignId",
                table: "CampaignRefunds",
                column: "CampaignId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRefunds_SeatId_Reason",
                table: "CampaignRefunds",
                columns: new[] { "SeatId", "Reason" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRefunds_Status_NextAttemptAt",
                table: "CampaignRefunds",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRewardGrants_CampaignId_Key",
                table: "CampaignRewardGrants",
                columns: new[] { "CampaignId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRewardGrants_MemberId",
                table: "CampaignRewardGrants",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Campaigns_Slug",
                table: "Campaigns",
                column: "Slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Campaigns_WorkspaceId_StartsAt",
                table: "Campaigns",
                columns: new[] { "WorkspaceId", "StartsAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CategoryCommunities_CommunityId",
                table: "CategoryCommunities",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_CategoryCommunities_WorkspaceId_CommunityId_Category",
                table: "CategoryCommunities",
                columns: new[] { "WorkspaceId", "CommunityId", "Category" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_MemberId",
                table: "CohortJoins",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_WorkspaceId_Settled_JoinedAt",
                table: "CohortJoins",
                columns: new[] { "WorkspaceId", "Settled", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_WorkspaceId_TimeZone_JoinWeek_Channel_Settled_S~",
                table: "CohortJoins",
                columns: new[] { "WorkspaceId", "TimeZone", "JoinWeek", "Channel", "Settled", "Stayed", "Spoke", "CommunityId" });

            migrationBuilder.CreateIndex(
                name: "IX_Communities_RuleSetId",
                table: "Communities",
                column: "RuleSetId");

            migrationBuilder.CreateIndex(
                name: "IX_Communities_WorkspaceId_Name",
                table: "Communities",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CommunityCompetitions_WorkspaceId_StartsOn",
                table: "CommunityCompetitions",
                columns: new[] { "WorkspaceId", "StartsOn" });

            migrationBuilder.CreateIndex(
                name: "IX_CommunityDailyFigures_WorkspaceId_Day",
                table: "CommunityDailyFigures",
                columns: new[] { "WorkspaceId", "Day" });

            migrationBuilder.CreateIndex(
                name: "IX_CommunityEvents_WorkspaceId_Platform_PlatformEventId",
                table: "CommunityEvents",
                columns: new[] { "WorkspaceId", "Platform", "PlatformEventId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CommunityScoreSettings_WorkspaceId",
                table: "CommunityScoreSettings",
                column: "WorkspaceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CommunityStaff_StaffUserId",
                table: "CommunityStaff",
                column: "StaffUserId");

            migrationBuilder.CreateIndex(
                name: "IX_CommunityTagLinks_TagId",
                table: "CommunityTagLinks",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_CommunityTags_WorkspaceId_NormalizedName",
                table: "CommunityTags",
                columns: new[] { "WorkspaceId", "NormalizedName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_LeadId",
                table: "ConsentRecords",
                column: "LeadId");

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_MemberId",
                table: "ConsentRecords",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_WithdrawTokenHash",
                table: "ConsentRecords",
                column: "WithdrawTokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_WorkspaceId_GivenAt",
                table: "ConsentRecords",
                columns: new[] { "WorkspaceId", "GivenAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_CampaignId",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "CampaignId" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_ChannelId",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "ChannelId" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_CommunityId",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "CommunityId" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_Day",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "Day" });

            migrationBuilder.CreateIndex(
                name: "IX_DailySpeakers_MemberId",
                table: "DailySpeakers",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackTickets_CommunityId_CreatedAt",
                table: "FeedbackTickets",
                columns: new[] { "CommunityId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackTickets_MemberId",
                table: "FeedbackTickets",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackTickets_WorkspaceId_EventSeq",
                table: "FeedbackTickets",
                columns: new[] { "WorkspaceId", "EventSeq" },
                unique: true,
                filter: "\"Source\" = 0");

            migrationBuilder.CreateIndex(
                name: "IX_FeedbackTickets_WorkspaceId_Status_CreatedAt",
                table: "FeedbackTickets",
                columns: new[] { "WorkspaceId", "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_FriendAccounts_StaffUserId",
                table: "FriendAccounts",
                column: "StaffUserId");

            migrationBuilder.CreateIndex(
                name: "IX_FriendAccounts_WorkspaceId_Name",
                table: "FriendAccounts",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_AccountId_PlanDay_PlanSlot",
                table: "FriendLeads",
                columns: new[] { "AccountId", "PlanDay", "PlanSlot" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_MemberId",
                table: "FriendLeads",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_WorkspaceId_MemberId",
                table: "FriendLeads",
                columns: new[] { "WorkspaceId", "MemberId" },
                unique: true,
                filter: "\"Status\" IN (0, 1, 2) AND \"MemberId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_WorkspaceId_Phone",
                table: "FriendLeads",
                columns: new[] { "WorkspaceId", "Phone" },
                unique: true,
                filter: "\"Status\" IN (0, 1, 2) AND \"Phone\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_WorkspaceId_Status_QueuedAt",
                table: "FriendLeads",
                columns: new[] { "WorkspaceId", "Status", "QueuedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_HandoffCooldowns_MemberId",
                table: "HandoffCooldowns",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_InteractionMessages_At",
                table: "InteractionMessages",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_LabelledMessage_WorkspaceId",
                table: "LabelledMessage",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeLeads_LiveCodeId_At",
                table: "LiveCodeLeads",
                columns: new[] { "LiveCodeId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeRoutes_CommunityId",
                table: "LiveCodeRoutes",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeRoutes_LiveCodeId_CommunityId",
                table: "LiveCodeRoutes",
                columns: new[] { "LiveCodeId", "CommunityId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodes_ChannelId",
                table: "LiveCodes",
                column: "ChannelId");

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodes_Code",
                table: "LiveCodes",
                column: "Code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodes_WorkspaceId_ChannelId",
                table: "LiveCodes",
                columns: new[] { "WorkspaceId", "ChannelId" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeScans_LiveCodeId_At",
                table: "LiveCodeScans",
                columns: new[] { "LiveCodeId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeScans_LiveCodeId_Kind_Visitor_Window",
                table: "LiveCodeScans",
                columns: new[] { "LiveCodeId", "Kind", "Visitor", "Window" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LotteryEntries_CampaignId_MemberId",
                table: "LotteryEntries",
                columns: new[] { "CampaignId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LotteryEntries_CampaignId_Number",
                table: "LotteryEntries",
                columns: new[] { "CampaignId", "Number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LotteryEntries_MemberId",
                table: "LotteryEntries",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberActivities_MemberId",
                table: "MemberActivities",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberFieldValues_MemberId_Key",
                table: "MemberFieldValues",
                columns: new[] { "MemberId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MemberFieldValues_WorkspaceId_Key",
                table: "MemberFieldValues",
                columns: new[] { "WorkspaceId", "Key" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberIdentities_MemberId",
                table: "MemberIdentities",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberIdentities_WorkspaceId_Platform_UserId",
                table: "MemberIdentities",
                columns: new[] { "WorkspaceId", "Platform", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MemberMerges_IntoMemberId",
                table: "MemberMerges",
                column: "IntoMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberMerges_MergedMemberId",
                table: "MemberMerges",
                column: "MergedMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberMerges_WorkspaceId",
                table: "MemberMerges",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberPointsEntries_MemberId_Reason_OccurredAt",
                table: "MemberPointsEntries",
                columns: new[] { "MemberId", "Reason", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberPointsEntries_RelatedMemberId",
                table: "MemberPointsEntries",
                column: "RelatedMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberPointsEntries_WorkspaceId_Key",
                table: "MemberPointsEntries",
                columns: new[] { "WorkspaceId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_CommunityId_AnsweredAt_AskedAt_EventSeq",
                table: "MemberQuestions",
                columns: new[] { "CommunityId", "AnsweredAt", "AskedAt", "EventSeq" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_CommunityId_MessageId",
                table: "MemberQuestions",
                columns: new[] { "CommunityId", "MessageId" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_EventSeq",
                table: "MemberQuestions",
                column: "EventSeq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_WorkspaceId_AskedAt",
                table: "MemberQuestions",
                columns: new[] { "WorkspaceId", "AskedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_City",
                table: "Members",
                columns: new[] { "WorkspaceId", "City" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_CreatedAt",
                table: "Members",
                columns: new[] { "WorkspaceId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_DisplayName",
                table: "Members",
                columns: new[] { "WorkspaceId", "DisplayName" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_Layer",
                table: "Members",
                columns: new[] { "WorkspaceId", "Layer" });

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_Phone",
                table: "Members",
                columns: new[] { "WorkspaceId", "Phone" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_CommunityId_JoinedAt_LeftAt",
                table: "Memberships",
                columns: new[] { "CommunityId", "JoinedAt", "LeftAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_CommunityId_LeftAt_JoinedAt",
                table: "Memberships",
                columns: new[] { "CommunityId", "LeftAt", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_CommunityId_MemberId",
                table: "Memberships",
                columns: new[] { "CommunityId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_InviterMemberId",
                table: "Memberships",
                column: "InviterMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_MemberId",
                table: "Memberships",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_JoinedAt_LeftAt",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "JoinedAt", "LeftAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId_JoinedAt",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "LeftAt", "MemberId", "CommunityId", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_NicknameBreaksFormat_LeftAt_Communi~",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "NicknameBreaksFormat", "LeftAt", "CommunityId" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberTags_TagId",
                table: "MemberTags",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberTags_TagId_State",
                table: "MemberTags",
                columns: new[] { "TagId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_CommunityId",
                table: "ModerationCases",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_EventSeq_Rule",
                table: "ModerationCases",
                columns: new[] { "EventSeq", "Rule" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_WorkspaceId_CreatedAt",
                table: "ModerationCases",
                columns: new[] { "WorkspaceId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_WorkspaceId_Decision_Verdict",
                table: "ModerationCases",
                columns: new[] { "WorkspaceId", "Decision", "Verdict" });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_WorkspaceId_Platform_UserId_OccurredAt",
                table: "ModerationCases",
                columns: new[] { "WorkspaceId", "Platform", "UserId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationPolicy_WorkspaceId",
                table: "ModerationPolicy",
                column: "WorkspaceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ModerationTerm_WordListId_Text",
                table: "ModerationTerm",
                columns: new[] { "WordListId", "Text" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ModerationWordList_WorkspaceId_Name",
                table: "ModerationWordList",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OrderLines_OrderId",
                table: "OrderLines",
                column: "OrderId");

            migrationBuilder.CreateIndex(
                name: "IX_Orders_MemberId",
                table: "Orders",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_ExternalId",
                table: "Orders",
                columns: new[] { "WorkspaceId", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_MemberId",
                table: "Orders",
                columns: new[] { "WorkspaceId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_Phone",
                table: "Orders",
                columns: new[] { "WorkspaceId", "Phone" });

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_PlacedAt",
                table: "Orders",
                columns: new[] { "WorkspaceId", "PlacedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OrderSettings_WorkspaceId",
                table: "OrderSettings",
                column: "WorkspaceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundActions_CommunityId_CreatedAt",
                table: "OutboundActions",
                columns: new[] { "CommunityId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboundActions_Status_NextAttemptAt",
                table: "OutboundActions",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboundActions_WorkspaceId_IdempotencyKey",
                table: "OutboundActions",
                columns: new[] { "WorkspaceId", "IdempotencyKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundActions_WorkspaceId_Status_CreatedAt",
                table: "OutboundActions",
                columns: new[] { "WorkspaceId", "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PersonalDataReveals_WorkspaceId_MemberId_At",
                table: "PersonalDataReveals",
                columns: new[] { "WorkspaceId", "MemberId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_PlatformChats_CommunityId",
                table: "PlatformChats",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_PlatformChats_WorkspaceId_Platform_ChatId",
                table: "PlatformChats",
                columns: new[] { "WorkspaceId", "Platform", "ChatId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PointLevels_WorkspaceId_Name",
                table: "PointLevels",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PointLevels_WorkspaceId_Threshold",
                table: "PointLevels",
                columns: new[] { "WorkspaceId", "Threshold" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PointRules_WorkspaceId_Kind",
                table: "PointRules",
                columns: new[] { "WorkspaceId", "Kind" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PostDeliveries_CommunityId_DueAt",
                table: "PostDeliveries",
                columns: new[] { "CommunityId", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PostDeliveries_PostId_CommunityId",
                table: "PostDeliveries",
                columns: new[] { "PostId", "CommunityId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PostDeliveries_State_DueAt",
                table: "PostDeliveries",
                columns: new[] { "State", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PostDeliveries_WorkspaceId_DueAt",
                table: "PostDeliveries",
                columns: new[] { "WorkspaceId", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PostImages_WorkspaceId_CreatedAt",
                table: "PostImages",
                columns: new[] { "WorkspaceId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Posts_CampaignId",
                table: "Posts",
                column: "CampaignId");

            migrationBuilder.CreateIndex(
                name: "IX_Posts_ImageId",
                table: "Posts",
                column: "ImageId");

            migrationBuilder.CreateIndex(
                name: "IX_Posts_MiniProgramCoverId",
                table: "Posts",
                column: "MiniProgramCoverId");

            migrationBuilder.CreateIndex(
                name: "IX_Posts_SopTemplateId",
                table: "Posts",
                column: "SopTemplateId");

            migrationBuilder.CreateIndex(
                name: "IX_Posts_WorkspaceId_DueAt",
                table: "Posts",
                columns: new[] { "WorkspaceId", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Posts_WorkspaceId_SopKey",
                table: "Posts",
                columns: new[] { "WorkspaceId", "SopKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ProfileFields_WorkspaceId_Key",
                table: "ProfileFields",
                columns: new[] { "WorkspaceId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ProfileLinks_MemberId",
                table: "ProfileLinks",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_ProfileLinks_TokenHash",
                table: "ProfileLinks",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ProfileLinks_WelcomeActionId",
                table: "ProfileLinks",
                column: "WelcomeActionId");

            migrationBuilder.CreateIndex(
                name: "IX_QuizSubmissions_CampaignId_MemberId",
                table: "QuizSubmissions",
                columns: new[] { "CampaignId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_QuizSubmissions_MemberId",
                table: "QuizSubmissions",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_CommunityId_EventSeq",
                table: "RitualNewcomers",
                columns: new[] { "CommunityId", "EventSeq" });

            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_CommunityId_UserId_JoinedAt",
                table: "RitualNewcomers",
                columns: new[] { "CommunityId", "UserId", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_EventSeq",
                table: "RitualNewcomers",
                column: "EventSeq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_WelcomeActionId_WorkspaceId_EventSeq",
                table: "RitualNewcomers",
                columns: new[] { "WelcomeActionId", "WorkspaceId", "EventSeq" });

            migrationBuilder.CreateIndex(
                name: "IX_RitualSettings_CommunityId",
                table: "RitualSettings",
                column: "CommunityId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RitualSettings_WorkspaceId",
                table: "RitualSettings",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_RuleSets_WorkspaceId_Name",
                table: "RuleSets",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SandboxUploads_CommunityId",
                table: "SandboxUploads",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_SandboxUploads_WorkspaceId",
                table: "SandboxUploads",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_ScriptOverrides_CommunityId",
                table: "ScriptOverrides",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_ScriptOverrides_ScriptId_CommunityId",
                table: "ScriptOverrides",
                columns: new[] { "ScriptId", "CommunityId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Scripts_WorkspaceId_Category",
                table: "Scripts",
                columns: new[] { "WorkspaceId", "Category" });

            migrationBuilder.CreateIndex(
                name: "IX_Scripts_WorkspaceId_Name",
                table: "Scripts",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SkippedEvents_WorkspaceId",
                table: "SkippedEvents",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_SopApplications_CommunityId",
                table: "SopApplications",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_SopTemplates_WorkspaceId_Name",
                table: "SopTemplates",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_StaffTasks_ActionId",
                table: "StaffTasks",
                column: "ActionId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_StaffTasks_AssignedStaffId_Status",
                table: "StaffTasks",
                columns: new[] { "AssignedStaffId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_StaffTasks_CommunityId_Status",
                table: "StaffTasks",
                columns: new[] { "CommunityId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_StaffTasks_WorkspaceId_Status_DueAt",
                table: "StaffTasks",
                columns: new[] { "WorkspaceId", "Status", "DueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_SwapItems_CampaignId_OwnerMemberId",
                table: "SwapItems",
                columns: new[] { "CampaignId", "OwnerMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_SwapItems_CampaignId_RequestId",
                table: "SwapItems",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SwapItems_OwnerMemberId",
                table: "SwapItems",
                column: "OwnerMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_SwapOffers_CampaignId",
                table: "SwapOffers",
                column: "CampaignId");

            migrationBuilder.CreateIndex(
                name: "IX_SwapOffers_ItemId_OffererMemberId",
                table: "SwapOffers",
                columns: new[] { "ItemId", "OffererMemberId" },
                unique: true,
                filter: "\"Status\" = 0 AND \"HiddenAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_SwapOffers_OffererMemberId",
                table: "SwapOffers",
                column: "OffererMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_TagRules_TagId",
                table: "TagRules",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_TagRules_WorkspaceId_Enabled",
                table: "TagRules",
                columns: new[] { "WorkspaceId", "Enabled" });

            migrationBuilder.CreateIndex(
                name: "IX_Tags_WorkspaceId_Name",
                table: "Tags",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TelegramBots_BotUserId",
                table: "TelegramBots",
                column: "BotUserId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TelegramBots_WorkspaceId",
                table: "TelegramBots",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_TelegramChats_MigratedFromChatId",
                table: "TelegramChats",
                column: "MigratedFromChatId");

            migrationBuilder.CreateIndex(
                name: "IX_TelegramChats_WorkspaceId_ChatId",
                table: "TelegramChats",
                columns: new[] { "WorkspaceId", "ChatId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TelegramRawUpdates_BotUserId_UpdateId",
                table: "TelegramRawUpdates",
                columns: new[] { "BotUserId", "UpdateId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TelegramRawUpdates_WorkspaceId_ReceivedAt",
                table: "TelegramRawUpdates",
                columns: new[] { "WorkspaceId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Topics_WorkspaceId_Title",
                table: "Topics",
                columns: new[] { "WorkspaceId", "Title" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TopicSessions_CommunityId_StartsAt",
                table: "TopicSessions",
                columns: new[] { "CommunityId", "StartsAt" });

            migrationBuilder.CreateIndex(
                name: "IX_TopicSessions_TopicId",
                table: "TopicSessions",
                column: "TopicId");

            migrationBuilder.CreateIndex(
                name: "IX_TopicSessions_WorkspaceId_StartsAt",
                table: "TopicSessions",
                columns: new[] { "WorkspaceId", "StartsAt" });

            migrationBuilder.CreateIndex(
                name: "IX_VipInvitations_CommunityId_MemberId",
                table: "VipInvitations",
                columns: new[] { "CommunityId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_VipInvitations_MemberId",
                table: "VipInvitations",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_VipInvitations_WorkspaceId_MemberId",
                table: "VipInvitations",
                columns: new[] { "WorkspaceId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_VipRules_AutoInviteCommunityId",
                table: "VipRules",
                column: "AutoInviteCommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_VipRules_PayingTagId",
                table: "VipRules",
                column: "PayingTagId");

            migrationBuilder.CreateIndex(
                name: "IX_VipRules_WorkspaceId",
                table: "VipRules",
                column: "WorkspaceId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WeComChats_ConnectionId_ChatId",
                table: "WeComChats",
                columns: new[] { "ConnectionId", "ChatId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WeComChats_WorkspaceId_ChatId",
                table: "WeComChats",
                columns: new[] { "WorkspaceId", "ChatId" });

            migrationBuilder.CreateIndex(
                name: "IX_WeComConnections_WorkspaceId_CorpId",
                table: "WeComConnections",
                columns: new[] { "WorkspaceId", "CorpId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WeComGroupMessages_ActionId",
                table: "WeComGroupMessages",
                column: "ActionId");

            migrationBuilder.CreateIndex(
                name: "IX_WeComGroupMessages_CommunityId_CreatedAt",
                table: "WeComGroupMessages",
                columns: new[] { "CommunityId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_WeComGroupMessages_ConnectionId_State",
                table: "WeComGroupMessages",
                columns: new[] { "ConnectionId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_WorkspaceDays_WorkspaceId_EndsAt",
                table: "WorkspaceDays",
                columns: new[] { "WorkspaceId", "EndsAt" });

            // The stored days' triggers (Features/Events/WorkspaceDays.cs), which EF's model does not describe.
            migrationBuilder.Sql(Shequn.Features.Events.WorkspaceDayTriggers.PostgresUp);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Shequn.Features.Events.WorkspaceDayTriggers.PostgresDown);

            migrationBuilder.DropTable(
                name: "AdviceDismissals");

            migrationBuilder.DropTable(
                name: "ApiTokens");

            migrationBuilder.DropTable(
                name: "AspNetRoleClaims");

            migrationBuilder.DropTable(
                name: "AspNetUserClaims");

            migrationBuilder.DropTable(
                name: "AspNetUserLogins");

            migrationBuilder.DropTable(
                name: "AspNetUserRoles");

            migrationBuilder.DropTable(
                name: "AspNetUserTokens");

            migrationBuilder.DropTable(
                name: "AuditEntries");

            migrationBuilder.DropTable(
                name: "AutoReplyCooldowns");

            migrationBuilder.DropTable(
                name: "AutoTagRejections");

            migrationBuilder.DropTable(
                name: "BlacklistEntries");

            migrationBuilder.DropTable(
                name: "BrandDates");

            migrationBuilder.DropTable(
                name: "BudgetAlerts");

            migrationBuilder.DropTable(
                name: "BudgetCaps");

            migrationBuilder.DropTable(
                name: "CampaignAssistHelps");

            migrationBuilder.DropTable(
                name: "CampaignBargainCuts");

            migrationBuilder.DropTable(
                name: "CampaignCardDraws");

            migrationBuilder.DropTable(
                name: "CampaignCheckIns");

            migrationBuilder.DropTable(
                name: "CampaignClaims");

            migrationBuilder.DropTable(
                name: "CampaignCoupons");

            migrationBuilder.DropTable(
                name: "CampaignInvitations");

            migrationBuilder.DropTable(
                name: "CampaignItemStocks");

            migrationBuilder.DropTable(
                name: "CampaignLeads");

            migrationBuilder.DropTable(
                name: "CampaignLinkKeys");

            migrationBuilder.DropTable(
                name: "CampaignLotteries");

            migrationBuilder.DropTable(
                name: "CampaignParticipants");

            migrationBuilder.DropTable(
                name: "CampaignPhotos");

            migrationBuilder.DropTable(
                name: "CampaignPointsAccounts");

            migrationBuilder.DropTable(
                name: "CampaignRedemptions");

            migrationBuilder.DropTable(
                name: "CampaignRefunds");

            migrationBuilder.DropTable(
                name: "CategoryCommunities");

            migrationBuilder.DropTable(
                name: "CohortJoins");

            migrationBuilder.DropTable(
                name: "CommunityCompetitions");

            migrationBuilder.DropTable(
                name: "CommunityDailyFigures");

            migrationBuilder.DropTable(
                name: "CommunityEvents");

            migrationBuilder.DropTable(
                name: "CommunityScoreSettings");

            migrationBuilder.DropTable(
                name: "CommunityStaff");

            migrationBuilder.DropTable(
                name: "CommunityTagLinks");

            migrationBuilder.DropTable(
                name: "ConsentRecords");

            migrationBuilder.DropTable(
                name: "CostEntries");

            migrationBuilder.DropTable(
                name: "DailySpeakers");

            migrationBuilder.DropTable(
                name: "DataProtectionKeys");

            migrationBuilder.DropTable(
                name: "EventCheckpoints");

            migrationBuilder.DropTable(
                name: "FeedbackSettings");

            migrationBuilder.DropTable(
                name: "FeedbackTickets");

            migrationBuilder.DropTable(
                name: "FriendLeads");

            migrationBuilder.DropTable(
                name: "HandoffCooldowns");

            migrationBuilder.DropTable(
                name: "InteractionEdges");

            migrationBuilder.DropTable(
                name: "InteractionMessages");

            migrationBuilder.DropTable(
                name: "LabelledMessage");

            migrationBuilder.DropTable(
                name: "LiveCodeRoutes");

            migrationBuilder.DropTable(
                name: "LiveCodeScans");

            migrationBuilder.DropTable(
                name: "LotteryEntries");

            migrationBuilder.DropTable(
                name: "MemberActivities");

            migrationBuilder.DropTable(
                name: "MemberFieldValues");

            migrationBuilder.DropTable(
                name: "MemberIdentities");

            migrationBuilder.DropTable(
                name: "MemberMerges");

            migrationBuilder.DropTable(
                name: "MemberPointsEntries");

            migrationBuilder.DropTable(
                name: "MemberQuestions");

            migrationBuilder.DropTable(
                name: "MemberTags");

            migrationBuilder.DropTable(
                name: "ModerationCases");

            migrationBuilder.DropTable(
                name: "ModerationPolicy");

            migrationBuilder.DropTable(
                name: "ModerationTerm");

            migrationBuilder.DropTable(
                name: "OrderLines");

            migrationBuilder.DropTable(
                name: "OrderSettings");

            migrationBuilder.DropTable(
                name: "PersonalDataReveals");

            migrationBuilder.DropTable(
                name: "PlatformChats");

            migrationBuilder.DropTable(
                name: "PlaybookSettings");

            migrationBuilder.DropTable(
                name: "PointLevels");

            migrationBuilder.DropTable(
                name: "PointRules");

            migrationBuilder.DropTable(
                name: "PostDeliveries");

            migrationBuilder.DropTable(
                name: "ProfileFields");

            migrationBuilder.DropTable(
                name: "ProfileLinks");

            migrationBuilder.DropTable(
                name: "QuizSubmissions");

            migrationBuilder.DropTable(
                name: "RitualNewcomers");

            migrationBuilder.DropTable(
                name: "RitualSettings");

            migrationBuilder.DropTable(
                name: "SandboxUploads");

            migrationBuilder.DropTable(
                name: "ScriptOverrides");

            migrationBuilder.DropTable(
                name: "SkippedEvents");

            migrationBuilder.DropTable(
                name: "SopApplications");

            migrationBuilder.DropTable(
                name: "StaffTasks");

            migrationBuilder.DropTable(
                name: "StoredSpamModel");

            migrationBuilder.DropTable(
                name: "SwapOffers");

            migrationBuilder.DropTable(
                name: "TelegramBots");

            migrationBuilder.DropTable(
                name: "TelegramChats");

            migrationBuilder.DropTable(
                name: "TelegramRawUpdates");

            migrationBuilder.DropTable(
                name: "TopicSessions");

            migrationBuilder.DropTable(
                name: "VipInvitations");

            migrationBuilder.DropTable(
                name: "VipRules");

            migrationBuilder.DropTable(
                name: "WeComChats");

            migrationBuilder.DropTable(
                name: "WeComGroupMessages");

            migrationBuilder.DropTable(
                name: "WorkspaceDays");

            migrationBuilder.DropTable(
                name: "AspNetRoles");

            migrationBuilder.DropTable(
                name: "AutoReplyRules");

            migrationBuilder.DropTable(
                name: "TagRules");

            migrationBuilder.DropTable(
                name: "CampaignAssists");

            migrationBuilder.DropTable(
                name: "CampaignBargains");

            migrationBuilder.DropTable(
                name: "CampaignRewardGrants");

            migrationBuilder.DropTable(
                name: "CampaignGroupSeats");

            migrationBuilder.DropTable(
                name: "Memberships");

            migrationBuilder.DropTable(
                name: "CommunityTags");

            migrationBuilder.DropTable(
                name: "LiveCodeLeads");

            migrationBuilder.DropTable(
                name: "FriendAccounts");

            migrationBuilder.DropTable(
                name: "ModerationWordList");

            migrationBuilder.DropTable(
                name: "Orders");

            migrationBuilder.DropTable(
                name: "Posts");

            migrationBuilder.DropTable(
                name: "OutboundActions");

            migrationBuilder.DropTable(
                name: "SwapItems");

            migrationBuilder.DropTable(
                name: "Topics");

            migrationBuilder.DropTable(
                name: "WeComConnections");

            migrationBuilder.DropTable(
                name: "Scripts");

            migrationBuilder.DropTable(
                name: "Tags");

            migrationBuilder.DropTable(
                name: "CampaignGroups");

            migrationBuilder.DropTable(
                name: "LiveCodes");

            migrationBuilder.DropTable(
                name: "AspNetUsers");

            migrationBuilder.DropTable(
                name: "PostImages");

            migrationBuilder.DropTable(
                name: "SopTemplates");

            migrationBuilder.DropTable(
                name: "Communities");

            migrationBuilder.DropTable(
                name: "Campaigns");

            migrationBuilder.DropTable(
                name: "AcquisitionChannels");

            migrationBuilder.DropTable(
                name: "Members");

            migrationBuilder.DropTable(
                name: "RuleSets");

            migrationBuilder.DropTable(
                name: "Workspaces");
        }
    }
}
