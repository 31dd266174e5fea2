using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ProfilesAutoTagRejectionsPointsSkipped : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Skipped",
                table: "MemberPointsEntries",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AutoTagRejections",
                columns: table => new
                {
                    MemberId = table.Column<Guid>(type: "uuid", nullable: false),
                    TagId = table.Column<Guid>(type: "uuid", nullable: false),
                    RuleId = table.Column<Guid>(type: "uuid", nullable: false),
                    RejectedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RejectedById = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AutoTagRejections", x => new { x.MemberId, x.TagId, x.RuleId });
                    table.ForeignKey(
                        name: "FK_AutoTagRejections_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AutoTagRejections_TagRules_RuleId",
                        column: x => x.RuleId,
                        principalTable: "TagRules",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AutoTagRejections_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AutoTagRejections_RuleId",
                table: "AutoTagRejections",
                column: "RuleId");

            migrationBuilder.CreateIndex(
                name: "IX_AutoTagRejections_TagId",
                table: "AutoTagRejections",
                column: "TagId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AutoTagRejections");

            migrationBuilder.DropColumn(
                name: "Skipped",
                table: "MemberPointsEntries");
        }
    }
}
