using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FriendAddPacing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FriendAccounts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    StaffUserId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    DailyLimit = table.Column<int>(type: "INTEGER", nullable: false),
                    WindowStartHour = table.Column<int>(type: "INTEGER", nullable: false),
                    WindowEndHour = table.Column<int>(type: "INTEGER", nullable: false),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FriendAccounts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FriendAccounts_AspNetUsers_StaffUserId",
                        column: x => x.StaffUserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_FriendAccounts_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "FriendLeads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Phone = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Source = table.Column<int>(type: "INTEGER", nullable: false),
                    SourceRef = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    QueuedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CarriedOver = table.Column<int>(type: "INTEGER", nullable: false),
                    AccountId = table.Column<Guid>(type: "TEXT", nullable: true),
                    PlanDay = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    PlanSlot = table.Column<int>(type: "INTEGER", nullable: true),
                    PlannedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Greeting = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    GreetingKey = table.Column<string>(type: "TEXT", maxLength: 50, nullable: true),
                    OutcomeAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    OutcomeById = table.Column<Guid>(type: "TEXT", nullable: true),
                    OutcomeNote = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    CreatedById = table.Column<Guid>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FriendLeads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FriendLeads_FriendAccounts_AccountId",
                        column: x => x.AccountId,
                        principalTable: "FriendAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_FriendLeads_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_FriendLeads_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FriendAccounts_StaffUserId",
                table: "FriendAccounts",
                column: "StaffUserId");

            migrationBuilder.CreateIndex(
                name: "IX_FriendAccounts_WorkspaceId_Name",
                table: "FriendAccounts",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_AccountId_PlanDay_PlanSlot",
                table: "FriendLeads",
                columns: new[] { "AccountId", "PlanDay", "PlanSlot" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_MemberId",
                table: "FriendLeads",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_WorkspaceId_MemberId",
                table: "FriendLeads",
                columns: new[] { "WorkspaceId", "MemberId" },
                unique: true,
                filter: "\"Status\" IN (0, 1, 2) AND \"MemberId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_WorkspaceId_Phone",
                table: "FriendLeads",
                columns: new[] { "WorkspaceId", "Phone" },
                unique: true,
                filter: "\"Status\" IN (0, 1, 2) AND \"Phone\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_FriendLeads_WorkspaceId_Status_QueuedAt",
                table: "FriendLeads",
                columns: new[] { "WorkspaceId", "Status", "QueuedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FriendLeads");

            migrationBuilder.DropTable(
                name: "FriendAccounts");
        }
    }
}
