using CodeRunner.Core.Common;

namespace CodeRunner.Core.Community;

/// <summary>What an author sets on a post. Tags are free text ("a, B" → "a,b"); an empty Code means no program.</summary>
public sealed record PostEdit
{
    public string Title { get; init; } = "";
    public string Content { get; init; } = "";
    public string? Tags { get; init; }
    public bool IsPublic { get; init; } = true;
    public string? Code { get; init; }
    public string? CodeLanguage { get; init; }
    public string? EnvironmentName { get; init; }
}

/// <summary>A person as the community shows them; AvatarUrl is null for the default avatar.</summary>
public sealed record AuthorView(string Id, string UserName, string? FullName, string? AvatarUrl)
{
    public string DisplayName => string.IsNullOrWhiteSpace(FullName) ? UserName : FullName;
}

/// <summary>A feed card: no body, only the excerpt.</summary>
public sealed record PostSummary(
    int Id, string Title, string Excerpt, IReadOnlyList<string> Tags, bool IsPublic, bool HasCode, string CodeLanguage,
    int LikeCount, int FavoriteCount, int CommentCount, int ViewCount, DateTime CreatedAt, DateTime UpdatedAt, AuthorView Author);

/// <summary>A post page. ContentHtml is sanitized (see <see cref="MarkdownRenderer"/>); Can* say what the viewer may do.</summary>
public sealed record PostDetail(
    int Id, string Title, string Content, string ContentHtml, IReadOnlyList<string> Tags, bool IsPublic,
    string? Code, string CodeLanguage, string? EnvironmentName,
    int LikeCount, int FavoriteCount, int CommentCount, int ViewCount, int SaveCount,
    DateTime CreatedAt, DateTime UpdatedAt, AuthorView Author,
    bool LikedByMe, bool FavoritedByMe, bool CanEdit, bool CanDelete);

public enum FeedTab
{
    Latest,
    Hot,
    Following,
}

/// <summary>Search matches title, body and tags; Tag filters on one exact tag.</summary>
public sealed record FeedQuery(FeedTab Tab = FeedTab.Latest, string? Search = null, string? Tag = null, int Page = 1, int PageSize = 20);

/// <summary>The viewer's state of a like or favorite after a change, with the exact count.</summary>
public sealed record ReactionState(bool Active, int Count);

/// <summary>One comment with its replies. A deleted comment has no author and no content but keeps its replies.</summary>
public sealed record CommentView(
    int Id, int? ParentId, AuthorView? Author, string? Content, string? ContentHtml, bool IsDeleted, int LikeCount, bool LikedByMe,
    DateTime CreatedAt, DateTime? EditedAt, bool CanEdit, bool CanDelete, IReadOnlyList<CommentView> Replies);

public sealed record ProfileView(
    AuthorView User, string? Bio, DateTime JoinedAt, int PostCount, int FollowerCount, int FollowingCount, int LikesReceived, int RunCount,
    bool IsMe, bool FollowedByMe);

public sealed record ProfileEdit(string? FullName, string? Bio);

public sealed record NotificationView(
    long Id, string Kind, AuthorView? Actor, int? PostId, string? PostTitle, int? CommentId, bool IsRead, DateTime CreatedAt);

/// <summary>Paging arguments clamped the same way everywhere in the community.</summary>
internal static class Paging
{
    public static (int Page, int PageSize, int Skip) Clamp(int page, int pageSize)
    {
        var size = PagedResult<object>.ClampPageSize(pageSize, 50);
        var p = Math.Max(1, page);
        return (p, size, PagedResult<object>.SkipFor(p, size));
    }
}
