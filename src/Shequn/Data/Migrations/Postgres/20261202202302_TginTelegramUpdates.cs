using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TginTelegramUpdates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PollLeaseOwner",
                table: "TelegramBots",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "PollLeaseUntil",
                table: "TelegramBots",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ForwardedFrom",
                table: "CommunityEvents",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InviteLink",
                table: "CommunityEvents",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TopicId",
                table: "CommunityEvents",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TelegramChats");

            migrationBuilder.DropTable(
                name: "TelegramRawUpdates");

            migrationBuilder.DropColumn(
                name: "PollLeaseOwner",
                table: "TelegramBots");

            migrationBuilder.DropColumn(
                name: "PollLeaseUntil",
                table: "TelegramBots");

            migrationBuilder.DropColumn(
                name: "ForwardedFrom",
                table: "CommunityEvents");

            migrationBuilder.DropColumn(
                name: "InviteLink",
                table: "CommunityEvents");

            migrationBuilder.DropColumn(
                name: "TopicId",
                table: "CommunityEvents");
        }
    }
}
