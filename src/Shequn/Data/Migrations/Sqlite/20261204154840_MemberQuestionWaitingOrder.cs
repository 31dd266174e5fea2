using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MemberQuestionWaitingOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MemberQuestions_CommunityId_AnsweredAt_AskedAt",
                table: "MemberQuestions");

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_CommunityId_AnsweredAt_AskedAt_EventSeq",
                table: "MemberQuestions",
                columns: new[] { "CommunityId", "AnsweredAt", "AskedAt", "EventSeq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MemberQuestions_CommunityId_AnsweredAt_AskedAt_EventSeq",
                table: "MemberQuestions");

            migrationBuilder.CreateIndex(
                name: "IX_MemberQuestions_CommunityId_AnsweredAt_AskedAt",
                table: "MemberQuestions",
                columns: new[] { "CommunityId", "AnsweredAt", "AskedAt" });
        }
    }
}
