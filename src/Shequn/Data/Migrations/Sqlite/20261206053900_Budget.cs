using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Budget : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BudgetAlerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Month = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Percent = table.Column<int>(type: "INTEGER", nullable: false),
                    SpentFen = table.Column<long>(type: "INTEGER", nullable: false),
                    CapFen = table.Column<long>(type: "INTEGER", nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AcknowledgedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    AcknowledgedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BudgetAlerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "BudgetCaps",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    FromMonth = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    CapFen = table.Column<long>(type: "INTEGER", nullable: false),
                    SetById = table.Column<Guid>(type: "TEXT", nullable: true),
                    SetAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BudgetCaps", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CostEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Category = table.Column<int>(type: "INTEGER", nullable: false),
                    Item = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    AmountFen = table.Column<long>(type: "INTEGER", nullable: false),
                    Quantity = table.Column<int>(type: "INTEGER", nullable: true),
                    UnitCostFen = table.Column<long>(type: "INTEGER", nullable: true),
                    CampaignId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ChannelId = table.Column<Guid>(type: "TEXT", nullable: true),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    CreatedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CostEntries", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BudgetAlerts_WorkspaceId_Month_Percent",
                table: "BudgetAlerts",
                columns: new[] { "WorkspaceId", "Month", "Percent" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_BudgetCaps_WorkspaceId_FromMonth",
                table: "BudgetCaps",
                columns: new[] { "WorkspaceId", "FromMonth" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_CampaignId",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "CampaignId" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_ChannelId",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "ChannelId" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_CommunityId",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "CommunityId" });

            migrationBuilder.CreateIndex(
                name: "IX_CostEntries_WorkspaceId_Day",
                table: "CostEntries",
                columns: new[] { "WorkspaceId", "Day" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BudgetAlerts");

            migrationBuilder.DropTable(
                name: "BudgetCaps");

            migrationBuilder.DropTable(
                name: "CostEntries");
        }
    }
}
