using CodeRunner.Core.Data;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Library;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh: a page's components load at once on one circuit
public class LibraryBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    [Fact]
    public async Task A_snippet_is_created_found_edited_and_deleted_in_the_library_page()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        await fixture.App.CreateSnippetAsync(user, "其他片段", code: "print('other')", tags: "misc");
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_snippet_is_created_found_edited_and_deleted_in_the_library_page), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/library");
            await page.Locator("#new-snippet").ClickAsync();
            // The dialog's first render is done (its editor comes last), so its late title focus cannot take over a later field mid-fill.
            await page.Locator("#snippet-editor-panel .monaco-editor").First.WaitForAsync();
            await page.Locator("#snippet-title").FillAsync("斐波那契");
            await page.Locator("#snippet-tags").FillAsync("Math, 递归");
            await page.Locator("#snippet-description").FillAsync("打印前十项");
            var monaco = page.Locator(".monaco-editor").First;
            await monaco.ClickAsync();
            await page.Keyboard.PressAsync("Control+A");
            await page.Keyboard.InsertTextAsync("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint([fib(i) for i in range(10)])");
            await BrowserAppFixture.ScreenshotAsync(page, "library-editing");
            await page.Locator("#snippet-save").ClickAsync();
            await page.Locator(".mud-snackbar", new() { HasText = "已保存“斐波那契”" }).WaitForAsync();

            var card = page.Locator(".snippet-card", new() { HasText = "斐波那契" });
            await card.WaitForAsync();
            Assert.Contains("fib(i) for i in range(10)", await card.Locator(".snippet-preview").InnerTextAsync());
            Assert.Contains("math", await card.Locator(".snippet-tags").InnerTextAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "library-list");

            // Search by code text, then filter by tag.
            await page.Locator("#snippet-search").FillAsync("range(10)");
            await page.Locator("#snippet-search").PressAsync("Enter");
            await page.Locator(".snippet-card", new() { HasText = "其他片段" }).WaitForAsync(new() { State = WaitForSelectorState.Detached });
            Assert.Equal(1, await page.Locator(".snippet-card").CountAsync());
            await page.Locator("#snippet-search").FillAsync("");
            await page.Locator("#snippet-search").PressAsync("Enter");
            await page.Locator(".snippet-card", new() { HasText = "其他片段" }).WaitForAsync();
            await page.Locator("#tag-filter").SelectOptionAsync("misc");
            await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await page.Locator("#tag-filter").SelectOptionAsync("");
            await card.WaitForAsync();

            // Edit: title and public switch.
            await card.Locator(".edit-snippet").ClickAsync();
            await page.Locator("#snippet-editor-panel .monaco-editor").First.WaitForAsync();
            await page.Locator("#snippet-title").FillAsync("斐波那契数列");
            await page.Locator("#snippet-public").CheckAsync();
            await page.Locator("#snippet-save").ClickAsync();
            var edited = page.Locator(".snippet-card", new() { HasText = "斐波那契数列" });
            await edited.WaitForAsync();
            Assert.Contains("公开", await edited.InnerTextAsync());
            Assert.Equal($"/run?snippet=", (await edited.Locator("a.open-run").GetAttributeAsync("href"))![..13]);

            var stored = await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Snippets.SingleAsync(s => s.UserId == user.Id && s.Title == "斐波那契数列"));
            Assert.True(stored.IsPublic);
            Assert.Equal("math,递归", stored.Tags);
            Assert.Contains("def fib(n):", stored.Code);

            // Delete with confirmation.
            await edited.Locator(".delete-snippet").ClickAsync();
            // The confirmation is a dialog now, not a box inside the card.
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "删除" }).ClickAsync();
            await edited.WaitForAsync(new() { State = WaitForSelectorState.Detached });
            Assert.False(await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Snippets.AnyAsync(s => s.Id == stored.Id)));
        });
    }

    [Fact]
    public async Task Someone_elses_public_snippet_is_browsed_read_only_and_copied_to_my_library()
    {
        var author = await fixture.App.CreateUserAsync();
        var marker = "共享" + Guid.NewGuid().ToString("N")[..6];
        await fixture.App.CreateSnippetAsync(author, marker, code: "print('shared')", isPublic: true);
        var user = await fixture.App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Someone_elses_public_snippet_is_browsed_read_only_and_copied_to_my_library), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/library");
            await page.Locator("#tab-public").ClickAsync();
            var card = page.Locator(".snippet-card", new() { HasText = marker });
            await card.WaitForAsync();
            Assert.Equal(0, await card.Locator(".edit-snippet").CountAsync());
            Assert.Contains(author.UserName!, await card.InnerTextAsync());
            await card.Locator(".copy-snippet").ClickAsync();
            await page.Locator(".mud-snackbar", new() { HasText = "已将" }).WaitForAsync();
            await page.Locator("#tab-mine").ClickAsync();
            await page.Locator(".snippet-card", new() { HasText = marker }).WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "library-copied");
        });
    }
}
