using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConsentRecords : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "ConsentWithdrawnAt",
                table: "Members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ConsentRecords",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    MemberId = table.Column<Guid>(type: "uuid", nullable: true),
                    LeadId = table.Column<Guid>(type: "uuid", nullable: true),
                    Source = table.Column<int>(type: "integer", nullable: false),
                    Page = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    NoticeVersion = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    NoticeText = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    GivenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    WithdrawnAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    WithdrawnVia = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConsentRecords", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ConsentRecords_LiveCodeLeads_LeadId",
                        column: x => x.LeadId,
                        principalTable: "LiveCodeLeads",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ConsentRecords_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_LeadId",
                table: "ConsentRecords",
                column: "LeadId");

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_MemberId",
                table: "ConsentRecords",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_WorkspaceId_GivenAt",
                table: "ConsentRecords",
                columns: new[] { "WorkspaceId", "GivenAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ConsentRecords");

            migrationBuilder.DropColumn(
                name: "ConsentWithdrawnAt",
                table: "Members");
        }
    }
}
