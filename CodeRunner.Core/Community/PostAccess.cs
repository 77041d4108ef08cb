using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace CodeRunner.Core.Community;

/// <summary>The one home of "who sees which post": public posts for everyone, private ones for their author and admins.</summary>
internal static class PostAccess
{
    public static IQueryable<Post> VisibleTo(this IQueryable<Post> posts, UserRef? viewer) =>
        viewer is null ? posts.Where(p => p.IsPublic)
        : viewer.IsAdmin ? posts
        : posts.Where(p => p.IsPublic || p.AuthorId == viewer.Id);

    public static bool CanSee(this Post post, UserRef? viewer) =>
        post.IsPublic || (viewer is not null && (viewer.IsAdmin || viewer.Id == post.AuthorId));

    public static bool CanChange(this Post post, UserRef? viewer) =>
        viewer is not null && (viewer.IsAdmin || viewer.Id == post.AuthorId);

    /// <summary>The post if the viewer may see it; someone else's private post is "not found", never "forbidden".</summary>
    public static async Task<Post> FindVisibleAsync(CodeRunnerDbContext db, UserRef? viewer, int postId, CancellationToken cancellationToken, bool tracking = false)
    {
        var query = tracking ? db.Posts : db.Posts.AsNoTracking();
        var post = await query.FirstOrDefaultAsync(p => p.Id == postId, cancellationToken);
        if (post is null || !post.CanSee(viewer)) throw new NotFoundError("post", postId);
        return post;
    }
}

/// <summary>Loads <see cref="AuthorView"/>s for a set of user ids in one query.</summary>
internal static class Authors
{
    public static async Task<Dictionary<string, AuthorView>> LoadAsync(CodeRunnerDbContext db, IEnumerable<string?> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.OfType<string>().Distinct().ToList();
        if (wanted.Count == 0) return [];
        var authors = new Dictionary<string, AuthorView>(wanted.Count);
        await foreach (var u in ByIds(db, wanted).WithCancellation(cancellationToken))
            authors[u.Id] = new AuthorView(u.Id, u.UserName ?? "", u.FullName, AvatarStore.UrlFor(u.AvatarPath));
        return authors;
    }

    private sealed record AuthorRow(string Id, string? UserName, string? FullName, string? AvatarPath);

    // Compiled: every feed page and post page runs it.
    private static readonly Func<CodeRunnerDbContext, List<string>, IAsyncEnumerable<AuthorRow>> ByIds = EF.CompileAsyncQuery(
        (CodeRunnerDbContext db, List<string> ids) =>
            db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).Select(u => new AuthorRow(u.Id, u.UserName, u.FullName, u.AvatarPath)));

    public static AuthorView Of(Dictionary<string, AuthorView> authors, string id) =>
        authors.TryGetValue(id, out var author) ? author : new AuthorView(id, "", null, null);
}

/// <summary>
/// Keeps a post's denormalized counters exact: each change to likes, favorites, comments or saves is followed by a recount
/// from the rows themselves, in one UPDATE. Racing writers each recount after their own change, so the last recount
/// always sees every change (no lost increments). The hot score is then written only if the counts it was computed
/// from are still current; a writer that lost the race leaves it to the winner, who recomputes from the newer counts.
/// </summary>
internal static class PostCounters
{
    public static async Task RefreshAsync(CodeRunnerDbContext db, int postId, CancellationToken cancellationToken)
    {
        await using var transaction = await LockRowAsync(db, $"""UPDATE "Posts" SET "LikeCount" = "LikeCount" WHERE "Id" = {postId}""", cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE "Posts" SET
                "LikeCount" = (SELECT COUNT(*) FROM "PostLikes" WHERE "PostId" = {postId}),
                "FavoriteCount" = (SELECT COUNT(*) FROM "PostFavorites" WHERE "PostId" = {postId}),
                "CommentCount" = (SELECT COUNT(*) FROM "Comments" WHERE "PostId" = {postId} AND "IsDeleted" = {false}),
                "SaveCount" = (SELECT COUNT(*) FROM "PostCodeShares" WHERE "PostId" = {postId})
            WHERE "Id" = {postId}
            """, cancellationToken);
        var counts = await db.Posts.AsNoTracking().Where(p => p.Id == postId)
            .Select(p => new { p.LikeCount, p.CommentCount, p.FavoriteCount, p.CreatedAt }).FirstOrDefaultAsync(cancellationToken);
        if (counts is null) return;
        var score = HotRanking.Score(counts.LikeCount, counts.CommentCount, counts.FavoriteCount, counts.CreatedAt);
        await db.Posts.Where(p => p.Id == postId && p.LikeCount == counts.LikeCount && p.CommentCount == counts.CommentCount
                                  && p.FavoriteCount == counts.FavoriteCount)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.HotScore, score), cancellationToken);
        if (transaction is not null) await transaction.CommitAsync(cancellationToken);
    }

    public static async Task RefreshCommentAsync(CodeRunnerDbContext db, int commentId, CancellationToken cancellationToken)
    {
        await using var transaction = await LockRowAsync(db, $"""UPDATE "Comments" SET "LikeCount" = "LikeCount" WHERE "Id" = {commentId}""", cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE "Comments" SET "LikeCount" = (SELECT COUNT(*) FROM "CommentLikes" WHERE "CommentId" = {commentId}) WHERE "Id" = {commentId}""",
            cancellationToken);
        if (transaction is not null) await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Takes the counted row's lock in a statement of its own before the recount. On PostgreSQL a statement's subqueries
    /// read the snapshot taken when the statement started: a recount that had waited behind another would write counts
    /// missing that one's row. After the lock, the recount's snapshot starts after every earlier recount committed,
    /// so the last writer always counts every committed reaction. Returns the transaction it opened (null inside the caller's).
    /// </summary>
    private static async Task<IDbContextTransaction?> LockRowAsync(CodeRunnerDbContext db, FormattableString lockStatement, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await db.Database.ExecuteSqlInterpolatedAsync(lockStatement, cancellationToken);
        return transaction;
    }
}
