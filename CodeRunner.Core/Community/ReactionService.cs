using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>
/// Likes and favorites of posts, likes of comments. Setting a reaction is idempotent (the unique (target, user) index
/// decides; a second "like" inserts nothing) and every change is followed by an exact recount, so concurrent clicks
/// never double count. Toggle reads the current state and sets the opposite.
/// </summary>
public sealed class ReactionService(CodeRunnerDbContext db, CommunityWriteGate writeGate, NotificationService notifications, TimeProvider clock)
{
    public async Task<ReactionState> SetPostLikeAsync(UserRef actor, int postId, bool liked, CancellationToken cancellationToken = default)
    {
        var post = await PostAccess.FindVisibleAsync(db, actor, postId, cancellationToken);
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        var changed = liked
            ? await InsertIgnoringDuplicateAsync($"""INSERT INTO "PostLikes" ("PostId", "UserId", "CreatedAt") VALUES ({postId}, {actor.Id}, {Now}) ON CONFLICT DO NOTHING""", cancellationToken)
            : await db.PostLikes.Where(l => l.PostId == postId && l.UserId == actor.Id).ExecuteDeleteAsync(cancellationToken);
        if (changed > 0) await PostCounters.RefreshAsync(db, postId, cancellationToken);
        if (changed > 0 && liked) await notifications.NotifyAsync(post.AuthorId, actor.Id, NotificationKinds.Like, postId, null, cancellationToken);
        return new ReactionState(liked, await db.Posts.Where(p => p.Id == postId).Select(p => p.LikeCount).FirstAsync(cancellationToken));
    }

    public async Task<ReactionState> TogglePostLikeAsync(UserRef actor, int postId, CancellationToken cancellationToken = default)
    {
        var liked = await db.PostLikes.AnyAsync(l => l.PostId == postId && l.UserId == actor.Id, cancellationToken);
        return await SetPostLikeAsync(actor, postId, !liked, cancellationToken);
    }

    public async Task<ReactionState> SetFavoriteAsync(UserRef actor, int postId, bool favorite, CancellationToken cancellationToken = default)
    {
        await PostAccess.FindVisibleAsync(db, actor, postId, cancellationToken);
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        var changed = favorite
            ? await InsertIgnoringDuplicateAsync($"""INSERT INTO "PostFavorites" ("PostId", "UserId", "CreatedAt") VALUES ({postId}, {actor.Id}, {Now}) ON CONFLICT DO NOTHING""", cancellationToken)
            : await db.PostFavorites.Where(f => f.PostId == postId && f.UserId == actor.Id).ExecuteDeleteAsync(cancellationToken);
        if (changed > 0) await PostCounters.RefreshAsync(db, postId, cancellationToken);
        return new ReactionState(favorite, await db.Posts.Where(p => p.Id == postId).Select(p => p.FavoriteCount).FirstAsync(cancellationToken));
    }

    public async Task<ReactionState> ToggleFavoriteAsync(UserRef actor, int postId, CancellationToken cancellationToken = default)
    {
        var favorite = await db.PostFavorites.AnyAsync(f => f.PostId == postId && f.UserId == actor.Id, cancellationToken);
        return await SetFavoriteAsync(actor, postId, !favorite, cancellationToken);
    }

    public async Task<ReactionState> SetCommentLikeAsync(UserRef actor, int commentId, bool liked, CancellationToken cancellationToken = default)
    {
        var comment = await db.Comments.AsNoTracking().FirstOrDefaultAsync(c => c.Id == commentId, cancellationToken) ?? throw new NotFoundError("comment", commentId);
        await PostAccess.FindVisibleAsync(db, actor, comment.PostId, cancellationToken);
        if (comment.IsDeleted) throw new NotFoundError("comment", commentId);
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        var changed = liked
            ? await InsertIgnoringDuplicateAsync($"""INSERT INTO "CommentLikes" ("CommentId", "UserId", "CreatedAt") VALUES ({commentId}, {actor.Id}, {Now}) ON CONFLICT DO NOTHING""", cancellationToken)
            : await db.CommentLikes.Where(l => l.CommentId == commentId && l.UserId == actor.Id).ExecuteDeleteAsync(cancellationToken);
        if (changed > 0) await PostCounters.RefreshCommentAsync(db, commentId, cancellationToken);
        return new ReactionState(liked, await db.Comments.Where(c => c.Id == commentId).Select(c => c.LikeCount).FirstAsync(cancellationToken));
    }

    public async Task<ReactionState> ToggleCommentLikeAsync(UserRef actor, int commentId, CancellationToken cancellationToken = default)
    {
        var liked = await db.CommentLikes.AnyAsync(l => l.CommentId == commentId && l.UserId == actor.Id, cancellationToken);
        return await SetCommentLikeAsync(actor, commentId, !liked, cancellationToken);
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private Task<int> InsertIgnoringDuplicateAsync(FormattableString sql, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(sql, cancellationToken);
}
