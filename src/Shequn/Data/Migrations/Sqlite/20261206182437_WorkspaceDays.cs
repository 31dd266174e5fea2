using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class WorkspaceDays : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "WorkspaceDays",
                columns: table => new
                {
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    TimeZone = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Joins = table.Column<int>(type: "INTEGER", nullable: false),
                    Leaves = table.Column<int>(type: "INTEGER", nullable: false),
                    Messages = table.Column<int>(type: "INTEGER", nullable: false),
                    StaffMessages = table.Column<int>(type: "INTEGER", nullable: false),
                    Speakers = table.Column<int>(type: "INTEGER", nullable: false),
                    DeletedMessages = table.Column<int>(type: "INTEGER", nullable: false),
                    Members = table.Column<int>(type: "INTEGER", nullable: false),
                    DistinctMembers = table.Column<int>(type: "INTEGER", nullable: false),
                    MembersListed = table.Column<int>(type: "INTEGER", nullable: false),
                    ComputedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
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

            migrationBuilder.CreateIndex(
                name: "IX_Members_WorkspaceId_CreatedAt",
                table: "Members",
                columns: new[] { "WorkspaceId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_WorkspaceDays_WorkspaceId_EndsAt",
                table: "WorkspaceDays",
                columns: new[] { "WorkspaceId", "EndsAt" });

            migrationBuilder.Sql(Shequn.Features.Events.WorkspaceDayTriggers.SqliteUp);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Shequn.Features.Events.WorkspaceDayTriggers.SqliteDown);

            migrationBuilder.DropTable(
                name: "WorkspaceDays");

            migrationBuilder.DropIndex(
                name: "IX_Members_WorkspaceId_CreatedAt",
                table: "Members");
        }
    }
}
