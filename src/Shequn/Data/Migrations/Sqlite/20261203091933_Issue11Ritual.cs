using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue11Ritual : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RitualNewcomers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EventSeq = table.Column<long>(type: "INTEGER", nullable: false),
                    Platform = table.Column<int>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Nickname = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    JoinedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    WelcomeActionId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ReminderActionId = table.Column<Guid>(type: "TEXT", nullable: true),
                    NicknameFixedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    WelcomeEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    WelcomeText = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    BurstSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    NicknameCheckEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    NicknameReminderMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    NicknameReminderText = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    NicknameThanksText = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    SelfIntroEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    SelfIntroText = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    IntroduceTaskEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    IntroduceTaskText = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    QuietHoursEnabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    QuietStartMinute = table.Column<int>(type: "INTEGER", nullable: false),
                    QuietEndMinute = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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
                name: "IX_RitualNewcomers_WelcomeActionId",
                table: "RitualNewcomers",
                column: "WelcomeActionId");

            migrationBuilder.CreateIndex(
                name: "IX_RitualSettings_CommunityId",
                table: "RitualSettings",
                column: "CommunityId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RitualSettings_WorkspaceId",
                table: "RitualSettings",
                column: "WorkspaceId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RitualNewcomers");

            migrationBuilder.DropTable(
                name: "RitualSettings");
        }
    }
}
