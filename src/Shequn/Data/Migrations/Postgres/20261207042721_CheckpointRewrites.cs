using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CheckpointRewrites : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "Rewrites",
                table: "EventCheckpoints",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "autotags",
                column: "Rewrites",
                value: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "campaigns",
                column: "Rewrites",
                value: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "images",
                column: "Rewrites",
                value: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "lifecycle",
                column: "Rewrites",
                value: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "livecodes",
                column: "Rewrites",
                value: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "lottery",
                column: "Rewrites",
                value: 0L);

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "processor",
                column: "Rewrites",
                value: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Rewrites",
                table: "EventCheckpoints");
        }
    }
}
