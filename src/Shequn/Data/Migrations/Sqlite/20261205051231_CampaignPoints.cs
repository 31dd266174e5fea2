using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CampaignPoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CampaignCardDraws",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CampaignId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    CardIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    EventSeq = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignCardDraws", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignCardDraws_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignCardDraws_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignItemStocks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CampaignId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ItemIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    Taken = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignItemStocks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignItemStocks_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignPointsAccounts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Spent = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignPointsAccounts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignPointsAccounts_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignPointsAccounts_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CampaignRedemptions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CampaignId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ItemIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    ItemName = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    Points = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DeliveredByStaffId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignRedemptions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignRedemptions_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignRedemptions_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCardDraws_CampaignId_MemberId_Day",
                table: "CampaignCardDraws",
                columns: new[] { "CampaignId", "MemberId", "Day" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignCardDraws_MemberId",
                table: "CampaignCardDraws",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignItemStocks_CampaignId_ItemIndex",
                table: "CampaignItemStocks",
                columns: new[] { "CampaignId", "ItemIndex" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPointsAccounts_MemberId",
                table: "CampaignPointsAccounts",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPointsAccounts_WorkspaceId_MemberId",
                table: "CampaignPointsAccounts",
                columns: new[] { "WorkspaceId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRedemptions_CampaignId_RequestId",
                table: "CampaignRedemptions",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRedemptions_MemberId",
                table: "CampaignRedemptions",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignRedemptions_WorkspaceId_MemberId",
                table: "CampaignRedemptions",
                columns: new[] { "WorkspaceId", "MemberId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignCardDraws");

            migrationBuilder.DropTable(
                name: "CampaignItemStocks");

            migrationBuilder.DropTable(
                name: "CampaignPointsAccounts");

            migrationBuilder.DropTable(
                name: "CampaignRedemptions");
        }
    }
}
