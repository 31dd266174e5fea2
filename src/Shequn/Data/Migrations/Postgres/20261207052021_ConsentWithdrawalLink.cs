using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConsentWithdrawalLink : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "WithdrawTokenHash",
                table: "ConsentRecords",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_WithdrawTokenHash",
                table: "ConsentRecords",
                column: "WithdrawTokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ConsentRecords_WithdrawTokenHash",
                table: "ConsentRecords");

            migrationBuilder.DropColumn(
                name: "WithdrawTokenHash",
                table: "ConsentRecords");
        }
    }
}
