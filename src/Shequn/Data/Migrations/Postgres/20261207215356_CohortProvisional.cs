using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CohortProvisional : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Final",
                table: "CohortJoins",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "ProvisionalAt",
                table: "CohortJoins",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "ProvisionalDay",
                table: "CohortJoins",
                type: "date",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_CohortJoins_WorkspaceId_Final_JoinedAt",
                table: "CohortJoins",
                columns: new[] { "WorkspaceId", "Final", "JoinedAt" });

            // Rows stored before provisional offsets existed held final offsets only.
            migrationBuilder.Sql("""UPDATE "CohortJoins" SET "Final" = "Settled";""");
            migrationBuilder.Sql(Shequn.Features.Analytics.CohortJoinTriggers.PostgresUp);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Shequn.Features.Analytics.CohortJoinTriggers.PostgresDown);

            migrationBuilder.DropIndex(
                name: "IX_CohortJoins_WorkspaceId_Final_JoinedAt",
                table: "CohortJoins");

            migrationBuilder.DropColumn(
                name: "Final",
                table: "CohortJoins");

            migrationBuilder.DropColumn(
                name: "ProvisionalAt",
                table: "CohortJoins");

            migrationBuilder.DropColumn(
                name: "ProvisionalDay",
                table: "CohortJoins");
        }
    }
}
