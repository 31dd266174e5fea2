using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LiveCodeWeComUpkeep : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "RoutesSetAt",
                table: "LiveCodes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "WeComError",
                table: "LiveCodes",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "WeComErrorAt",
                table: "LiveCodes",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RoutesSetAt",
                table: "LiveCodes");

            migrationBuilder.DropColumn(
                name: "WeComError",
                table: "LiveCodes");

            migrationBuilder.DropColumn(
                name: "WeComErrorAt",
                table: "LiveCodes");
        }
    }
}
