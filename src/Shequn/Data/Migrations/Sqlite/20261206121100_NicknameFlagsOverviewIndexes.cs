using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class NicknameFlagsOverviewIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Memberships_WorkspaceId_JoinedAt",
                table: "Memberships");

            migrationBuilder.DropIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId",
                table: "Memberships");

            migrationBuilder.AddColumn<bool>(
                name: "NicknameBreaksFormat",
                table: "Memberships",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "NicknameFormatChecked",
                table: "Communities",
                type: "TEXT",
                maxLength: 60,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_JoinedAt_LeftAt",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "JoinedAt", "LeftAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId_JoinedAt",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "LeftAt", "MemberId", "CommunityId", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_NicknameBreaksFormat_LeftAt_CommunityId",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "NicknameBreaksFormat", "LeftAt", "CommunityId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Memberships_WorkspaceId_JoinedAt_LeftAt",
                table: "Memberships");

            migrationBuilder.DropIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId_JoinedAt",
                table: "Memberships");

            migrationBuilder.DropIndex(
                name: "IX_Memberships_WorkspaceId_NicknameBreaksFormat_LeftAt_CommunityId",
                table: "Memberships");

            migrationBuilder.DropColumn(
                name: "NicknameBreaksFormat",
                table: "Memberships");

            migrationBuilder.DropColumn(
                name: "NicknameFormatChecked",
                table: "Communities");

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_JoinedAt",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "JoinedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Memberships_WorkspaceId_LeftAt_MemberId_CommunityId",
                table: "Memberships",
                columns: new[] { "WorkspaceId", "LeftAt", "MemberId", "CommunityId" });
        }
    }
}
