using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CampaignMergeAndUploads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "ImageId",
                table: "CampaignPhotos",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ValidUntil",
                table: "CampaignCoupons",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "VoidedAt",
                table: "CampaignCoupons",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "VoidedByStaffId",
                table: "CampaignCoupons",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_CampaignPhotos_ImageId",
                table: "CampaignPhotos",
                column: "ImageId");

            migrationBuilder.AddForeignKey(
                name: "FK_CampaignPhotos_PostImages_ImageId",
                table: "CampaignPhotos",
                column: "ImageId",
                principalTable: "PostImages",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_CampaignPhotos_PostImages_ImageId",
                table: "CampaignPhotos");

            migrationBuilder.DropIndex(
                name: "IX_CampaignPhotos_ImageId",
                table: "CampaignPhotos");

            migrationBuilder.DropColumn(
                name: "ImageId",
                table: "CampaignPhotos");

            migrationBuilder.DropColumn(
                name: "ValidUntil",
                table: "CampaignCoupons");

            migrationBuilder.DropColumn(
                name: "VoidedAt",
                table: "CampaignCoupons");

            migrationBuilder.DropColumn(
                name: "VoidedByStaffId",
                table: "CampaignCoupons");
        }
    }
}
