using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SopTemplates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SopKey",
                table: "Posts",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "SopTemplateId",
                table: "Posts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "SopTemplates",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Trigger = table.Column<int>(type: "INTEGER", nullable: false),
                    Steps = table.Column<string>(type: "TEXT", maxLength: 200000, nullable: false),
                    WeeksAhead = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SopTemplates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SopTemplates_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "SopApplications",
                columns: table => new
                {
                    TemplateId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AppliedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AppliedByStaffId = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SopApplications", x => new { x.TemplateId, x.CommunityId });
                    table.ForeignKey(
                        name: "FK_SopApplications_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SopApplications_SopTemplates_TemplateId",
                        column: x => x.TemplateId,
                        principalTable: "SopTemplates",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Posts_SopTemplateId",
                table: "Posts",
                column: "SopTemplateId");

            migrationBuilder.CreateIndex(
                name: "IX_Posts_WorkspaceId_SopKey",
                table: "Posts",
                columns: new[] { "WorkspaceId", "SopKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SopApplications_CommunityId",
                table: "SopApplications",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_SopTemplates_WorkspaceId_Name",
                table: "SopTemplates",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_Posts_SopTemplates_SopTemplateId",
                table: "Posts",
                column: "SopTemplateId",
                principalTable: "SopTemplates",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Posts_SopTemplates_SopTemplateId",
                table: "Posts");

            migrationBuilder.DropTable(
                name: "SopApplications");

            migrationBuilder.DropTable(
                name: "SopTemplates");

            migrationBuilder.DropIndex(
                name: "IX_Posts_SopTemplateId",
                table: "Posts");

            migrationBuilder.DropIndex(
                name: "IX_Posts_WorkspaceId_SopKey",
                table: "Posts");

            migrationBuilder.DropColumn(
                name: "SopKey",
                table: "Posts");

            migrationBuilder.DropColumn(
                name: "SopTemplateId",
                table: "Posts");
        }
    }
}
