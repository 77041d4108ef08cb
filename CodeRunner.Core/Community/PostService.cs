using Microsoft.Extensions.Options;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>Posts: write, edit, delete (author; admins as moderation), read one, count views, save the program to a library.</summary>
public sealed class PostService(
    CodeRunnerDbContext db, CommunityWriteGate writeGate, MarkdownRenderer markdown, SnippetService snippets,
    ExecutionQueries executions, CommentService comments, AuditService audit, IOptions<ExecutionOptions> execution, TimeProvider clock)
{
    public async Task<Post> CreateAsync(UserRef actor, PostEdit edit, CancellationToken cancellationToken = default)
    {
        var valid = Validate(edit);
        await using var slot = await writeGate.EnterPostingAsync(actor, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var post = new Post { AuthorId = actor.Id, Title = "", Content = "", CreatedAt = now };
        Apply(valid, post, now);
        post.HotScore = HotRanking.Score(0, 0, 0, now);
        db.Posts.Add(post);
        await db.SaveChangesAsync(cancellationToken);
        await ReplaceTagRowsAsync(post, cancellationToken);
        await audit.RecordAsync(actor, "community.post.create", "post", post.Id, new { post.Title, post.IsPublic }, cancellationToken: cancellationToken);
        return post;
    }

    public async Task<Post> UpdateAsync(UserRef actor, int id, PostEdit edit, CancellationToken cancellationToken = default)
    {
        var valid = Validate(edit);
        var post = await PostAccess.FindVisibleAsync(db, actor, id, cancellationToken, tracking: true);
        if (!post.CanChange(actor)) throw new ForbiddenError("Only the author can edit this post.");
        if (post.AuthorId == actor.Id) await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        Apply(valid, post, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(cancellationToken);
        await ReplaceTagRowsAsync(post, cancellationToken);
        var action = post.AuthorId == actor.Id ? "community.post.update" : "community.post.moderate_update";
        await audit.RecordAsync(actor, action, "post", id, new { post.Title, post.IsPublic, authorId = post.AuthorId }, cancellationToken: cancellationToken);
        return post;
    }

    /// <summary>The author deletes their post; an admin deletes anyone's, recorded as moderation with the author and title.</summary>
    public async Task DeleteAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var post = await PostAccess.FindVisibleAsync(db, actor, id, cancellationToken, tracking: true);
        if (!post.CanChange(actor)) throw new ForbiddenError("Only the author can delete this post.");
        db.Posts.Remove(post);
        await db.SaveChangesAsync(cancellationToken);
        var moderation = post.AuthorId != actor.Id;
        await audit.RecordAsync(actor, moderation ? "community.post.moderate_delete" : "community.post.delete", "post", id,
            new { post.Title, authorId = post.AuthorId }, cancellationToken: cancellationToken);
    }

    /// <summary>A post page for <paramref name="viewer"/> (null = a visitor who is not signed in).</summary>
    public async Task<PostDetail> GetAsync(UserRef? viewer, int id, CancellationToken cancellationToken = default)
    {
        var row = viewer is null ? await PostWithAuthorForVisitor(db, id, cancellationToken) : await PostWithAuthorForUser(db, id, viewer.Id, cancellationToken);
        if (row is null || !row.Post.CanSee(viewer)) throw new NotFoundError("post", id);
        var post = row.Post;
        var author = row.UserName is null ? new AuthorView(post.AuthorId, "", null, null) : new AuthorView(post.AuthorId, row.UserName, row.FullName, AvatarStore.UrlFor(row.AvatarPath));
        return new PostDetail(post.Id, post.Title, post.Content, markdown.ToHtml(post.Content), SnippetRules.SplitTags(post.Tags), post.IsPublic,
            post.Code, post.CodeLanguage, post.EnvironmentName,
            post.LikeCount, post.FavoriteCount, post.CommentCount, post.ViewCount, post.SaveCount,
            post.CreatedAt, post.UpdatedAt, author, row.Liked, row.Favorited, post.CanChange(viewer), post.CanChange(viewer));
    }

    /// <summary>
    /// The post page's first load: the post and the first page of its comment threads, with the visibility check done
    /// once (by the post's own read) instead of once per part.
    /// </summary>
    public async Task<(PostDetail Post, PagedResult<CommentView> Comments)> GetWithCommentsAsync(UserRef? viewer, int id, CancellationToken cancellationToken = default)
    {
        var post = await GetAsync(viewer, id, cancellationToken);
        return (post, await comments.ListThreadsAsync(viewer, id, 1, CommentService.DefaultThreadsPerPage, cancellationToken));
    }

    private sealed record PostRow(Post Post, string? UserName, string? FullName, string? AvatarPath, bool Liked, bool Favorited);

    // The post, its author and (for a signed-in viewer) their like and favorite in one statement: a post page used to
    // spend four round trips of EF's fixed cost on these. Compiled, since every post view runs one of the two.
    private static readonly Func<CodeRunnerDbContext, int, CancellationToken, Task<PostRow?>> PostWithAuthorForVisitor = EF.CompileAsyncQuery(
        (CodeRunnerDbContext db, int id, CancellationToken _) =>
            (from p in db.Posts.AsNoTracking()
             where p.Id == id
             join u in db.Users on p.AuthorId equals u.Id into authors
             from u in authors.DefaultIfEmpty()
             select new PostRow(p, u.UserName, u.FullName, u.AvatarPath, false, false)).FirstOrDefault());

    private static readonly Func<CodeRunnerDbContext, int, string, CancellationToken, Task<PostRow?>> PostWithAuthorForUser = EF.CompileAsyncQuery(
        (CodeRunnerDbContext db, int id, string viewerId, CancellationToken _) =>
            (from p in db.Posts.AsNoTracking()
             where p.Id == id
             join u in db.Users on p.AuthorId equals u.Id into authors
             from u in authors.DefaultIfEmpty()
             select new PostRow(p, u.UserName, u.FullName, u.AvatarPath,
                 db.PostLikes.Any(l => l.PostId == id && l.UserId == viewerId),
                 db.PostFavorites.Any(f => f.PostId == id && f.UserId == viewerId))).FirstOrDefault());

    /// <summary>
    /// Counts a view once per viewer per UTC day: the unique (post, viewer, day) row decides, so reloads and racing
    /// requests add nothing. <paramref name="viewerKey"/> is "u:&lt;user id&gt;" or an anonymous key from the web layer.
    /// Returns whether this call counted.
    /// </summary>
    public async Task<bool> RecordViewAsync(UserRef? viewer, int id, string viewerKey, CancellationToken cancellationToken = default)
    {
        var key = viewer is not null ? "u:" + viewer.Id : viewerKey.Length > 80 ? viewerKey[..80] : viewerKey;
        var day = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        // The visibility check rides in the INSERT (same rule as PostAccess.CanSee): a first view of the day is two
        // statements, not three. "" is never an author id, so a visitor sees public posts only.
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "PostViews" ("PostId", "ViewerKey", "Day")
            SELECT "Id", {key}, {day} FROM "Posts"
            WHERE "Id" = {id} AND ("IsPublic" OR "AuthorId" = {viewer?.Id ?? ""} OR {viewer?.IsAdmin ?? false})
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        if (inserted == 0)
        {
            // Already counted today, or not visible: the latter is "not found", as for every other read.
            await PostAccess.FindVisibleAsync(db, viewer, id, cancellationToken);
            return false;
        }
        await db.Posts.Where(p => p.Id == id).ExecuteUpdateAsync(s => s.SetProperty(p => p.ViewCount, p => p.ViewCount + 1), cancellationToken);
        return true;
    }

    /// <summary>"保存到我的代码库": a private snippet with the post's program, within the actor's tier limit; the share is recorded.</summary>
    public async Task<Snippet> SaveToLibraryAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var post = await PostAccess.FindVisibleAsync(db, actor, id, cancellationToken);
        if (post.Code is null) throw new ValidationError("community.post_has_no_code", "code", "This post has no program to save.");
        var snippet = await snippets.CreateAsync(actor, new SnippetEdit
        {
            Title = post.Title,
            Description = $"/community/posts/{post.Id}",
            Code = post.Code,
            Tags = post.Tags,
            EnvironmentName = post.EnvironmentName,
        }, cancellationToken);
        db.PostCodeShares.Add(new PostCodeShare { PostId = id, UserId = actor.Id, SnippetId = snippet.Id, CreatedAt = clock.GetUtcNow().UtcDateTime });
        await db.SaveChangesAsync(cancellationToken);
        await PostCounters.RefreshAsync(db, id, cancellationToken);
        return snippet;
    }

    /// <summary>A new post's fields from one of the actor's snippets (or a public one).</summary>
    public async Task<PostEdit> DraftFromSnippetAsync(UserRef actor, int snippetId, CancellationToken cancellationToken = default)
    {
        var snippet = await snippets.GetAsync(actor, snippetId, cancellationToken);
        return new PostEdit
        {
            Title = snippet.Title, Content = snippet.Description ?? "", Tags = string.Join(',', snippet.Tags.Take(CommunityRules.MaxTags)),
            Code = snippet.Code, CodeLanguage = snippet.Language, EnvironmentName = snippet.EnvironmentName,
        };
    }

    /// <summary>A new post's program from a run in the actor's history.</summary>
    public async Task<PostEdit> DraftFromRunAsync(UserRef actor, long executionId, CancellationToken cancellationToken = default)
    {
        var run = await executions.GetAsync(actor, executionId, cancellationToken);
        return new PostEdit { Code = run.Code, EnvironmentName = run.EnvironmentName };
    }

    /// <summary>Keeps the PostTags rows (tag filter) equal to the post's tags and visibility.</summary>
    private async Task ReplaceTagRowsAsync(Post post, CancellationToken cancellationToken)
    {
        await db.PostTags.Where(t => t.PostId == post.Id).ExecuteDeleteAsync(cancellationToken);
        db.PostTags.AddRange(SnippetRules.SplitTags(post.Tags).Select(tag => new PostTag { PostId = post.Id, Tag = tag, CreatedAt = post.CreatedAt, IsPublic = post.IsPublic }));
        await db.SaveChangesAsync(cancellationToken);
    }

    private PostEdit Validate(PostEdit edit)
    {
        var (code, language) = CommunityRules.ValidateCode(edit.Code, edit.CodeLanguage, execution.Value.MaxCodeBytes);
        return edit with
        {
            Title = CommunityRules.ValidateTitle(edit.Title),
            Content = CommunityRules.ValidateContent(edit.Content),
            Tags = string.Join(',', CommunityRules.ValidateTags(edit.Tags)),
            Code = code,
            CodeLanguage = language,
            EnvironmentName = code is null ? null : CommunityRules.ValidateEnvironmentName(edit.EnvironmentName),
        };
    }

    private void Apply(PostEdit edit, Post post, DateTime now)
    {
        post.Title = edit.Title;
        post.Content = edit.Content;
        post.Excerpt = markdown.ToExcerpt(edit.Content);
        post.Tags = edit.Tags ?? "";
        post.IsPublic = edit.IsPublic;
        post.Code = edit.Code;
        post.CodeLanguage = edit.CodeLanguage ?? CommunityRules.CodeLanguages[0];
        post.EnvironmentName = edit.EnvironmentName;
        post.UpdatedAt = now;
    }
}
