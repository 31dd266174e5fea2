using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Orders : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Orders",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ExternalId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    PlacedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AmountFen = table.Column<long>(type: "INTEGER", nullable: false),
                    RefundedFen = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Source = table.Column<int>(type: "INTEGER", nullable: false),
                    Phone = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Platform = table.Column<int>(type: "INTEGER", nullable: true),
                    PlatformUserId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ShareCode = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    MatchedBy = table.Column<int>(type: "INTEGER", nullable: true),
                    MatchedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    SharedCampaignId = table.Column<Guid>(type: "TEXT", nullable: true),
                    SharedByMemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Channel = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    LiveCodeId = table.Column<Guid>(type: "TEXT", nullable: true),
                    CampaignId = table.Column<Guid>(type: "TEXT", nullable: true),
                    InviterMemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Touch = table.Column<int>(type: "INTEGER", nullable: true),
                    TouchAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    AttributionDays = table.Column<int>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Orders", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Orders_Members_MemberId",
                        column: x => x.MemberId,
                        principalTable: "Members",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Orders_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "OrderSettings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AttributionDays = table.Column<int>(type: "INTEGER", nullable: false),
                    ProtectedWebhookSecret = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    WebhookSecretAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrderSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OrderSettings_Workspaces_WorkspaceId",
                        column: x => x.WorkspaceId,
                        principalTable: "Workspaces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "OrderLines",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OrderId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    Sku = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ProductName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Category = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Quantity = table.Column<int>(type: "INTEGER", nullable: false),
                    AmountFen = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrderLines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OrderLines_Orders_OrderId",
                        column: x => x.OrderId,
                        principalTable: "Orders",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_OrderLines_OrderId",
                table: "OrderLines",
                column: "OrderId");

            migrationBuilder.CreateIndex(
                name: "IX_Orders_MemberId",
                table: "Orders",
                column: "MemberId");

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_ExternalId",
                table: "Orders",
                columns: new[] { "WorkspaceId", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_MemberId",
                table: "Orders",
                columns: new[] { "WorkspaceId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_Phone",
                table: "Orders",
                columns: new[] { "WorkspaceId", "Phone" });

            migrationBuilder.CreateIndex(
                name: "IX_Orders_WorkspaceId_PlacedAt",
                table: "Orders",
                columns: new[] { "WorkspaceId", "PlacedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OrderSettings_WorkspaceId",
                table: "OrderSettings",
                column: "WorkspaceId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "OrderLines");

            migrationBuilder.DropTable(
                name: "OrderSettings");

            migrationBuilder.DropTable(
                name: "Orders");
        }
    }
}
