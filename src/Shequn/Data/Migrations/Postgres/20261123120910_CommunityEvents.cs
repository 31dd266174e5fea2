using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CommunityEvents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
                    Speakers = table.Column<int>(type: "integer", nullable: false)
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
                    Text = table.Column<string>(type: "character varying(8000)", maxLength: 8000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CommunityEvents", x => x.Seq);
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
                name: "EventCheckpoints",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EventCheckpoints", x => x.Name);
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

            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "Seq", "UpdatedAt" },
                values: new object[] { "processor", 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) });

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
                name: "IX_DailySpeakers_MemberId",
                table: "DailySpeakers",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberActivities_MemberId",
                table: "MemberActivities",
                column: "MemberId");

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
                name: "IX_PlatformChats_CommunityId",
                table: "PlatformChats",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_PlatformChats_WorkspaceId_Platform_ChatId",
                table: "PlatformChats",
                columns: new[] { "WorkspaceId", "Platform", "ChatId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SkippedEvents_WorkspaceId",
                table: "SkippedEvents",
                column: "WorkspaceId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CommunityDailyFigures");

            migrationBuilder.DropTable(
                name: "CommunityEvents");

            migrationBuilder.DropTable(
                name: "DailySpeakers");

            migrationBuilder.DropTable(
                name: "EventCheckpoints");

            migrationBuilder.DropTable(
                name: "MemberActivities");

            migrationBuilder.DropTable(
                name: "MemberIdentities");

            migrationBuilder.DropTable(
                name: "PlatformChats");

            migrationBuilder.DropTable(
                name: "SkippedEvents");
        }
    }
}
