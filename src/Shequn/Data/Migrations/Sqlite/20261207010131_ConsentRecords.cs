using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ConsentRecords",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    LeadId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Source = table.Column<int>(type: "INTEGER", nullable: false),
                    Page = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    NoticeVersion = table.Column<string>(type: "TEXT", maxLength: 12, nullable: false),
                    NoticeText = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    GivenAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    UserAgent = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    WithdrawnAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    WithdrawnVia = table.Column<int>(type: "INTEGER", nullable: true)
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
