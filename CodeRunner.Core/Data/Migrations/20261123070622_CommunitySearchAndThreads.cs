using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CodeRunner.Core.Data.Migrations
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

            if (ActiveProvider != "Microsoft.EntityFrameworkCore.Sqlite") return;
            // Feed search on SQLite (queried only by Community/PostSearch): an FTS5 index over the posts' title, body and tags,
            // external content (no second copy of the text), kept equal to Posts by the triggers below. The trigram tokenizer
            // matches any substring of 3+ characters case-insensitively, like the LIKE search it replaces, and needs no word
            // segmentation, so Chinese text is found as well.
            migrationBuilder.Sql("""
                CREATE VIRTUAL TABLE PostsSearch USING fts5(Title, Content, Tags, content='Posts', content_rowid='Id', tokenize='trigram');
                CREATE TRIGGER Posts_Search_Insert AFTER INSERT ON Posts BEGIN
                    INSERT INTO PostsSearch(rowid, Title, Content, Tags) VALUES (new.Id, new.Title, new.Content, new.Tags);
                END;
                CREATE TRIGGER Posts_Search_Delete AFTER DELETE ON Posts BEGIN
                    INSERT INTO PostsSearch(PostsSearch, rowid, Title, Content, Tags) VALUES ('delete', old.Id, old.Title, old.Content, old.Tags);
                END;
                CREATE TRIGGER Posts_Search_Update AFTER UPDATE OF Title, Content, Tags ON Posts BEGIN
                    INSERT INTO PostsSearch(PostsSearch, rowid, Title, Content, Tags) VALUES ('delete', old.Id, old.Title, old.Content, old.Tags);
                    INSERT INTO PostsSearch(rowid, Title, Content, Tags) VALUES (new.Id, new.Title, new.Content, new.Tags);
                END;
                INSERT INTO PostsSearch(PostsSearch) VALUES ('rebuild');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            if (ActiveProvider == "Microsoft.EntityFrameworkCore.Sqlite")
                migrationBuilder.Sql("""
                    DROP TRIGGER IF EXISTS Posts_Search_Insert;
                    DROP TRIGGER IF EXISTS Posts_Search_Delete;
                    DROP TRIGGER IF EXISTS Posts_Search_Update;
                    DROP TABLE IF EXISTS PostsSearch;
                    """);

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
