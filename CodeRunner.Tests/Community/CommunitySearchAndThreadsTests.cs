using CodeRunner.Core.Common;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Community;

/// <summary>
/// The feed's search (SQLite FTS5 trigram index kept in sync by triggers, LINQ for short terms), the 关注 tab's paging,
/// comment threads paged by their top-level comments, and the pruning of old view rows; real SQLite through Core services.
/// </summary>
public class CommunitySearchAndThreadsTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private Task<T> With<T>(Func<IServiceProvider, Task<T>> action) => app.WithScopeAsync(action);
    private Task With(Func<IServiceProvider, Task> action) => app.WithScopeAsync(action);

    private async Task<UserRef> UserAsync() => CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());

    private static PostEdit Edit(string title, string content = "正文 body", bool isPublic = true, string? tags = null) =>
        new() { Title = title, Content = content, IsPublic = isPublic, Tags = tags };

    private Task<Post> PostAsync(UserRef author, PostEdit edit) => With(sp => sp.GetRequiredService<PostService>().CreateAsync(author, edit));

    private async Task<int[]> SearchAsync(string term, UserRef? viewer = null) =>
        (await With(sp => sp.GetRequiredService<FeedQueries>().FeedAsync(viewer, new FeedQuery(Search: term, PageSize: 50)))).Items.Select(p => p.Id).ToArray();

    /// <summary>FTS5's own check that the index holds exactly what the Posts rows say (throws "database disk image is malformed" otherwise).</summary>
    private Task AssertSearchIndexMatchesPostsAsync() =>
        With(sp => sp.GetRequiredService<CodeRunnerDbContext>().Database.ExecuteSqlRawAsync("INSERT INTO PostsSearch(PostsSearch, rank) VALUES ('integrity-check', 1)"));

    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Search_finds_a_post_by_its_title_body_or_tag_in_any_case_and_in_chinese()
    {
        var author = await UserAsync();
        var word = Unique("zq");
        var inTitle = await PostAsync(author, Edit($"Title with {word.ToUpperInvariant()}"));
        var inBody = await PostAsync(author, Edit("plain title", $"body mentions {word} here"));
        var inTag = await PostAsync(author, Edit("tagged", tags: word));
        var chinese = await PostAsync(author, Edit($"快速排序{word[2..6]}算法详解", "用递归实现快速排序"));

        Assert.Equal([inTag.Id, inBody.Id, inTitle.Id], await SearchAsync(word));
        Assert.Equal([inTag.Id, inBody.Id, inTitle.Id], await SearchAsync($"  {word.ToUpperInvariant()} "));
        // Through the trigram index (3+ characters) and through the LINQ path (2 characters) alike.
        Assert.Contains(chinese.Id, await SearchAsync($"排序{word[2..6]}算法"));
        Assert.Contains(chinese.Id, await SearchAsync("递归实现"));
        Assert.Contains(chinese.Id, await SearchAsync("递归"));
        Assert.Empty(await SearchAsync(Unique("nothing")));
    }

    [Fact]
    public async Task Search_input_is_a_literal_string_never_fts_query_syntax()
    {
        var author = await UserAsync();
        var word = Unique("lit");
        var post = await PostAsync(author, Edit($"quote \"{word}\" OR NOT *"));
        Assert.Equal([post.Id], await SearchAsync($"\"{word}\" OR NOT *"));
        foreach (var hostile in new[] { "\"", "\"\"\"", "a OR b", "NEAR(x y)", "title:abc", "*", "^abc", "(((", "-abc", "abc\"; DROP TABLE Posts; --" })
            await SearchAsync(hostile);
        Assert.Equal([post.Id], await SearchAsync(word));
    }

    [Fact]
    public async Task Private_posts_never_appear_in_search_results_for_anyone_not_even_their_author_or_an_admin()
    {
        var author = await UserAsync();
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var word = Unique("pv");
        var hidden = await PostAsync(author, Edit($"private {word}", $"秘密 {word}", isPublic: false, tags: word));
        var shown = await PostAsync(author, Edit($"public {word}"));

        // The feed lists public posts only, to everyone; private ones live on their author's profile.
        foreach (var viewer in new UserRef?[] { null, await UserAsync(), author, admin })
        {
            Assert.Equal([shown.Id], await SearchAsync(word, viewer));
            // A 2-character term takes the LINQ path; the same rule holds there.
            Assert.DoesNotContain(hidden.Id, await SearchAsync("秘密", viewer));
        }

        // Made public, it is found; made private again, it is gone.
        await With(sp => sp.GetRequiredService<PostService>().UpdateAsync(author, hidden.Id, Edit($"private {word}", isPublic: true)));
        Assert.Equal([shown.Id, hidden.Id], await SearchAsync(word));
        await With(sp => sp.GetRequiredService<PostService>().UpdateAsync(author, hidden.Id, Edit($"private {word}", isPublic: false)));
        Assert.Equal([shown.Id], await SearchAsync(word));
    }

    [Fact]
    public async Task The_search_index_follows_edits_and_deletes()
    {
        var author = await UserAsync();
        var before = Unique("old");
        var after = Unique("new");
        var post = await PostAsync(author, Edit("same title", $"about {before}", tags: before));
        Assert.Equal([post.Id], await SearchAsync(before));

        await With(sp => sp.GetRequiredService<PostService>().UpdateAsync(author, post.Id, Edit("same title", $"now about {after}")));
        Assert.Empty(await SearchAsync(before));
        Assert.Equal([post.Id], await SearchAsync(after));
        // Counter updates (a like) do not touch the searched columns and leave the index as it is.
        await With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(author, post.Id, true));
        Assert.Equal([post.Id], await SearchAsync(after));
        await AssertSearchIndexMatchesPostsAsync();

        await With(sp => sp.GetRequiredService<PostService>().DeleteAsync(author, post.Id));
        Assert.Empty(await SearchAsync(after));
        await AssertSearchIndexMatchesPostsAsync();
    }

    [Fact]
    public async Task The_following_tab_pages_the_followed_peoples_public_posts_newest_first()
    {
        var reader = await UserAsync();
        var followed = new[] { await UserAsync(), await UserAsync(), await UserAsync() };
        var stranger = await UserAsync();
        foreach (var person in followed) await With(sp => sp.GetRequiredService<FollowService>().FollowAsync(reader, person.UserName));
        var expected = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            expected.Add((await PostAsync(followed[i % 2], Edit($"followed {i}"))).Id);
            await PostAsync(stranger, Edit($"stranger {i}"));
            await PostAsync(followed[2], Edit($"private {i}", isPublic: false));
        }
        expected.Reverse();

        var feed = (int page) => With(sp => sp.GetRequiredService<FeedQueries>().FeedAsync(reader, new FeedQuery(FeedTab.Following, Page: page, PageSize: 2)));
        var pages = new[] { await feed(1), await feed(2), await feed(3) };
        Assert.All(pages, p => Assert.Equal(5, p.TotalCount));
        Assert.Equal(expected, pages.SelectMany(p => p.Items).Select(p => p.Id));
        Assert.All(pages.SelectMany(p => p.Items), p => Assert.Contains(p.Author.UserName, followed.Select(f => f.UserName)));
    }

    [Fact]
    public async Task Comment_threads_page_by_top_level_comment_with_every_reply_under_its_parent()
    {
        var author = await UserAsync();
        var reader = await UserAsync();
        var post = await PostAsync(author, Edit("a busy thread"));
        // Five commenters, so nobody reaches the per-minute comment limit.
        var people = new[] { author, reader, await UserAsync(), await UserAsync(), await UserAsync() };
        var tops = new List<Comment>();
        for (var i = 0; i < 25; i++)
            tops.Add(await With(sp => sp.GetRequiredService<CommentService>().AddAsync(people[i % 5], post.Id, $"top {i}")));
        // Thread 0 has a reply chain three deep; thread 21 a reply; thread 3 is deleted with no replies (hidden);
        // thread 5 is deleted but keeps a live reply (shown as deleted).
        var reply = await With(sp => sp.GetRequiredService<CommentService>().AddAsync(reader, post.Id, "reply 1", tops[0].Id));
        reply = await With(sp => sp.GetRequiredService<CommentService>().AddAsync(author, post.Id, "reply 2", reply.Id));
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(reader, post.Id, "reply 3", reply.Id));
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(author, post.Id, "late reply", tops[21].Id));
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(people[2], post.Id, "kept reply", tops[5].Id));
        await With(sp => sp.GetRequiredService<CommentService>().DeleteAsync(people[3], tops[3].Id));
        await With(sp => sp.GetRequiredService<CommentService>().DeleteAsync(people[0], tops[5].Id));

        var page1 = await With(sp => sp.GetRequiredService<CommentService>().ListAsync(reader, post.Id, page: 1, threadsPerPage: 20));
        var page2 = await With(sp => sp.GetRequiredService<CommentService>().ListAsync(reader, post.Id, page: 2, threadsPerPage: 20));

        Assert.Equal(24, page1.TotalCount);
        Assert.Equal(20, page1.Items.Count);
        Assert.Equal(4, page2.Items.Count);
        var shown = page1.Items.Concat(page2.Items).ToList();
        Assert.Equal(tops.Where((_, i) => i != 3).Select(c => c.Id), shown.Select(t => t.Id));
        Assert.Equal("reply 3", shown[0].Replies.Single().Replies.Single().Replies.Single().Content);
        var deleted = shown.Single(t => t.Id == tops[5].Id);
        Assert.True(deleted.IsDeleted);
        Assert.Equal("kept reply", deleted.Replies.Single().Content);
        Assert.Equal("late reply", page2.Items.Single(t => t.Id == tops[21].Id).Replies.Single().Content);
        Assert.All(shown.Where(t => t.Id != tops[0].Id && t.Id != tops[5].Id && t.Id != tops[21].Id), t => Assert.Empty(t.Replies));
    }

    [Fact]
    public async Task Pruning_deletes_view_rows_of_past_days_and_keeps_todays_and_the_counts()
    {
        var author = await UserAsync();
        var post = await PostAsync(author, Edit("viewed"));
        await With(sp => sp.GetRequiredService<PostService>().RecordViewAsync(null, post.Id, "anon:today"));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await With(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.PostViews.AddRange(
                new PostView { PostId = post.Id, ViewerKey = "anon:yesterday", Day = today.AddDays(-1) },
                new PostView { PostId = post.Id, ViewerKey = "anon:last-year", Day = today.AddDays(-365) });
            await db.SaveChangesAsync();
        });

        var pruned = await app.Services.GetRequiredService<PostViewPruner>().PruneAsync(CancellationToken.None);

        Assert.True(pruned >= 2);
        var left = await With(sp => sp.GetRequiredService<CodeRunnerDbContext>().PostViews.Where(v => v.PostId == post.Id).Select(v => v.ViewerKey).ToListAsync());
        Assert.Equal(["anon:today"], left);
        Assert.Equal(1, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(null, post.Id))).ViewCount);
        // Today's row still keeps a reload from counting twice.
        Assert.False(await With(sp => sp.GetRequiredService<PostService>().RecordViewAsync(null, post.Id, "anon:today")));
    }
}
