using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CampaignInvitations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CampaignInvitations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CampaignId = table.Column<Guid>(type: "uuid", nullable: false),
                    InviterMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    InviteeMemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    EventSeq = table.Column<long>(type: "bigint", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CountsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    Reason = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    SettledAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignInvitations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CampaignInvitations_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignInvitations_Members_InviteeMemberId",
                        column: x => x.InviteeMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_CampaignInvitations_Members_InviterMemberId",
                        column: x => x.InviterMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "LeaseOwner", "LeaseUntil", "Seq", "UpdatedAt" },
                values: new object[] { "campaigns", null, null, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_CampaignId_InviteeMemberId",
                table: "CampaignInvitations",
                columns: new[] { "CampaignId", "InviteeMemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_CampaignId_InviterMemberId",
                table: "CampaignInvitations",
                columns: new[] { "CampaignId", "InviterMemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_InviteeMemberId",
                table: "CampaignInvitations",
                column: "InviteeMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_InviterMemberId",
                table: "CampaignInvitations",
                column: "InviterMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CampaignInvitations_Status_CountsAt",
                table: "CampaignInvitations",
                columns: new[] { "Status", "CountsAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignInvitations");

            migrationBuilder.DeleteData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "campaigns");
        }
    }
}
