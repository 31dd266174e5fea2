using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RitualNewcomerLatest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_RitualNewcomers_CommunityId_EventSeq",
                table: "RitualNewcomers",
                columns: new[] { "CommunityId", "EventSeq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RitualNewcomers_CommunityId_EventSeq",
                table: "RitualNewcomers");
        }
    }
}
