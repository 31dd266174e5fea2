using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CohortSettleDueIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_WorkspaceId_Settled_JoinedAt",
                table: "CohortJoins",
                columns: new[] { "WorkspaceId", "Settled", "JoinedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CohortJoins_WorkspaceId_Settled_JoinedAt",
                table: "CohortJoins");
        }
    }
}
