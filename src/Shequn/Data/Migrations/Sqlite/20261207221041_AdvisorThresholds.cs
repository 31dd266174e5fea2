using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AdvisorThresholds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "AdvisorChannelCostRatio",
                table: "Workspaces",
                type: "REAL",
                nullable: false,
                defaultValue: 2.0);

            migrationBuilder.AddColumn<int>(
                name: "AdvisorMaxMembers",
                table: "Workspaces",
                type: "INTEGER",
                nullable: false,
                defaultValue: 350);

            migrationBuilder.AddColumn<int>(
                name: "AdvisorMaxSubOwnerCommunities",
                table: "Workspaces",
                type: "INTEGER",
                nullable: false,
                defaultValue: 4);

            migrationBuilder.AddColumn<int>(
                name: "AdvisorNoContentDays",
                table: "Workspaces",
                type: "INTEGER",
                nullable: false,
                defaultValue: 3);

            migrationBuilder.AddColumn<int>(
                name: "AdvisorResponseDropPoints",
                table: "Workspaces",
                type: "INTEGER",
                nullable: false,
                defaultValue: 20);

            migrationBuilder.AddColumn<int>(
                name: "AdvisorSilentDays",
                table: "Workspaces",
                type: "INTEGER",
                nullable: false,
                defaultValue: 30);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AdvisorChannelCostRatio",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "AdvisorMaxMembers",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "AdvisorMaxSubOwnerCommunities",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "AdvisorNoContentDays",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "AdvisorResponseDropPoints",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "AdvisorSilentDays",
                table: "Workspaces");
        }
    }
}
