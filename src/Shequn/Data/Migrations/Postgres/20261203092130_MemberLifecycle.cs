using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MemberLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "LifecycleChurnDays",
                table: "Workspaces",
                type: "integer",
                nullable: false,
                defaultValue: 30);

            migrationBuilder.AddColumn<int>(
                name: "LifecycleNewDays",
                table: "Workspaces",
                type: "integer",
                nullable: false,
                defaultValue: 7);

            migrationBuilder.AddColumn<int>(
                name: "LifecycleSilentDays",
                table: "Workspaces",
                type: "integer",
                nullable: false,
                defaultValue: 14);

            migrationBuilder.AddColumn<int>(
                name: "Stage",
                table: "Members",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "StageChangedAt",
                table: "Members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "LeaseOwner", "LeaseUntil", "Seq", "UpdatedAt" },
                values: new object[] { "lifecycle", null, null, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DeleteData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "lifecycle");

            migrationBuilder.DropColumn(
                name: "LifecycleChurnDays",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "LifecycleNewDays",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "LifecycleSilentDays",
                table: "Workspaces");

            migrationBuilder.DropColumn(
                name: "Stage",
                table: "Members");

            migrationBuilder.DropColumn(
                name: "StageChangedAt",
                table: "Members");
        }
    }
}
