using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WecomConnection : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "WeComChats");

            migrationBuilder.DropTable(
                name: "WeComGroupMessages");

            migrationBuilder.DropTable(
                name: "WeComConnections");
        }
    }
}
