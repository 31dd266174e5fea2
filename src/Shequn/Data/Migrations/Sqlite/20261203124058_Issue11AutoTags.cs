using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue11AutoTags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "ReviewedAt",
                table: "MemberTags",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ReviewedById",
                table: "MemberTags",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "RuleId",
                table: "MemberTags",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Source",
                table: "MemberTags",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "State",
                table: "MemberTags",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "TagRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    TagId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Spec = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TagRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TagRules_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "VipInvitations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ActionId = table.Column<Guid>(type: "TEXT", nullable: true),
                    InvitedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    InvitedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    JoinedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VipInvitations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_VipInvitations_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_VipInvitations_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "VipRules",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PayingTagId = table.Column<Guid>(type: "TEXT", nullable: true),
                    AnswersMin = table.Column<int>(type: "INTEGER", nullable: false),
                    AnswersDays = table.Column<int>(type: "INTEGER", nullable: false),
                    TenureDays = table.Column<int>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_VipRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_VipRules_Tags_PayingTagId",
                        column: x => x.PayingTagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_VipRules_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "LeaseOwner", "LeaseUntil", "Seq", "UpdatedAt" },
                values: new object[] { "autotags", null, null, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) });

            migrationBuilder.CreateIndex(
                name: "IX_MemberTags_TagId_State",
                table: "MemberTags",
                columns: new[] { "TagId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_TagRules_TagId",
                table: "TagRules",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_TagRules_WorkspaceId_Enabled",
                table: "TagRules",
                columns: new[] { "WorkspaceId", "Enabled" });

            migrationBuilder.CreateIndex(
                name: "IX_VipInvitations_CommunityId_MemberId",
                table: "VipInvitations",
                columns: new[] { "CommunityId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_VipInvitations_MemberId",
                table: "VipInvitations",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_VipInvitations_WorkspaceId_MemberId",
                table: "VipInvitations",
                columns: new[] { "WorkspaceId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_VipRules_PayingTagId",
                table: "VipRules",
                column: "PayingTagId");

            migrationBuilder.CreateIndex(
                name: "IX_VipRules_WorkspaceId",
                table: "VipRules",
                column: "WorkspaceId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TagRules");

            migrationBuilder.DropTable(
                name: "VipInvitations");

            migrationBuilder.DropTable(
                name: "VipRules");

            migrationBuilder.DropIndex(
                name: "IX_MemberTags_TagId_State",
                table: "MemberTags");

            migrationBuilder.DeleteData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "autotags");

            migrationBuilder.DropColumn(
                name: "ReviewedAt",
                table: "MemberTags");

            migrationBuilder.DropColumn(
                name: "ReviewedById",
                table: "MemberTags");

            migrationBuilder.DropColumn(
                name: "RuleId",
                table: "MemberTags");

            migrationBuilder.DropColumn(
                name: "Source",
                table: "MemberTags");

            migrationBuilder.DropColumn(
                name: "State",
                table: "MemberTags");
        }
    }
}
