using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ImagesMediaAndInspection : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "EventCheckpoints",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "LeaseUntil",
                table: "EventCheckpoints",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MediaId",
                table: "CommunityEvents",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "SandboxUploads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "uuid", nullable: false),
                    CommunityId = table.Column<Guid>(type: "uuid", nullable: false),
                    FileName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    ContentType = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Bytes = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SandboxUploads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_SandboxUploads_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SandboxUploads_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.UpdateData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "processor",
                columns: new[] { "LeaseOwner", "LeaseUntil" },
                values: new object[] { null, null });

            migrationBuilder.InsertData(
                table: "EventCheckpoints",
                columns: new[] { "Name", "LeaseOwner", "LeaseUntil", "Seq", "UpdatedAt" },
                values: new object[] { "images", null, null, 0L, new DateTime(2026, 1, 1, 0, 0, 0, 0, DateTimeKind.Utc) });

            migrationBuilder.CreateIndex(
                name: "IX_SandboxUploads_CommunityId",
                table: "SandboxUploads",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_SandboxUploads_WorkspaceId",
                table: "SandboxUploads",
                column: "WorkspaceId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SandboxUploads");

            migrationBuilder.DeleteData(
                table: "EventCheckpoints",
                keyColumn: "Name",
                keyValue: "images");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "EventCheckpoints");

            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "EventCheckpoints");

            migrationBuilder.DropColumn(
                name: "MediaId",
                table: "CommunityEvents");
        }
    }
}
