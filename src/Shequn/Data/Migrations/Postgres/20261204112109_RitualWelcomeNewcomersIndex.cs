using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RitualWelcomeNewcomersIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RitualNewcomers_WelcomeActionId",
                table: "RitualNewcomers");

            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_WelcomeActionId_WorkspaceId_EventSeq",
                table: "RitualNewcomers",
                columns: new[] { "WelcomeActionId", "WorkspaceId", "EventSeq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RitualNewcomers_WelcomeActionId_WorkspaceId_EventSeq",
                table: "RitualNewcomers");

            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_WelcomeActionId",
                table: "RitualNewcomers",
                column: "WelcomeActionId");
        }
    }
}
