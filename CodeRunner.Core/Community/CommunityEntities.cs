namespace CodeRunner.Core.Community;

/// <summary>A markdown post in the community feed.</summary>
public class Post
{
    public int Id { get; set; }
    public required string AuthorId { get; set; }
    public required string Title { get; set; }
    public required string Content { get; set; }
    public string Tags { get; set; } = "";
    public bool IsPublished { get; set; } = true;
    public int ViewCount { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
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

public class Comment
{
    public int Id { get; set; }
    public int PostId { get; set; }
    public required string AuthorId { get; set; }
    /// <summary>The comment this one replies to, if any.</summary>
    public int? ParentId { get; set; }
    public required string Content { get; set; }
    public bool IsDeleted { get; set; }
    public DateTime CreatedAt { get; set; }
}

public class CommentLike
{
    public int Id { get; set; }
    public int CommentId { get; set; }
    public required string UserId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Code attached to a post, runnable or copyable by readers.</summary>
public class PostCodeShare
{
    public int Id { get; set; }
    public int PostId { get; set; }
    public required string Code { get; set; }
    public string Language { get; set; } = "python";
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
