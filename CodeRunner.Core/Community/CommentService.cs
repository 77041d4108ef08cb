using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>Comments and replies on posts: write, edit and delete your own (admins delete any), read a post's thread.</summary>
public sealed class CommentService(
    CodeRunnerDbContext db, CommunityWriteGate writeGate, MarkdownRenderer markdown, NotificationService notifications,
    AuditService audit, TimeProvider clock)
{
    /// <summary>Comments on a post, or replies when <paramref name="parentId"/> names a comment of the same post.</summary>
    public async Task<Comment> AddAsync(UserRef actor, int postId, string content, int? parentId = null, CancellationToken cancellationToken = default)
    {
        var text = CommunityRules.ValidateComment(content);
        var post = await PostAccess.FindVisibleAsync(db, actor, postId, cancellationToken);
        Comment? parent = null;
        if (parentId is { } pid)
        {
            parent = await db.Comments.AsNoTracking().FirstOrDefaultAsync(c => c.Id == pid && c.PostId == postId, cancellationToken)
                     ?? throw new NotFoundError("comment", pid);
            if (parent.IsDeleted) throw new NotFoundError("comment", pid);
        }
        Comment comment;
        await using (await writeGate.EnterCommentingAsync(actor, cancellationToken))
        {
            comment = new Comment { PostId = postId, AuthorId = actor.Id, ParentId = parentId, Content = text, CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.Comments.Add(comment);
            await db.SaveChangesAsync(cancellationToken);
        }
        await PostCounters.RefreshAsync(db, postId, cancellationToken);
        if (parent is not null) await notifications.NotifyAsync(parent.AuthorId, actor.Id, NotificationKinds.Reply, postId, comment.Id, cancellationToken);
        // The post's author hears about every comment, unless the reply already told them.
        if (parent?.AuthorId != post.AuthorId)
            await notifications.NotifyAsync(post.AuthorId, actor.Id, NotificationKinds.Comment, postId, comment.Id, cancellationToken);
        return comment;
    }

    public async Task<Comment> EditAsync(UserRef actor, int commentId, string content, CancellationToken cancellationToken = default)
    {
        var text = CommunityRules.ValidateComment(content);
        var comment = await FindAsync(actor, commentId, cancellationToken);
        // Editing puts words in someone's mouth: only the author, not even an admin.
        if (comment.AuthorId != actor.Id) throw new ForbiddenError("Only the author can edit this comment.");
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        comment.Content = text;
        comment.EditedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return comment;
    }

    /// <summary>Soft delete: the row stays (shown as "已删除") so its replies keep their place in the thread.</summary>
    public async Task DeleteAsync(UserRef actor, int commentId, CancellationToken cancellationToken = default)
    {
        var comment = await FindAsync(actor, commentId, cancellationToken);
        if (comment.AuthorId != actor.Id && !actor.IsAdmin) throw new ForbiddenError("Only the author can delete this comment.");
        comment.IsDeleted = true;
        comment.Content = "";
        await db.SaveChangesAsync(cancellationToken);
        await db.CommentLikes.Where(l => l.CommentId == commentId).ExecuteDeleteAsync(cancellationToken);
        await PostCounters.RefreshCommentAsync(db, commentId, cancellationToken);
        await PostCounters.RefreshAsync(db, comment.PostId, cancellationToken);
        if (comment.AuthorId != actor.Id)
            await audit.RecordAsync(actor, "community.comment.moderate_delete", "comment", commentId, new { comment.PostId, authorId = comment.AuthorId }, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// A page of a post's comment threads (oldest first), each with all its replies nested under it. Only the page's
    /// top-level comments are read (one index range), then all their replies in one recursive query, so a post with thousands of
    /// comments costs what one page costs. A deleted comment shows as "已删除" only while a live reply hangs under it.
    /// </summary>
    public async Task<PagedResult<CommentView>> ListAsync(UserRef? viewer, int postId, int page = 1, int threadsPerPage = DefaultThreadsPerPage, CancellationToken cancellationToken = default)
    {
        await PostAccess.FindVisibleAsync(db, viewer, postId, cancellationToken);
        return await ListThreadsAsync(viewer, postId, page, threadsPerPage, cancellationToken);
    }

    /// <summary><see cref="ListAsync"/> for a post the caller has already found visible to <paramref name="viewer"/>.</summary>
    internal async Task<PagedResult<CommentView>> ListThreadsAsync(UserRef? viewer, int postId, int page, int threadsPerPage, CancellationToken cancellationToken)
    {
        var (p, size, skip) = Paging.Clamp(page, threadsPerPage);
        var top = new List<Comment>(size);
        await foreach (var thread in ThreadsPage(db, postId, skip, size).WithCancellation(cancellationToken)) top.Add(thread);
        // A first page that is not full is every thread there is: no count needed (most posts have few comments).
        var total = skip == 0 && top.Count < size ? top.Count : await ThreadCount(db, postId, cancellationToken);

        var rows = new List<Comment>(top);
        rows.AddRange(await RepliesUnderAsync(top.Select(c => c.Id).ToList(), cancellationToken));
        var children = rows.OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToLookup(r => r.ParentId);
        bool Live(Comment c) => !c.IsDeleted || children[c.Id].Any(Live);

        var authors = await Authors.LoadAsync(db, rows.Where(r => !r.IsDeleted).Select(r => r.AuthorId), cancellationToken);
        var ids = rows.Select(r => r.Id).ToList();
        var liked = viewer is null ? [] : (await db.CommentLikes.Where(l => l.UserId == viewer.Id && ids.Contains(l.CommentId))
            .Select(l => l.CommentId).ToListAsync(cancellationToken)).ToHashSet();

        CommentView Build(Comment c) => new(c.Id, c.ParentId,
            c.IsDeleted ? null : Authors.Of(authors, c.AuthorId),
            c.IsDeleted ? null : c.Content,
            c.IsDeleted ? null : markdown.ToHtml(c.Content),
            c.IsDeleted, c.LikeCount, liked.Contains(c.Id), c.CreatedAt, c.EditedAt,
            !c.IsDeleted && viewer?.Id == c.AuthorId,
            !c.IsDeleted && viewer is not null && (viewer.Id == c.AuthorId || viewer.IsAdmin),
            children[c.Id].Where(Live).Select(Build).ToList());

        return new PagedResult<CommentView>(top.Where(Live).Select(Build).ToList(), total, p, size);
    }

    /// <summary>
    /// Every reply under the given comments, at any depth, in one statement: a recursive CTE (same SQL on SQLite and
    /// PostgreSQL) walking the ParentId index, instead of one query per nesting level. UNION, not UNION ALL, so even a
    /// cycle in ParentId could not make it run forever.
    /// </summary>
    private async Task<List<Comment>> RepliesUnderAsync(IReadOnlyList<int> parentIds, CancellationToken cancellationToken)
    {
        if (parentIds.Count == 0) return [];
        // Only "{0}, {1}, …" placeholders go into the text; the ids themselves are bound as parameters.
        var placeholders = string.Join(", ", parentIds.Select((_, i) => "{" + i + "}"));
        var sql = $"""
            WITH RECURSIVE "Thread"("Id") AS (
                SELECT "Id" FROM "Comments" WHERE "ParentId" IN ({placeholders})
                UNION
                SELECT "c"."Id" FROM "Comments" AS "c" INNER JOIN "Thread" AS "t" ON "c"."ParentId" = "t"."Id")
            SELECT * FROM "Comments" WHERE "Id" IN (SELECT "Id" FROM "Thread")
            """;
        return await db.Comments.FromSqlRaw(sql, parentIds.Cast<object>().ToArray()).AsNoTracking().ToListAsync(cancellationToken);
    }

    // Counted and paged in SQL: a deleted top-level comment counts while any reply hangs under it (a reply's own
    // liveness is settled in memory, for the page only). Compiled: every post view runs them.
    private static readonly Func<CodeRunnerDbContext, int, CancellationToken, Task<int>> ThreadCount = EF.CompileAsyncQuery(
        (CodeRunnerDbContext db, int postId, CancellationToken _) =>
            db.Comments.Count(c => c.PostId == postId && c.ParentId == null && (!c.IsDeleted || db.Comments.Any(r => r.ParentId == c.Id))));

    private static readonly Func<CodeRunnerDbContext, int, int, int, IAsyncEnumerable<Comment>> ThreadsPage = EF.CompileAsyncQuery(
        (CodeRunnerDbContext db, int postId, int skip, int take) =>
            db.Comments.AsNoTracking()
                .Where(c => c.PostId == postId && c.ParentId == null && (!c.IsDeleted || db.Comments.Any(r => r.ParentId == c.Id)))
                .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).Skip(skip).Take(take));

    /// <summary>Top-level threads per page of the post page ("加载更多" loads the next page).</summary>
    public const int DefaultThreadsPerPage = 20;

    private async Task<Comment> FindAsync(UserRef actor, int commentId, CancellationToken cancellationToken)
    {
        var comment = await db.Comments.FirstOrDefaultAsync(c => c.Id == commentId, cancellationToken) ?? throw new NotFoundError("comment", commentId);
        if (comment.IsDeleted) throw new NotFoundError("comment", commentId);
        await PostAccess.FindVisibleAsync(db, actor, comment.PostId, cancellationToken);
        return comment;
    }
}
