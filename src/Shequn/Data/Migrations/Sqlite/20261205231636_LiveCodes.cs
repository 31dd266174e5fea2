using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shequn.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LiveCodes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AcquisitionChannels",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    OwnerStaffId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Cost = table.Column<decimal>(type: "TEXT", precision: 12, scale: 2, nullable: true),
                    CostUnit = table.Column<int>(type: "INTEGER", nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ArchivedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AcquisitionChannels", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ChannelId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CampaignId = table.Column<Guid>(type: "TEXT", nullable: true),
                    StaffId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 60, nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Policy = table.Column<int>(type: "INTEGER", nullable: false),
                    Target = table.Column<int>(type: "INTEGER", nullable: false),
                    Limit = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Landing = table.Column<bool>(type: "INTEGER", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 60, nullable: true),
                    Intro = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    ChoiceQuestion = table.Column<string>(type: "TEXT", maxLength: 60, nullable: true),
                    NeedQuestion = table.Column<string>(type: "TEXT", maxLength: 60, nullable: true),
                    CollectPhone = table.Column<bool>(type: "INTEGER", nullable: false),
                    JoinRequests = table.Column<bool>(type: "INTEGER", nullable: false),
                    NextPosition = table.Column<int>(type: "INTEGER", nullable: false),
                    FullSince = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LogoImageId = table.Column<Guid>(type: "TEXT", nullable: true),
                    WeComConfigId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    WeComQrUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    WeComChatIds = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodes_AcquisitionChannels_ChannelId",
                        column: x => x.ChannelId,
                        principalTable: "AcquisitionChannels",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodeLeads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    LiveCodeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Phone = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    Choice = table.Column<string>(type: "TEXT", maxLength: 30, nullable: true),
                    Need = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ConsentText = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    MemberId = table.Column<Guid>(type: "TEXT", nullable: true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodeLeads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodeLeads_LiveCodes_LiveCodeId",
                        column: x => x.LiveCodeId,
                        principalTable: "LiveCodes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodeRoutes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    LiveCodeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    Choice = table.Column<string>(type: "TEXT", maxLength: 30, nullable: true),
                    Filled = table.Column<int>(type: "INTEGER", nullable: false),
                    Routed = table.Column<int>(type: "INTEGER", nullable: false),
                    ReconciledAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    JoinUrl = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    QrImageId = table.Column<Guid>(type: "TEXT", nullable: true),
                    QrText = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    QrExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    QrRefreshAskedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodeRoutes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodeRoutes_Communities_CommunityId",
                        column: x => x.CommunityId,
                        principalTable: "Communities",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LiveCodeRoutes_LiveCodes_LiveCodeId",
                        column: x => x.LiveCodeId,
                        principalTable: "LiveCodes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LiveCodeScans",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    WorkspaceId = table.Column<Guid>(type: "TEXT", nullable: false),
                    LiveCodeId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Visitor = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Window = table.Column<long>(type: "INTEGER", nullable: false),
                    RouteId = table.Column<Guid>(type: "TEXT", nullable: true),
                    CommunityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Choice = table.Column<string>(type: "TEXT", maxLength: 30, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LiveCodeScans", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LiveCodeScans_LiveCodes_LiveCodeId",
                        column: x => x.LiveCodeId,
                        principalTable: "LiveCodes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AcquisitionChannels_WorkspaceId_Name",
                table: "AcquisitionChannels",
                columns: new[] { "WorkspaceId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeLeads_LiveCodeId_At",
                table: "LiveCodeLeads",
                columns: new[] { "LiveCodeId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeRoutes_CommunityId",
                table: "LiveCodeRoutes",
                column: "CommunityId");

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeRoutes_LiveCodeId_CommunityId",
                table: "LiveCodeRoutes",
                columns: new[] { "LiveCodeId", "CommunityId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodes_ChannelId",
                table: "LiveCodes",
                column: "ChannelId");

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodes_Code",
                table: "LiveCodes",
                column: "Code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodes_WorkspaceId_ChannelId",
                table: "LiveCodes",
                columns: new[] { "WorkspaceId", "ChannelId" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeScans_LiveCodeId_At",
                table: "LiveCodeScans",
                columns: new[] { "LiveCodeId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LiveCodeScans_LiveCodeId_Kind_Visitor_Window",
                table: "LiveCodeScans",
                columns: new[] { "LiveCodeId", "Kind", "Visitor", "Window" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LiveCodeLeads");

            migrationBuilder.DropTable(
                name: "LiveCodeRoutes");

            migrationBuilder.DropTable(
                name: "LiveCodeScans");

            migrationBuilder.DropTable(
                name: "LiveCodes");

            migrationBuilder.DropTable(
                name: "AcquisitionChannels");
        }
    }
}
