using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Issue11Responses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MemberQuestions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Platform = table.Column<int>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    UserName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    EventSeq = table.Column<long>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Text = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    AskedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AnsweredAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    AnswerSeconds = table.Column<int>(type: "INTEGER", nullable: true),
                    AnsweredBySeq = table.Column<long>(type: "INTEGER", nullable: true),
                    AnsweredByKind = table.Column<int>(type: "INTEGER", nullable: true),
                    AnsweredByUserId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    AnsweredByName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    AnsweredByMemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    AnsweredByReply = table.Column<bool>(type: "INTEGER", nullable: false),
                    DismissedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DismissedById = table.Column<Guid>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberQuestions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MemberQuestions_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_CommunityId_AnsweredAt_AskedAt",
                table: "MemberQuestions",
                columns: new[] { "CommunityId", "AnsweredAt", "AskedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_CommunityId_MessageId",
                table: "MemberQuestions",
                columns: new[] { "CommunityId", "MessageId" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_EventSeq",
                table: "MemberQuestions",
                column: "EventSeq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_WorkspaceId_AskedAt",
                table: "MemberQuestions",
                columns: new[] { "WorkspaceId", "AskedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MemberQuestions");
        }
    }
}
