using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LiveCodeUpkeep : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "LeaseOwner", "LeaseUntil", "Seq", "UpdatedAt" },
                values: new object[] { "livecodes", null, null, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DeleteData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "livecodes");
        }
    }
}
