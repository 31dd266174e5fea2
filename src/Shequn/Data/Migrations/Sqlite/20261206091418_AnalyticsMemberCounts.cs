using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AnalyticsMemberCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Memberships_CommunityId_JoinedAt_LeftAt",
                table: "Memberships",
                columns: new[] { "CommunityId", "JoinedAt", "LeftAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_CommunityId_LeftAt_JoinedAt",
                table: "Memberships",
                columns: new[] { "CommunityId", "LeftAt", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "LeftAt", "MemberId", "CommunityId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Memberships_CommunityId_JoinedAt_LeftAt",
                table: "Memberships");

            migrationBuilder.DropIndex(
                name: "IX_Memberships_CommunityId_LeftAt_JoinedAt",
                table: "Memberships");

            migrationBuilder.DropIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId",
                table: "Memberships");
        }
    }
}
