using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue11Points : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MemberMerges",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IntoMemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MergedMemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MergedName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Profile = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Moves = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    MergedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    MergedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    UnmergedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UnmergedById = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberMerges", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberMerges_Members_IntoMemberId",
                        column: x => x.IntoMemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberMerges_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MemberPointsEntries",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Delta = table.Column<int>(type: "INTEGER", nullable: false),
                    Reason = table.Column<int>(type: "INTEGER", nullable: false),
                    ReasonText = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    EventSeq = table.Column<long>(type: "INTEGER", nullable: true),
                    Key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    RelatedMemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    StaffId = table.Column<Guid>(type: "TEXT", nullable: true),
                    OccurredAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberPointsEntries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberPointsEntries_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MemberPointsEntries_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PointLevels",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Threshold = table.Column<int>(type: "INTEGER", nullable: false),
                    Rights = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PointLevels", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PointLevels_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PointRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Points = table.Column<int>(type: "INTEGER", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    Keywords = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PointRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PointRules_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MemberMerges_IntoMemberId",
                table: "MemberMerges",
                column: "IntoMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberMerges_MergedMemberId",
                table: "MemberMerges",
                column: "MergedMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberMerges_WorkspaceId",
                table: "MemberMerges",
                column: "WorkspaceId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberPointsEntries_MemberId_Reason_OccurredAt",
                table: "MemberPointsEntries",
                columns: new[] { "MemberId", "Reason", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberPointsEntries_RelatedMemberId",
                table: "MemberPointsEntries",
                column: "RelatedMemberId");

            migrationBuilder.CreateIndex(
                name: "IX_MemberPointsEntries_WorkspaceId_Key",
                table: "MemberPointsEntries",
                columns: new[] { "WorkspaceId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PointLevels_WorkspaceId_Name",
                table: "PointLevels",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PointLevels_WorkspaceId_Threshold",
                table: "PointLevels",
                columns: new[] { "WorkspaceId", "Threshold" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PointRules_WorkspaceId_Kind",
                table: "PointRules",
                columns: new[] { "WorkspaceId", "Kind" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MemberMerges");

            migrationBuilder.DropTable(
                name: "MemberPointsEntries");

            migrationBuilder.DropTable(
                name: "PointLevels");

            migrationBuilder.DropTable(
                name: "PointRules");
        }
    }
}
