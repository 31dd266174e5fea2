using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
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
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "PollLeaseUntil",
                table: "TelegramBots",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ForwardedFrom",
                table: "CommunityEvents",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "InviteLink",
                table: "CommunityEvents",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "TopicId",
                table: "CommunityEvents",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "TelegramChats",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    BotId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ChatId = table.Column<long>(type: "INTEGER", nullable: false),
                    MigratedFromChatId = table.Column<long>(type: "INTEGER", nullable: true),
                    Title = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    BotStatus = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Approval = table.Column<int>(type: "INTEGER", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    AddedById = table.Column<long>(type: "INTEGER", nullable: true),
                    AddedByName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    SeenAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TelegramChats", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TelegramRawUpdates",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    BotUserId = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdateId = table.Column<long>(type: "INTEGER", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Json = table.Column<string>(type: "TEXT", maxLength: 64000, nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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
