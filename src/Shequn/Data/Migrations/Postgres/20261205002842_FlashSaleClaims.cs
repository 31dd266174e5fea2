using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class FlashSaleClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Units",
                table: "CampaignParticipants",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "CampaignClaims",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    Quantity = table.Column<int>(type: "integer", nullable: false),
                    RequestId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    PaidAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    OrderId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ReleasedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignClaims", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignClaims_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignClaims_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignLinkKeys",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    ProtectedKey = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignLinkKeys", x => x.Name);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_CampaignId_MemberId",
                table: "CampaignClaims",
                columns: new[] { "CampaignId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_CampaignId_RequestId",
                table: "CampaignClaims",
                columns: new[] { "CampaignId", "RequestId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_MemberId",
                table: "CampaignClaims",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignClaims_Status_ExpiresAt",
                table: "CampaignClaims",
                columns: new[] { "Status", "ExpiresAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignClaims");

            migrationBuilder.DropTable(
                name: "CampaignLinkKeys");

            migrationBuilder.DropColumn(
                name: "Units",
                table: "CampaignParticipants");
        }
    }
}
