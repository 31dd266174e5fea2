using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CohortJoins : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CohortJoins",
                columns: table => new
                {
                    MembershipId = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    JoinedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    JoinWeek = table.Column<DateOnly>(type: "date", nullable: false),
                    TimeZone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Channel = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Settled = table.Column<int>(type: "integer", nullable: false),
                    Stayed = table.Column<int>(type: "integer", nullable: false),
                    Spoke = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CohortJoins", x => x.MembershipId);
                    table.ForeignKey(
                        name: "FK_CohortJoins_Memberships_MembershipId",
                        column: x => x.MembershipId,
                        principalTable: "Memberships",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_MemberId",
                table: "CohortJoins",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_WorkspaceId_TimeZone_JoinWeek_Channel_Settled_S~",
                table: "CohortJoins",
                columns: new[] { "WorkspaceId", "TimeZone", "JoinWeek", "Channel", "Settled", "Stayed", "Spoke", "CommunityId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CohortJoins");
        }
    }
}
