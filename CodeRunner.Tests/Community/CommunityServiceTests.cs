using System.Text;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Common;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Core.Library;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Community;

/// <summary>The community's rules on a real SQLite database, through the Core services.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class CommunityServiceTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private Task<T> With<T>(Func<IServiceProvider, Task<T>> action) => app.WithScopeAsync(action);
    private Task With(Func<IServiceProvider, Task> action) => app.WithScopeAsync(action);

    private async Task<UserRef> UserAsync(int level = 1, bool admin = false) =>
        CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: level, isAdmin: admin), isAdmin: admin);

    private static PostEdit Edit(string title, string content = "正文 body", bool isPublic = true, string? tags = null, string? code = null) =>
        new() { Title = title, Content = content, IsPublic = isPublic, Tags = tags, Code = code };

    private Task<Post> PostAsync(UserRef author, PostEdit edit) => With(sp => sp.GetRequiredService<PostService>().CreateAsync(author, edit));

    private Task<PagedResult<PostSummary>> FeedAsync(UserRef? viewer, FeedQuery query) =>
        With(sp => sp.GetRequiredService<FeedQueries>().FeedAsync(viewer, query));

    [Fact]
    public async Task A_private_post_is_invisible_to_others_everywhere_but_its_author_and_admins_see_it()
    {
        var author = await UserAsync();
        var other = await UserAsync();
        var admin = await UserAsync(admin: true);
        var word = "secret" + Guid.NewGuid().ToString("N")[..8];
        var hidden = await PostAsync(author, Edit($"private {word}", $"body {word}", isPublic: false, tags: word));
        await PostAsync(author, Edit("public one"));
        var authorName = author.UserName;

        foreach (UserRef? viewer in new[] { other, null })
        {
            await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<PostService>().GetAsync(viewer, hidden.Id)));
            foreach (var tab in Enum.GetValues<FeedTab>())
                Assert.DoesNotContain((await FeedAsync(viewer, new FeedQuery(tab, PageSize: 50))).Items, p => p.Id == hidden.Id);
            Assert.Equal(0, (await FeedAsync(viewer, new FeedQuery(Search: word))).TotalCount);
            Assert.Equal(0, (await FeedAsync(viewer, new FeedQuery(Tag: word))).TotalCount);
            var byAuthor = await With(sp => sp.GetRequiredService<FeedQueries>().ByAuthorAsync(viewer, authorName));
            Assert.Equal(1, byAuthor.TotalCount);
            var profile = await With(sp => sp.GetRequiredService<ProfileService>().GetAsync(viewer, authorName));
            Assert.Equal(1, profile.PostCount);
            await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<CommentService>().ListAsync(viewer, hidden.Id)));
        }
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(other, hidden.Id, true)));
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<CommentService>().AddAsync(other, hidden.Id, "hi")));
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<PostService>().SaveToLibraryAsync(other, hidden.Id)));

        Assert.Equal(hidden.Id, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(author, hidden.Id))).Id);
        Assert.Equal(hidden.Id, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(admin, hidden.Id))).Id);
        Assert.Equal(2, (await With(sp => sp.GetRequiredService<ProfileService>().GetAsync(author, authorName))).PostCount);
        Assert.Equal(2, (await With(sp => sp.GetRequiredService<FeedQueries>().ByAuthorAsync(admin, authorName))).TotalCount);
    }

    [Fact]
    public async Task Only_the_author_or_an_admin_edits_or_deletes_a_post_and_an_admin_delete_is_audited_as_moderation()
    {
        var author = await UserAsync();
        var other = await UserAsync();
        var admin = await UserAsync(admin: true);
        var post = await PostAsync(author, Edit("mine"));

        await Assert.ThrowsAsync<ForbiddenError>(() => With(sp => sp.GetRequiredService<PostService>().UpdateAsync(other, post.Id, Edit("hijack"))));
        await Assert.ThrowsAsync<ForbiddenError>(() => With(sp => sp.GetRequiredService<PostService>().DeleteAsync(other, post.Id)));
        var detail = await With(sp => sp.GetRequiredService<PostService>().GetAsync(other, post.Id));
        Assert.False(detail.CanEdit);
        Assert.False(detail.CanDelete);

        var updated = await With(sp => sp.GetRequiredService<PostService>().UpdateAsync(author, post.Id, Edit("mine, edited")));
        Assert.Equal("mine, edited", updated.Title);

        await With(sp => sp.GetRequiredService<PostService>().DeleteAsync(admin, post.Id));
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<PostService>().GetAsync(author, post.Id)));
        var audit = await With(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs.AsNoTracking()
            .Where(a => a.ResourceType == "post" && a.ResourceId == post.Id.ToString()).Select(a => a.Action).ToListAsync());
        Assert.Contains("community.post.moderate_delete", audit);
        Assert.DoesNotContain("community.post.delete", audit);
    }

    [Fact]
    public async Task Concurrent_likes_and_unlikes_leave_exact_counts()
    {
        var author = await UserAsync();
        var post = await PostAsync(author, Edit("popular"));
        var likers = new List<UserRef>();
        for (var i = 0; i < 12; i++) likers.Add(await UserAsync());

        // Every liker clicks "like" three times at once: twelve likes, not thirty-six.
        await Task.WhenAll(likers.SelectMany(u => Enumerable.Range(0, 3).Select(_ =>
            With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(u, post.Id, true)))));
        await Task.WhenAll(likers.Take(5).SelectMany(u => Enumerable.Range(0, 2).Select(_ =>
            With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(u, post.Id, false)))));
        await Task.WhenAll(likers.Select(u => With(sp => sp.GetRequiredService<ReactionService>().SetFavoriteAsync(u, post.Id, true))));

        var (likes, rows, favorites) = await With(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            var stored = await db.Posts.AsNoTracking().SingleAsync(p => p.Id == post.Id);
            return (stored.LikeCount, await db.PostLikes.CountAsync(l => l.PostId == post.Id), stored.FavoriteCount);
        });
        Assert.Equal(7, rows);
        Assert.Equal(7, likes);
        Assert.Equal(12, favorites);
        var toggled = await With(sp => sp.GetRequiredService<ReactionService>().TogglePostLikeAsync(likers[0], post.Id));
        Assert.Equal(new ReactionState(true, 8), toggled);
    }

    [Fact]
    public async Task A_view_counts_once_per_viewer_per_day_however_often_the_page_reloads()
    {
        var author = await UserAsync();
        var reader = await UserAsync();
        var post = await PostAsync(author, Edit("viewed"));
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => With(sp => sp.GetRequiredService<PostService>().RecordViewAsync(reader, post.Id, "ignored"))));
        await With(sp => sp.GetRequiredService<PostService>().RecordViewAsync(null, post.Id, "anon:a"));
        await With(sp => sp.GetRequiredService<PostService>().RecordViewAsync(null, post.Id, "anon:a"));
        await With(sp => sp.GetRequiredService<PostService>().RecordViewAsync(null, post.Id, "anon:b"));
        Assert.Equal(3, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(null, post.Id))).ViewCount);
    }

    [Fact]
    public async Task Replies_nest_under_their_comment_and_a_deleted_parent_keeps_its_replies()
    {
        var author = await UserAsync();
        var alice = await UserAsync();
        var bob = await UserAsync();
        var post = await PostAsync(author, Edit("thread"));
        var comments = async () => (await With(sp => sp.GetRequiredService<CommentService>().ListAsync(author, post.Id))).Items;
        var top = await With(sp => sp.GetRequiredService<CommentService>().AddAsync(alice, post.Id, "first **bold**"));
        var reply = await With(sp => sp.GetRequiredService<CommentService>().AddAsync(bob, post.Id, "reply", top.Id));
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(alice, post.Id, "reply to reply", reply.Id));

        var thread = Assert.Single(await comments());
        Assert.Contains("<strong>bold</strong>", thread.ContentHtml);
        Assert.Equal("reply", Assert.Single(thread.Replies).Content);
        Assert.Single(thread.Replies[0].Replies);
        Assert.Equal(3, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(null, post.Id))).CommentCount);

        await Assert.ThrowsAsync<ForbiddenError>(() => With(async sp => { await sp.GetRequiredService<CommentService>().DeleteAsync(bob, top.Id); return 0; }));
        await Assert.ThrowsAsync<ForbiddenError>(() => With(sp => sp.GetRequiredService<CommentService>().EditAsync(bob, top.Id, "put words")));
        await With(sp => sp.GetRequiredService<CommentService>().EditAsync(alice, top.Id, "first, *edited*"));
        // The HTML shown (cached by its Markdown) follows the edit.
        var edited = Assert.Single(await comments()).ContentHtml;
        Assert.Contains("<em>edited</em>", edited);
        Assert.DoesNotContain("<strong>bold</strong>", edited);
        await With(sp => sp.GetRequiredService<CommentService>().DeleteAsync(alice, top.Id));

        thread = Assert.Single(await comments());
        Assert.True(thread.IsDeleted);
        Assert.Null(thread.Content);
        Assert.Null(thread.Author);
        Assert.Equal("reply", Assert.Single(thread.Replies).Content);
        Assert.Equal(2, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(null, post.Id))).CommentCount);
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<CommentService>().AddAsync(bob, post.Id, "to nothing", top.Id)));

        // Threads page as wholes: a page never splits a thread from its replies.
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(bob, post.Id, "second thread"));
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(author, post.Id, "third thread"));
        var page2 = await With(sp => sp.GetRequiredService<CommentService>().ListAsync(author, post.Id, page: 2, threadsPerPage: 2));
        Assert.Equal(3, page2.TotalCount);
        Assert.Equal("third thread", Assert.Single(page2.Items).Content);
    }

    [Fact]
    public async Task The_author_hears_about_comments_likes_and_followers_and_a_commenter_about_replies()
    {
        var author = await UserAsync();
        var reader = await UserAsync();
        var post = await PostAsync(author, Edit("notify me"));
        var comment = await With(sp => sp.GetRequiredService<CommentService>().AddAsync(reader, post.Id, "nice"));
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(author, post.Id, "thanks", comment.Id));
        // Like, un-like, like again: the bell rings once.
        await With(sp => sp.GetRequiredService<ReactionService>().TogglePostLikeAsync(reader, post.Id));
        await With(sp => sp.GetRequiredService<ReactionService>().TogglePostLikeAsync(reader, post.Id));
        await With(sp => sp.GetRequiredService<ReactionService>().TogglePostLikeAsync(reader, post.Id));
        await With(sp => sp.GetRequiredService<FollowService>().FollowAsync(reader, author.UserName));
        await With(sp => sp.GetRequiredService<FollowService>().FollowAsync(reader, author.UserName));
        await With(sp => sp.GetRequiredService<ReactionService>().TogglePostLikeAsync(author, post.Id));

        var mine = await With(sp => sp.GetRequiredService<NotificationService>().ListAsync(author));
        Assert.Equal(["follow", "like", "comment"], mine.Items.Select(n => n.Kind));
        Assert.All(mine.Items, n => Assert.Equal(reader.Id, n.Actor!.Id));
        Assert.Equal("notify me", mine.Items[1].PostTitle);
        Assert.Equal(3, await With(sp => sp.GetRequiredService<NotificationService>().UnreadCountAsync(author)));
        var theirs = await With(sp => sp.GetRequiredService<NotificationService>().ListAsync(reader));
        Assert.Equal("reply", Assert.Single(theirs.Items).Kind);

        await Assert.ThrowsAsync<NotFoundError>(() => With(async sp => { await sp.GetRequiredService<NotificationService>().MarkReadAsync(reader, mine.Items[0].Id); return 0; }));
        await With(sp => sp.GetRequiredService<NotificationService>().MarkReadAsync(author, mine.Items[0].Id));
        Assert.Equal(2, await With(sp => sp.GetRequiredService<NotificationService>().UnreadCountAsync(author)));
        await With(sp => sp.GetRequiredService<NotificationService>().MarkAllReadAsync(author));
        Assert.Equal(0, await With(sp => sp.GetRequiredService<NotificationService>().UnreadCountAsync(author)));
    }

    [Fact]
    public async Task Deactivated_and_locked_out_accounts_cannot_post_comment_or_like()
    {
        var author = await UserAsync();
        var post = await PostAsync(author, Edit("open"));
        var inactive = await UserAsync();
        var locked = await UserAsync();
        await With(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            await db.Users.Where(u => u.Id == inactive.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false));
            await db.Users.Where(u => u.Id == locked.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.LockoutEnd, DateTimeOffset.UtcNow.AddDays(1)));
        });
        foreach (var blocked in new[] { inactive, locked })
        {
            var error = await Assert.ThrowsAsync<AccountBlockedError>(() => PostAsync(blocked, Edit("spam")));
            Assert.Equal("community.account_blocked", error.Code);
            await Assert.ThrowsAsync<AccountBlockedError>(() => With(sp => sp.GetRequiredService<CommentService>().AddAsync(blocked, post.Id, "spam")));
            await Assert.ThrowsAsync<AccountBlockedError>(() => With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(blocked, post.Id, true)));
        }
    }

    [Fact]
    public async Task Posting_and_commenting_are_rate_limited_per_user_even_when_requests_race()
    {
        var author = await UserAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try { await PostAsync(author, Edit($"burst {i}")); return null; }
            catch (CommunityRateLimitError e) { return e; }
        }));
        Assert.Equal(5, results.Count(r => r is null));
        Assert.All(results.OfType<CommunityRateLimitError>(), e => Assert.Equal("community.posting_too_fast", e.Code));

        var commenter = await UserAsync();
        var target = await With(sp => sp.GetRequiredService<CodeRunnerDbContext>().Posts.Where(p => p.AuthorId == author.Id).Select(p => p.Id).FirstAsync());
        for (var i = 0; i < 10; i++) await With(sp => sp.GetRequiredService<CommentService>().AddAsync(commenter, target, $"c{i}"));
        var error = await Assert.ThrowsAsync<CommunityRateLimitError>(() => With(sp => sp.GetRequiredService<CommentService>().AddAsync(commenter, target, "one more")));
        Assert.Equal("community.commenting_too_fast", error.Code);
        // Someone else is not slowed down by it.
        await With(sp => sp.GetRequiredService<CommentService>().AddAsync(author, target, "still fine"));
    }

    [Theory]
    [InlineData("", "body", null, "community.title_required")]
    [InlineData("t", "   ", null, "community.content_required")]
    [InlineData("t", "body", "a,b,c,d,e,f", "community.too_many_tags")]
    [InlineData("t", "body", "<script>", "community.tag_invalid")]
    public async Task Bad_post_input_gets_a_typed_error(string title, string content, string? tags, string code)
    {
        var author = await UserAsync();
        var error = await Assert.ThrowsAsync<ValidationError>(() => PostAsync(author, Edit(title, content, tags: tags)));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task Too_long_input_gets_a_typed_error_naming_the_limit()
    {
        var author = await UserAsync();
        var title = await Assert.ThrowsAsync<ValidationError>(() => PostAsync(author, Edit(new string('题', CommunityRules.MaxTitleLength + 1))));
        Assert.Equal(("community.title_too_long", CommunityRules.MaxTitleLength), (title.Code, (int)title.Arguments[0]));
        var body = await Assert.ThrowsAsync<ValidationError>(() => PostAsync(author, Edit("t", new string('x', CommunityRules.MaxContentLength + 1))));
        Assert.Equal("community.content_too_long", body.Code);
        var code = await Assert.ThrowsAsync<ValidationError>(() => PostAsync(author, Edit("t", code: new string('x', new CodeRunner.Core.Execution.ExecutionOptions().MaxCodeBytes + 1))));
        Assert.Equal("community.code_too_large", code.Code);
        var post = await PostAsync(author, Edit("ok"));
        var comment = await Assert.ThrowsAsync<ValidationError>(() => With(sp => sp.GetRequiredService<CommentService>().AddAsync(author, post.Id, new string('x', CommunityRules.MaxCommentLength + 1))));
        Assert.Equal("community.comment_too_long", comment.Code);
        var bio = await Assert.ThrowsAsync<ValidationError>(() => With(async sp => { await sp.GetRequiredService<ProfileService>().UpdateAsync(author, new ProfileEdit("n", new string('x', CommunityRules.MaxBioLength + 1))); return 0; }));
        Assert.Equal("community.bio_too_long", bio.Code);
    }

    [Fact]
    public async Task Saving_a_posts_program_makes_a_private_snippet_within_the_tier_limit_and_records_the_share()
    {
        var author = await UserAsync();
        var post = await PostAsync(author, Edit("runnable", code: "print('hi')", tags: "demo") with { EnvironmentName = "base" });
        var reader = await UserAsync(level: 1);
        var snippet = await With(sp => sp.GetRequiredService<PostService>().SaveToLibraryAsync(reader, post.Id));
        Assert.Equal((reader.Id, "print('hi')", false, "demo", "base"), (snippet.UserId, snippet.Code, snippet.IsPublic, snippet.Tags, snippet.EnvironmentName));
        Assert.Equal(1, (await With(sp => sp.GetRequiredService<PostService>().GetAsync(reader, post.Id))).SaveCount);
        Assert.Equal(1, await With(sp => sp.GetRequiredService<CodeRunnerDbContext>().PostCodeShares.CountAsync(s => s.PostId == post.Id && s.UserId == reader.Id && s.SnippetId == snippet.Id)));

        for (var i = 0; i < 4; i++) await With(sp => sp.GetRequiredService<PostService>().SaveToLibraryAsync(reader, post.Id));
        var full = await Assert.ThrowsAsync<QuotaExceededError>(() => With(sp => sp.GetRequiredService<PostService>().SaveToLibraryAsync(reader, post.Id)));
        Assert.Equal("library.limit_reached", full.Code);
        Assert.Equal(5, await With(sp => sp.GetRequiredService<CodeRunnerDbContext>().PostCodeShares.CountAsync(s => s.PostId == post.Id)));

        var noCode = await PostAsync(author, Edit("words only"));
        var error = await Assert.ThrowsAsync<ValidationError>(() => With(sp => sp.GetRequiredService<PostService>().SaveToLibraryAsync(author, noCode.Id)));
        Assert.Equal("community.post_has_no_code", error.Code);
    }

    [Fact]
    public async Task A_post_can_be_drafted_from_a_snippet_but_not_from_someone_elses_private_one()
    {
        var owner = await UserAsync(level: 2);
        var other = await UserAsync();
        var snippet = await With(sp => sp.GetRequiredService<SnippetService>().CreateAsync(owner, new SnippetEdit { Title = "mine", Code = "x = 1", Tags = "a" }));
        var draft = await With(sp => sp.GetRequiredService<PostService>().DraftFromSnippetAsync(owner, snippet.Id));
        Assert.Equal(("mine", "x = 1", "a"), (draft.Title, draft.Code, draft.Tags));
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<PostService>().DraftFromSnippetAsync(other, snippet.Id)));
    }

    [Fact]
    public async Task Feed_tabs_search_tags_and_paging_return_the_right_posts()
    {
        var tag = "t" + Guid.NewGuid().ToString("N")[..8];
        var followed = await UserAsync();
        var stranger = await UserAsync();
        var reader = await UserAsync();
        var older = await PostAsync(followed, Edit($"older {tag}", tags: tag));
        var liked = await PostAsync(stranger, Edit("liked by many", $"mentions {tag} in the body"));
        var newest = await PostAsync(stranger, Edit("newest", tags: $"{tag},other"));
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var fan = await UserAsync();
            await With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(fan, liked.Id, true));
        }
        await With(sp => sp.GetRequiredService<FollowService>().FollowAsync(reader, followed.UserName));

        var latest = await FeedAsync(reader, new FeedQuery(Search: tag));
        Assert.Equal([newest.Id, liked.Id, older.Id], latest.Items.Select(p => p.Id));
        var hot = await FeedAsync(reader, new FeedQuery(FeedTab.Hot, Search: tag));
        Assert.Equal(liked.Id, hot.Items[0].Id);
        var following = await FeedAsync(reader, new FeedQuery(FeedTab.Following));
        Assert.Equal([older.Id], following.Items.Select(p => p.Id));
        Assert.Equal(0, (await FeedAsync(null, new FeedQuery(FeedTab.Following))).TotalCount);
        var tagged = await FeedAsync(reader, new FeedQuery(Tag: tag.ToUpperInvariant()));
        Assert.Equal([newest.Id, older.Id], tagged.Items.Select(p => p.Id));
        var page2 = await FeedAsync(reader, new FeedQuery(Search: tag, Page: 2, PageSize: 2));
        Assert.Equal(3, page2.TotalCount);
        Assert.Equal([older.Id], page2.Items.Select(p => p.Id));

        await With(sp => sp.GetRequiredService<ReactionService>().SetFavoriteAsync(reader, older.Id, true));
        await With(sp => sp.GetRequiredService<ReactionService>().SetFavoriteAsync(reader, newest.Id, true));
        var favorites = await With(sp => sp.GetRequiredService<FeedQueries>().FavoritesAsync(reader));
        Assert.Equal([newest.Id, older.Id], favorites.Items.Select(p => p.Id));
        // A favorite that turned private disappears from my list.
        await With(sp => sp.GetRequiredService<PostService>().UpdateAsync(stranger, newest.Id, Edit("newest", isPublic: false)));
        Assert.Equal([older.Id], (await With(sp => sp.GetRequiredService<FeedQueries>().FavoritesAsync(reader))).Items.Select(p => p.Id));
    }

    [Fact]
    public async Task A_profile_counts_posts_followers_following_likes_and_runs()
    {
        var person = await UserAsync();
        var fans = new List<UserRef> { await UserAsync(), await UserAsync() };
        var post = await PostAsync(person, Edit("p1"));
        await PostAsync(person, Edit("p2"));
        foreach (var fan in fans)
        {
            await With(sp => sp.GetRequiredService<FollowService>().FollowAsync(fan, person.UserName));
            await With(sp => sp.GetRequiredService<ReactionService>().SetPostLikeAsync(fan, post.Id, true));
        }
        await With(sp => sp.GetRequiredService<FollowService>().FollowAsync(person, fans[0].UserName));
        await With(sp => sp.GetRequiredService<ProfileService>().UpdateAsync(person, new ProfileEdit(" 李华 ", "写 Python 的")));
        await Assert.ThrowsAsync<ValidationError>(() => With(sp => sp.GetRequiredService<FollowService>().FollowAsync(person, person.UserName)));

        var profile = await With(sp => sp.GetRequiredService<ProfileService>().GetAsync(fans[0], person.UserName.ToUpperInvariant()));
        Assert.Equal((2, 2, 1, 2, 0), (profile.PostCount, profile.FollowerCount, profile.FollowingCount, profile.LikesReceived, profile.RunCount));
        Assert.Equal(("李华", "写 Python 的"), (profile.User.FullName, profile.Bio));
        Assert.True(profile.FollowedByMe);
        var followers = await With(sp => sp.GetRequiredService<FollowService>().FollowersAsync(person.UserName));
        Assert.Equal(fans.Select(f => f.Id).Reverse(), followers.Items.Select(a => a.Id));

        await With(sp => sp.GetRequiredService<FollowService>().UnfollowAsync(fans[0], person.UserName));
        Assert.Equal(1, (await With(sp => sp.GetRequiredService<ProfileService>().GetAsync(null, person.UserName))).FollowerCount);
        await Assert.ThrowsAsync<NotFoundError>(() => With(sp => sp.GetRequiredService<ProfileService>().GetAsync(null, "nobody-" + Guid.NewGuid())));
    }

    [Fact]
    public void Hot_score_trades_ten_times_the_engagement_for_twelve_and_a_half_hours()
    {
        var t = new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var popularOlder = HotRanking.Score(100, 0, 0, t);
        var quietNewer = HotRanking.Score(10, 0, 0, t.AddSeconds(HotRanking.SecondsPerDecade));
        Assert.Equal(popularOlder, quietNewer, 6);
        Assert.True(HotRanking.Score(0, 5, 0, t) > HotRanking.Score(5, 0, 0, t));
        Assert.True(HotRanking.Score(0, 0, 0, t.AddHours(1)) > HotRanking.Score(0, 0, 0, t));
    }

    [Fact]
    public async Task An_uploaded_avatar_is_served_publicly_with_its_type_and_nosniff_and_replacing_it_removes_the_old_file()
    {
        var user = await UserAsync();
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
        var url = await With(sp => sp.GetRequiredService<ProfileService>().SetAvatarAsync(user, new MemoryStream(png)));
        Assert.Equal(url, (await With(sp => sp.GetRequiredService<ProfileService>().GetAsync(null, user.UserName))).User.AvatarUrl);

        using var client = app.CreateClient();
        using var response = await client.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(png, await response.Content.ReadAsByteArrayAsync());

        var html = Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>");
        await Assert.ThrowsAsync<ValidationError>(() => With(sp => sp.GetRequiredService<ProfileService>().SetAvatarAsync(user, new MemoryStream(html))));
        var second = await With(sp => sp.GetRequiredService<ProfileService>().SetAvatarAsync(user, new MemoryStream(png)));
        Assert.NotEqual(url, second);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync(url)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/avatars/..%2Fcoderunner.db")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/avatars/0123456789abcdef0123456789abcdef.png")).StatusCode);
    }
}
