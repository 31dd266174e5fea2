using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class VipAutoInvite : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "AutoInviteCommunityId",
                table: "VipRules",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_VipRules_AutoInviteCommunityId",
                table: "VipRules",
                column: "AutoInviteCommunityId");

            migrationBuilder.AddForeignKey(
                name: "FK_VipRules_Communities_AutoInviteCommunityId",
                table: "VipRules",
                column: "AutoInviteCommunityId",
                principalTable: "Communities",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_VipRules_Communities_AutoInviteCommunityId",
                table: "VipRules");

            migrationBuilder.DropIndex(
                name: "IX_VipRules_AutoInviteCommunityId",
                table: "VipRules");

            migrationBuilder.DropColumn(
                name: "AutoInviteCommunityId",
                table: "VipRules");
        }
    }
}
