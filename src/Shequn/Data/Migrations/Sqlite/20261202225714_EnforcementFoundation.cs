using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EnforcementFoundation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "RuleSetId",
                table: "Communities",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BlacklistEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Platform = table.Column<int>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    UserName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    CaseId = table.Column<Guid>(type: "TEXT", nullable: true),
                    AddedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlacklistEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BlacklistEntries_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ModerationCases",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EventSeq = table.Column<long>(type: "INTEGER", nullable: false),
                    Platform = table.Column<int>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    UserName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Text = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Decision = table.Column<int>(type: "INTEGER", nullable: false),
                    Rule = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Score = table.Column<double>(type: "REAL", nullable: false),
                    ModelScore = table.Column<double>(type: "REAL", nullable: true),
                    Evidence = table.Column<string>(type: "TEXT", maxLength: 8000, nullable: false),
                    Action = table.Column<int>(type: "INTEGER", nullable: true),
                    Violations = table.Column<int>(type: "INTEGER", nullable: false),
                    Verdict = table.Column<int>(type: "INTEGER", nullable: false),
                    ReviewedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    ReviewedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UndoneAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UndoneById = table.Column<Guid>(type: "TEXT", nullable: true),
                    UndoNote = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    OccurredAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModerationCases", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModerationCases_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_ModerationCases_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RuleSets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    IsDefault = table.Column<bool>(type: "INTEGER", nullable: false),
                    Template = table.Column<string>(type: "TEXT", maxLength: 50, nullable: true),
                    Spec = table.Column<string>(type: "TEXT", maxLength: 40000, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RuleSets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RuleSets_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Communities_RuleSetId",
                table: "Communities",
                column: "RuleSetId");

            migrationBuilder.CreateIndex(
                name: "IX_BlacklistEntries_WorkspaceId_Platform_UserId",
                table: "BlacklistEntries",
                columns: new[] { "WorkspaceId", "Platform", "UserId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_CommunityId",
                table: "ModerationCases",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_EventSeq_Rule",
                table: "ModerationCases",
                columns: new[] { "EventSeq", "Rule" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_WorkspaceId_CreatedAt",
                table: "ModerationCases",
                columns: new[] { "WorkspaceId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_WorkspaceId_Decision_Verdict",
                table: "ModerationCases",
                columns: new[] { "WorkspaceId", "Decision", "Verdict" });

            migrationBuilder.CreateIndex(
                name: "IX_ModerationCases_WorkspaceId_Platform_UserId_OccurredAt",
                table: "ModerationCases",
                columns: new[] { "WorkspaceId", "Platform", "UserId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RuleSets_WorkspaceId_Name",
                table: "RuleSets",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_Communities_RuleSets_RuleSetId",
                table: "Communities",
                column: "RuleSetId",
                principalTable: "RuleSets",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Communities_RuleSets_RuleSetId",
                table: "Communities");

            migrationBuilder.DropTable(
                name: "BlacklistEntries");

            migrationBuilder.DropTable(
                name: "ModerationCases");

            migrationBuilder.DropTable(
                name: "RuleSets");

            migrationBuilder.DropIndex(
                name: "IX_Communities_RuleSetId",
                table: "Communities");

            migrationBuilder.DropColumn(
                name: "RuleSetId",
                table: "Communities");
        }
    }
}
