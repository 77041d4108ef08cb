namespace CodeRunner.Core.Community;

/// <summary>
/// A Markdown post in the community feed, optionally carrying one program (code + language + environment)
/// that readers open in the editor or save to their library. Counters are denormalized for the feed and
/// recounted from their rows on every change (see <see cref="PostCounters"/>), so they stay exact.
/// </summary>
public class Post
{
    public int Id { get; set; }
    public required string AuthorId { get; set; }
    public required string Title { get; set; }
    /// <summary>Markdown source; rendered by <see cref="MarkdownRenderer"/>, never stored as HTML.</summary>
    public required string Content { get; set; }
    /// <summary>Plain-text start of the body for feed cards, computed on save so the feed never loads bodies.</summary>
    public string Excerpt { get; set; } = "";
    /// <summary>Comma-separated, lower-case tags (same normalization as snippets).</summary>
    public string Tags { get; set; } = "";
    /// <summary>Private posts are seen only by their author and admins: in the feed, search, profiles and counts.</summary>
    public bool IsPublic { get; set; } = true;

    /// <summary>The post's program, if any.</summary>
    public string? Code { get; set; }
    public string CodeLanguage { get; set; } = "python";
    public string? EnvironmentName { get; set; }

    public int LikeCount { get; set; }
    public int FavoriteCount { get; set; }
    public int CommentCount { get; set; }
    public int ViewCount { get; set; }
    /// <summary>How many readers saved the program to their library.</summary>
    public int SaveCount { get; set; }
    /// <summary>Rank of the 热门 tab; see <see cref="HotRanking"/>.</summary>
    public double HotScore { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// One tag of a post, for the tag filter: a copy of Post.Tags split into rows, with the post's creation time and visibility
/// so "newest public posts with tag X" is one index range (the filter would otherwise scan every post's Tags text).
/// </summary>
public class PostTag
{
    public int PostId { get; set; }
    public required string Tag { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool IsPublic { get; set; }
}

public class PostLike
{
    public int Id { get; set; }
    public int PostId { get; set; }
    public required string UserId { get; set; }
    public DateTime CreatedAt { get; set; }
}

public class PostFavorite
{
    public int Id { get; set; }
    public int PostId { get; set; }
    public required string UserId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One counted view: a viewer (user id or anonymous key) counts once per post per UTC day.</summary>
public class PostView
{
    public long Id { get; set; }
    public int PostId { get; set; }
    public required string ViewerKey { get; set; }
    public DateOnly Day { get; set; }
}

public class Comment
{
    public int Id { get; set; }
    public int PostId { get; set; }
    public required string AuthorId { get; set; }
    /// <summary>The comment this one replies to, if any.</summary>
    public int? ParentId { get; set; }
    public required string Content { get; set; }
    /// <summary>Deleted comments keep their row (content emptied) so their replies stay in the thread.</summary>
    public bool IsDeleted { get; set; }
    public int LikeCount { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? EditedAt { get; set; }
}

public class CommentLike
{
    public int Id { get; set; }
    public int CommentId { get; set; }
    public required string UserId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A reader saved a post's program to their library ("保存到我的代码库").</summary>
public class PostCodeShare
{
    public int Id { get; set; }
    public int PostId { get; set; }
    public required string UserId { get; set; }
    public int? SnippetId { get; set; }
    public DateTime CreatedAt { get; set; }
}

public class Follow
{
    public int Id { get; set; }
    public required string FollowerId { get; set; }
    public required string FolloweeId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Something that happened to the recipient: a comment on their post, a reply, a like, a new follower.</summary>
public class Notification
{
    public long Id { get; set; }
    public required string RecipientId { get; set; }
    public string? ActorId { get; set; }
    /// <summary>One of <see cref="NotificationKinds"/>.</summary>
    public required string Kind { get; set; }
    public int? PostId { get; set; }
    public int? CommentId { get; set; }
    public bool IsRead { get; set; }
    public DateTime CreatedAt { get; set; }
}

public static class NotificationKinds
{
    public const string Comment = "comment";
    public const string Reply = "reply";
    public const string Like = "like";
    public const string Follow = "follow";
}
