using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ActionsDecisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "ResendOfId",
                table: "OutboundActions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Resolution",
                table: "OutboundActions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ResolvedAt",
                table: "OutboundActions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ResolvedByStaffId",
                table: "OutboundActions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundActions_WorkspaceId_Status_CreatedAt",
                table: "OutboundActions",
                columns: new[] { "WorkspaceId", "Status", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_OutboundActions_WorkspaceId_Status_CreatedAt",
                table: "OutboundActions");

            migrationBuilder.DropColumn(
                name: "ResendOfId",
                table: "OutboundActions");

            migrationBuilder.DropColumn(
                name: "Resolution",
                table: "OutboundActions");

            migrationBuilder.DropColumn(
                name: "ResolvedAt",
                table: "OutboundActions");

            migrationBuilder.DropColumn(
                name: "ResolvedByStaffId",
                table: "OutboundActions");
        }
    }
}
