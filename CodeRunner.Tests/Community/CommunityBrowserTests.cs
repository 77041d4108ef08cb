using System.Text.RegularExpressions;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Community;

/// <summary>The community as people use it, in Chromium against the real app (real sandbox for the run).</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh: a page's components load at once on one circuit
[Collection(ExecutionCollection.Name)]
public class CommunityBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private CodeRunnerAppFactory App => fixture.App;

    private async Task<IPage> PageAsync(int width = 1366, int height = 800, string? culture = null)
    {
        var page = await fixture.NewPageAsync(culture);
        await page.SetViewportSizeAsync(width, height);
        return page;
    }

    [Fact]
    public async Task A_post_with_code_is_liked_commented_replied_followed_run_and_saved_and_the_author_is_notified()
    {
        var author = await App.CreateUserAsync(level: 2);
        var reader = await App.CreateUserAsync(level: 2);
        var authorPage = await PageAsync();
        int postId = 0;
        await BrowserAppFixture.RunAsync(authorPage, "community-author-writes", async () =>
        {
            await fixture.SignInAsync(authorPage, author.UserName!, returnUrl: "/community/new");
            await authorPage.Locator(".editor-title input").FillAsync("用 Python 算 6×7");
            await authorPage.Locator(".editor-tags input").FillAsync("python, 入门");
            await authorPage.Locator(".editor-content textarea").FillAsync("这段代码会打印 **答案**。\n\n<script>alert(1)</script>");
            await authorPage.Locator(".editor-preview strong").GetByText("答案").WaitForAsync();
            await authorPage.Locator(".editor-code textarea").FillAsync("print('hello from post', 6 * 7)");
            await authorPage.Locator(".editor-code textarea").PressAsync("Tab");
            await BrowserAppFixture.ScreenshotAsync(authorPage, "community-editor-1366");
            await authorPage.Locator(".publish-post").ClickAsync();
            await authorPage.WaitForURLAsync(new Regex("/community/posts/\\d+$"));
            postId = int.Parse(authorPage.Url.Split('/').Last());
            await authorPage.Locator(".post-code-body").GetByText("print('hello from post', 6 * 7)").WaitForAsync();
            // Raw HTML in the body is shown as text, never run.
            Assert.Contains("<script>alert(1)</script>", await authorPage.Locator(".post-detail .markdown-body").InnerTextAsync());
            Assert.Equal(0, await authorPage.Locator(".post-detail .markdown-body script").CountAsync());
            await authorPage.Locator(".new-comment textarea").FillAsync("欢迎提问");
            await authorPage.Locator(".send-comment").ClickAsync();
            await authorPage.Locator(".comment-body").GetByText("欢迎提问").WaitForAsync();
        });

        var readerPage = await PageAsync();
        await BrowserAppFixture.RunAsync(readerPage, "community-reader", async () =>
        {
            await fixture.SignInAsync(readerPage, reader.UserName!, returnUrl: $"/community/posts/{postId}");
            await readerPage.Locator(".like-post").ClickAsync();
            await Assertions.Expect(readerPage.Locator(".like-post")).ToContainTextAsync("1");
            await readerPage.Locator(".new-comment textarea").FillAsync("很清楚，谢谢");
            await readerPage.Locator(".send-comment").ClickAsync();
            await readerPage.Locator(".comment-body").GetByText("很清楚，谢谢").WaitForAsync();
            var authorComment = readerPage.Locator(".comment", new() { Has = readerPage.Locator(".comment-body", new() { HasText = "欢迎提问" }) }).First;
            await authorComment.Locator(".reply-comment").First.ClickAsync();
            await authorComment.Locator(".reply-text textarea").FillAsync("请问 6×7 为什么是 42？");
            await authorComment.Locator(".send-reply").ClickAsync();
            await readerPage.Locator(".comment-reply .comment-body").GetByText("为什么是 42").WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(readerPage, "community-post-1366");

            await readerPage.GotoAsync($"/u/{author.UserName}");
            await BrowserAppFixture.WaitForInteractiveAsync(readerPage);
            await readerPage.Locator(".follow-button").ClickAsync();
            await Assertions.Expect(readerPage.Locator(".follow-button")).ToContainTextAsync("已关注");
            await BrowserAppFixture.ScreenshotAsync(readerPage, "community-profile-1366");

            await readerPage.GotoAsync($"/community/posts/{postId}");
            await BrowserAppFixture.WaitForInteractiveAsync(readerPage);
            await readerPage.Locator(".open-in-editor").ClickAsync();
            await readerPage.WaitForURLAsync(new Regex($"/run\\?post={postId}$"));
            await readerPage.Locator("#run-start:not([disabled])").WaitForAsync();
            await readerPage.Locator("#run-start").ClickAsync();
            await readerPage.Locator("#run-output").GetByText("hello from post 42").WaitForAsync(new() { Timeout = 30_000 });

            await readerPage.GotoAsync($"/community/posts/{postId}");
            await BrowserAppFixture.WaitForInteractiveAsync(readerPage);
            await readerPage.Locator(".save-to-library").ClickAsync();
            await readerPage.Locator(".mud-snackbar").GetByText("已保存到代码库").WaitForAsync();
        });
        var saved = await App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Snippets.AsNoTracking().SingleAsync(s => s.UserId == reader.Id));
        Assert.Equal("print('hello from post', 6 * 7)", saved.Code);
        Assert.Equal(1, await App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().PostCodeShares.CountAsync(s => s.PostId == postId)));

        authorPage = await PageAsync();
        await BrowserAppFixture.RunAsync(authorPage, "community-author-notified", async () =>
        {
            await fixture.SignInAsync(authorPage, author.UserName!, returnUrl: "/community");
            var badge = authorPage.Locator(".bell-badge .mud-badge");
            await Assertions.Expect(badge).ToHaveTextAsync("4");
            await authorPage.Locator(".bell-button").ClickAsync();
            var items = authorPage.Locator(".notification-item");
            await Assertions.Expect(items).ToHaveCountAsync(4);
            var texts = string.Join("\n", await items.AllInnerTextsAsync());
            foreach (var expected in new[] { "关注了你", "回复了你", "评论了你的帖子", "赞了你的帖子" }) Assert.Contains(expected, texts);
            await BrowserAppFixture.ScreenshotAsync(authorPage, "community-bell-1366");
            await authorPage.Locator(".mark-all-read").ClickAsync();
            await Assertions.Expect(authorPage.Locator(".bell-badge .mud-badge")).ToBeHiddenAsync();
        });
    }

    [Fact]
    public async Task A_visitor_reads_a_public_post_from_a_shared_link_and_the_home_page_lists_the_latest_posts()
    {
        var author = await App.CreateUserAsync();
        var authorRef = CodeRunnerAppFactory.RefOf(author);
        var post = await App.WithScopeAsync(sp => sp.GetRequiredService<PostService>().CreateAsync(authorRef,
            new PostEdit { Title = "给访客看的帖子", Content = "一段 [文档](https://docs.python.org/3/) 和 [坏链接](javascript:alert(1))", Tags = "python", Code = "print(1)" }));
        var hidden = await App.WithScopeAsync(sp => sp.GetRequiredService<PostService>().CreateAsync(authorRef,
            new PostEdit { Title = "私密草稿不可见", Content = "secret", IsPublic = false }));

        foreach (var (width, height) in new[] { (1366, 800), (390, 844) })
        {
            var page = await PageAsync(width, height);
            await BrowserAppFixture.RunAsync(page, $"community-visitor-{width}", async () =>
            {
                await page.GotoAsync($"/community/posts/{post.Id}");
                await page.Locator(".post-title").GetByText("给访客看的帖子").WaitForAsync();
                await page.Locator(".visitor-prompt").WaitForAsync();
                var link = page.Locator(".markdown-body a", new() { HasText = "文档" });
                Assert.Equal("nofollow noopener", await link.GetAttributeAsync("rel"));
                Assert.Equal(0, await page.Locator(".markdown-body a", new() { HasText = "坏链接" }).CountAsync());
                Assert.Equal(0, await page.Locator(".open-in-editor").CountAsync());
                await BrowserAppFixture.ScreenshotAsync(page, $"community-visitor-post-{width}");
                Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no horizontal scroll");

                await page.GotoAsync("/");
                await page.Locator(".latest-posts").GetByText("给访客看的帖子").WaitForAsync();
                Assert.Equal(0, await page.GetByText("私密草稿不可见").CountAsync());

                await page.GotoAsync("/community");
                await page.Locator(".post-card").GetByText("给访客看的帖子").WaitForAsync();
                await BrowserAppFixture.ScreenshotAsync(page, $"community-feed-{width}");
                Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no horizontal scroll");

                await page.GotoAsync($"/community/posts/{hidden.Id}");
                await page.GetByText("找不到这篇帖子").WaitForAsync();
            });
        }
    }
}
