using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Library;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>
/// Lists of posts: the feed (最新 / 热门 / 关注, with search and tag filter), a person's posts, my favorites, popular tags.
/// The feed shows public posts only, to everyone (admins included); private posts appear on their author's own profile.
/// </summary>
public sealed class FeedQueries(ReadContexts reads)
{
    /// <summary>
    /// The feed's TotalCount stops here (50 pages of 20): counting every match of a broad filter costs a scan of the whole
    /// table on each page view, and nobody pages that deep; the pager shows "1000+".
    /// </summary>
    public const int MaxCountedPosts = 1000;

    public async Task<PagedResult<PostSummary>> FeedAsync(UserRef? viewer, FeedQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var posts = db.Posts.AsNoTracking().Where(p => p.IsPublic);
        if (query.Tab == FeedTab.Following)
        {
            if (viewer is null) return new PagedResult<PostSummary>([], 0, 1, query.PageSize);
            if (string.IsNullOrWhiteSpace(query.Search) && string.IsNullOrWhiteSpace(query.Tag)) return await FollowingAsync(db, viewer, query, cancellationToken);
            posts = posts.Join(db.Follows.Where(f => f.FollowerId == viewer.Id), p => p.AuthorId, f => f.FolloweeId, (p, f) => p);
        }
        if (query.Tab == FeedTab.Latest && string.IsNullOrWhiteSpace(query.Search) && !string.IsNullOrWhiteSpace(query.Tag))
            return await LatestWithTagAsync(db, query, cancellationToken);
        posts = Filter(db, posts, query.Search, query.Tag);
        var ordered = query.Tab == FeedTab.Hot
            ? posts.OrderByDescending(p => p.HotScore).ThenByDescending(p => p.Id)
            : posts.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id);
        return await PageAsync(db, posts, ordered, query.Page, query.PageSize, cancellationToken, MaxCountedPosts);
    }

    /// <summary>
    /// 关注 without filters: the page's ids come from the (AuthorId, CreatedAt, IsPublic) index alone, one range per followed
    /// person, sorted in a small temp tree; only the page's rows are then read. (Joined in one query, SQLite read every
    /// full row of every followed person's posts before sorting.)
    /// </summary>
    private static async Task<PagedResult<PostSummary>> FollowingAsync(CodeRunnerDbContext db, UserRef viewer, FeedQuery query, CancellationToken cancellationToken)
    {
        var (p, size, skip) = Paging.Clamp(query.Page, query.PageSize);
        var rows = db.Follows.AsNoTracking().Where(f => f.FollowerId == viewer.Id)
            .Join(db.Posts.AsNoTracking().Where(x => x.IsPublic), f => f.FolloweeId, x => x.AuthorId, (f, x) => new { x.Id, x.CreatedAt });
        var total = await rows.Take(MaxCountedPosts).CountAsync(cancellationToken);
        var ids = await rows.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.Id).Skip(skip).Take(size).Select(x => x.Id).ToListAsync(cancellationToken);
        return new PagedResult<PostSummary>(await SummariesInOrderAsync(db, ids, cancellationToken), total, p, size);
    }

    /// <summary>The common tag filter (最新 + one tag) reads the tag's public rows newest first from one index range.</summary>
    private static async Task<PagedResult<PostSummary>> LatestWithTagAsync(CodeRunnerDbContext db, FeedQuery query, CancellationToken cancellationToken)
    {
        var (p, size, skip) = Paging.Clamp(query.Page, query.PageSize);
        var tag = query.Tag!.Trim().ToLowerInvariant();
        var rows = db.PostTags.AsNoTracking().Where(t => t.Tag == tag && t.IsPublic);
        var total = await rows.Take(MaxCountedPosts).CountAsync(cancellationToken);
        var ids = await rows.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.PostId).Skip(skip).Take(size).Select(t => t.PostId).ToListAsync(cancellationToken);
        return new PagedResult<PostSummary>(await SummariesInOrderAsync(db, ids, cancellationToken), total, p, size);
    }

    /// <summary>A person's posts as <paramref name="viewer"/> may see them (their own private ones only for themselves and admins).</summary>
    public async Task<PagedResult<PostSummary>> ByAuthorAsync(UserRef? viewer, string userName, int page = 1, int pageSize = 20, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var authorId = await ProfileService.FindUserIdAsync(db, userName, cancellationToken);
        var posts = db.Posts.AsNoTracking().VisibleTo(viewer).Where(p => p.AuthorId == authorId);
        return await PageAsync(db, posts, posts.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id), page, pageSize, cancellationToken);
    }

    /// <summary>我的收藏: posts the actor favorited and can still see, most recently favorited first.</summary>
    public async Task<PagedResult<PostSummary>> FavoritesAsync(UserRef actor, int page = 1, int pageSize = 20, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var (p, size, skip) = Paging.Clamp(page, pageSize);
        var visible = db.Posts.AsNoTracking().VisibleTo(actor);
        var favorites = db.PostFavorites.AsNoTracking().Where(f => f.UserId == actor.Id)
            .Join(visible, f => f.PostId, post => post.Id, (f, post) => new { f.CreatedAt, f.Id, Post = post });
        var total = await favorites.CountAsync(cancellationToken);
        var ids = await favorites.OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.Id).Skip(skip).Take(size)
            .Select(x => x.Post.Id).ToListAsync(cancellationToken);
        var byId = (await SummariesAsync(db, db.Posts.AsNoTracking().Where(x => ids.Contains(x.Id)), cancellationToken)).ToDictionary(s => s.Id);
        return new PagedResult<PostSummary>(ids.Where(byId.ContainsKey).Select(id => byId[id]).ToList(), total, p, size);
    }

    /// <summary>The most used tags among recent public posts, for the tag filter.</summary>
    public async Task<IReadOnlyList<string>> PopularTagsAsync(int take = 20, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var recent = await db.Posts.AsNoTracking().Where(p => p.IsPublic && p.Tags != "").OrderByDescending(p => p.CreatedAt)
            .Take(1000).Select(p => p.Tags).ToListAsync(cancellationToken);
        return recent.SelectMany(SnippetRules.SplitTags).GroupBy(t => t).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(take).Select(g => g.Key).ToList();
    }

    private static IQueryable<Post> Filter(CodeRunnerDbContext db, IQueryable<Post> posts, string? search, string? tag)
    {
        posts = PostSearch.Matching(db, posts, search);
        if (!string.IsNullOrWhiteSpace(tag))
        {
            var wanted = tag.Trim().ToLowerInvariant();
            posts = posts.Where(p => db.PostTags.Any(t => t.PostId == p.Id && t.Tag == wanted));
        }
        return posts;
    }

    private static async Task<PagedResult<PostSummary>> PageAsync(CodeRunnerDbContext db, IQueryable<Post> filtered, IOrderedQueryable<Post> ordered, int page, int pageSize,
        CancellationToken cancellationToken, int? countLimit = null)
    {
        var (p, size, skip) = Paging.Clamp(page, pageSize);
        var total = countLimit is { } limit ? await filtered.Take(limit).CountAsync(cancellationToken) : await filtered.CountAsync(cancellationToken);
        var items = await SummariesAsync(db, ordered.Skip(skip).Take(size), cancellationToken);
        return new PagedResult<PostSummary>(items, total, p, size);
    }

    /// <summary>Feed cards for public posts chosen by id, in the ids' order (a post made private meanwhile drops out).</summary>
    private static async Task<IReadOnlyList<PostSummary>> SummariesInOrderAsync(CodeRunnerDbContext db, IReadOnlyList<int> ids, CancellationToken cancellationToken)
    {
        var byId = (await SummariesAsync(db, db.Posts.AsNoTracking().Where(x => ids.Contains(x.Id) && x.IsPublic), cancellationToken)).ToDictionary(s => s.Id);
        return ids.Where(byId.ContainsKey).Select(id => byId[id]).ToList();
    }

    /// <summary>Feed cards for a page of posts, never loading bodies or code.</summary>
    private static async Task<IReadOnlyList<PostSummary>> SummariesAsync(CodeRunnerDbContext db, IQueryable<Post> page, CancellationToken cancellationToken)
    {
        var rows = await page.Select(x => new
        {
            x.Id, x.Title, x.Excerpt, x.Tags, x.IsPublic, HasCode = x.Code != null, x.CodeLanguage,
            x.LikeCount, x.FavoriteCount, x.CommentCount, x.ViewCount, x.CreatedAt, x.UpdatedAt, x.AuthorId,
        }).ToListAsync(cancellationToken);
        var authors = await Authors.LoadAsync(db, rows.Select(r => r.AuthorId), cancellationToken);
        return rows.Select(r => new PostSummary(r.Id, r.Title, r.Excerpt, SnippetRules.SplitTags(r.Tags), r.IsPublic, r.HasCode, r.CodeLanguage,
            r.LikeCount, r.FavoriteCount, r.CommentCount, r.ViewCount, r.CreatedAt, r.UpdatedAt, Authors.Of(authors, r.AuthorId))).ToList();
    }
}
