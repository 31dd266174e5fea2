using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ModerationPolicy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ModerationPolicy",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    AllowedDomains = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    DeniedDomains = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    CustomPatterns = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    ReviewThreshold = table.Column<double>(type: "double precision", nullable: false),
                    ActThreshold = table.Column<double>(type: "double precision", nullable: false),
                    ListsStamp = table.Column<long>(type: "bigint", nullable: false),
                    ModelStamp = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModerationPolicy", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModerationPolicy_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "StoredSpamModel",
                columns: table => new
                {
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    Weights = table.Column<byte[]>(type: "bytea", nullable: false),
                    TrainingExamples = table.Column<int>(type: "integer", nullable: false),
                    SpamExamples = table.Column<int>(type: "integer", nullable: false),
                    HeldOut = table.Column<int>(type: "integer", nullable: false),
                    Accuracy = table.Column<double>(type: "double precision", nullable: true),
                    Precision = table.Column<double>(type: "double precision", nullable: true),
                    Recall = table.Column<double>(type: "double precision", nullable: true),
                    TrainedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StoredSpamModel", x => x.WorkspaceId);
                    table.ForeignKey(
                        name: "FK_StoredSpamModel_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationPolicy_WorkspaceId",
                table: "ModerationPolicy",
                column: "WorkspaceId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ModerationPolicy");

            migrationBuilder.DropTable(
                name: "StoredSpamModel");
        }
    }
}
