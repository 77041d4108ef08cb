using CodeRunner.Core.Accounts;
using CodeRunner.Core.Library;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>EF configuration of the community tables; the indexes follow the feed and post-page queries (bench/ community mode).</summary>
internal static class CommunityModel
{
    public static void ConfigureCommunity(this ModelBuilder builder)
    {
        builder.Entity<Post>(e =>
        {
            e.Property(x => x.Title).HasMaxLength(CommunityRules.MaxTitleLength);
            e.Property(x => x.Content).HasMaxLength(CommunityRules.MaxContentLength);
            e.Property(x => x.Excerpt).HasMaxLength(CommunityRules.ExcerptLength + 1);
            e.Property(x => x.Tags).HasMaxLength(CommunityRules.MaxTagsLength);
            e.Property(x => x.CodeLanguage).HasMaxLength(20);
            e.Property(x => x.EnvironmentName).HasMaxLength(SnippetRules.MaxEnvironmentNameLength);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AuthorId).OnDelete(DeleteBehavior.Cascade);
            // 最新 and 热门 read public posts in index order and stop after one page. Partial indexes, because EF writes the
            // filter as a bare boolean ("WHERE p.IsPublic"), which SQLite matches against an index's WHERE but not its columns.
            e.HasIndex(x => x.CreatedAt, "IX_Posts_Public_CreatedAt").HasFilter("\"IsPublic\"");
            e.HasIndex(x => x.HotScore, "IX_Posts_Public_HotScore").HasFilter("\"IsPublic\"");
            // Profiles, the 关注 tab and the posting rate limit; IsPublic and LikeCount make a profile's counts index-only.
            e.HasIndex(x => new { x.AuthorId, x.CreatedAt, x.IsPublic, x.LikeCount });
        });
        builder.Entity<PostTag>(e =>
        {
            e.HasKey(x => new { x.PostId, x.Tag });
            e.Property(x => x.Tag).HasMaxLength(CommunityRules.MaxTagLength);
            e.HasIndex(x => new { x.Tag, x.CreatedAt }, "IX_PostTags_Public_Tag_CreatedAt").HasFilter("\"IsPublic\"");
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<PostLike>(e =>
        {
            e.HasIndex(x => new { x.PostId, x.UserId }).IsUnique();
            e.HasIndex(x => x.UserId);
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<PostFavorite>(e =>
        {
            e.HasIndex(x => new { x.PostId, x.UserId }).IsUnique();
            e.HasIndex(x => new { x.UserId, x.CreatedAt });
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<PostView>(e =>
        {
            e.Property(x => x.ViewerKey).HasMaxLength(80);
            e.HasIndex(x => new { x.PostId, x.ViewerKey, x.Day }).IsUnique();
            // The sweeper deletes past days' rows (PostViewPruning); only today's rows decide whether a view counts.
            e.HasIndex(x => x.Day);
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<Comment>(e =>
        {
            e.Property(x => x.Content).HasMaxLength(CommunityRules.MaxCommentLength);
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.AuthorId).OnDelete(DeleteBehavior.Cascade);
            // Comments are only soft-deleted; a hard delete (the author's account going away) keeps the replies as top-level.
            e.HasOne<Comment>().WithMany().HasForeignKey(x => x.ParentId).OnDelete(DeleteBehavior.SetNull);
            // A post's thread page: its top-level comments (ParentId null) in order, one index range; also the post's comment count.
            e.HasIndex(x => new { x.PostId, x.ParentId, x.CreatedAt });
            e.HasIndex(x => new { x.AuthorId, x.CreatedAt });
            e.HasIndex(x => x.ParentId);
        });
        builder.Entity<CommentLike>(e =>
        {
            e.HasIndex(x => new { x.CommentId, x.UserId }).IsUnique();
            e.HasIndex(x => x.UserId);
            e.HasOne<Comment>().WithMany().HasForeignKey(x => x.CommentId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<PostCodeShare>(e =>
        {
            e.HasIndex(x => x.PostId);
            e.HasIndex(x => x.UserId);
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Snippet>().WithMany().HasForeignKey(x => x.SnippetId).OnDelete(DeleteBehavior.SetNull);
        });
        builder.Entity<Follow>(e =>
        {
            e.HasIndex(x => new { x.FollowerId, x.FolloweeId }).IsUnique();
            e.HasIndex(x => new { x.FolloweeId, x.CreatedAt });
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.FollowerId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.FolloweeId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<Notification>(e =>
        {
            e.Property(x => x.Kind).HasMaxLength(16);
            e.HasIndex(x => new { x.RecipientId, x.CreatedAt });
            e.HasIndex(x => new { x.RecipientId, x.IsRead });
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.RecipientId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<AppUser>().WithMany().HasForeignKey(x => x.ActorId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Post>().WithMany().HasForeignKey(x => x.PostId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Comment>().WithMany().HasForeignKey(x => x.CommentId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
