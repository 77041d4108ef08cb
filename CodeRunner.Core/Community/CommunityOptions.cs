namespace CodeRunner.Core.Community;

/// <summary>Community limits, bound from the "Community" configuration section. Admins are not rate limited.</summary>
public sealed class CommunityOptions
{
    public const string Section = "Community";

    public int PostsPerWindow { get; set; } = 5;
    public TimeSpan PostWindow { get; set; } = TimeSpan.FromMinutes(10);
    public int CommentsPerWindow { get; set; } = 10;
    public TimeSpan CommentWindow { get; set; } = TimeSpan.FromMinutes(1);
}
