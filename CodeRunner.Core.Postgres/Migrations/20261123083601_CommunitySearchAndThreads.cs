using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRunner.Core.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class CommunitySearchAndThreads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Comments_PostId_CreatedAt",
                table: "Comments");

            migrationBuilder.CreateIndex(
                name: "IX_PostViews_Day",
                table: "PostViews",
                column: "Day");

            migrationBuilder.CreateIndex(
                name: "IX_Comments_PostId_ParentId_CreatedAt",
                table: "Comments",
                columns: new[] { "PostId", "ParentId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PostViews_Day",
                table: "PostViews");

            migrationBuilder.DropIndex(
                name: "IX_Comments_PostId_ParentId_CreatedAt",
                table: "Comments");

            migrationBuilder.CreateIndex(
                name: "IX_Comments_PostId_CreatedAt",
                table: "Comments",
                columns: new[] { "PostId", "CreatedAt" });
        }
    }
}
