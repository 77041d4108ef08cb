using System.Net;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Data;
using CodeRunner.Core.Library;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Execution;

/// <summary>The run page in Chromium: Monaco, live output, Stop, stdin while running, matplotlib figures, snippets from and to the library.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh: a page's components load at once on one circuit
[Collection(ExecutionCollection.Name)]
public class RunPageBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private async Task<IPage> SignedInRunPageAsync(int level = 2)
    {
        var user = await fixture.App.CreateUserAsync(level: level);
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
        await page.Locator("#run-start:not([disabled])").WaitForAsync();
        return page;
    }

    /// <summary>Replaces the editor's text as if typed (InsertText avoids Monaco's auto-indent and auto-close).</summary>
    internal static async Task TypeCodeAsync(IPage page, string code)
    {
        await page.Locator(".monaco-editor").First.ClickAsync();
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.PressAsync("Delete");
        await page.Keyboard.InsertTextAsync(code);
    }

    private static async Task<string> OutputAsync(IPage page) => WebUtility.HtmlDecode(await page.Locator("#run-output").InnerTextAsync());

    [Fact]
    public async Task Ctrl_Enter_runs_the_code_and_the_first_line_shows_before_the_program_ends()
    {
        var page = await SignedInRunPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Ctrl_Enter_runs_the_code_and_the_first_line_shows_before_the_program_ends), async () =>
        {
            await TypeCodeAsync(page, "import time\nprint('first line', flush=True)\ntime.sleep(4)\nprint('last line')\n");
            await page.Keyboard.PressAsync("Control+Enter");

            await page.Locator("#run-output").GetByText("first line").WaitForAsync();
            Assert.True(await page.Locator("#run-stop").IsVisibleAsync(), "the program should still be running when its first line is shown");
            Assert.DoesNotContain("last line", await OutputAsync(page));

            await page.Locator("#run-status").WaitForAsync(new() { Timeout = 20_000 });
            Assert.Equal("成功", (await page.Locator("#run-status").InnerTextAsync()).Trim());
            Assert.Contains("last line", await OutputAsync(page));
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-success");
        });
    }

    [Fact]
    public async Task Stop_ends_a_long_run_with_status_stopped()
    {
        var page = await SignedInRunPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Stop_ends_a_long_run_with_status_stopped), async () =>
        {
            await TypeCodeAsync(page, "import time\nprint('working', flush=True)\ntime.sleep(60)\n");
            await page.Locator("#run-start").ClickAsync();
            await page.Locator("#run-output").GetByText("working").WaitForAsync();

            await page.Locator("#run-stop").ClickAsync();

            await page.Locator("#run-status").WaitForAsync();
            Assert.Equal("已停止", (await page.Locator("#run-status").InnerTextAsync()).Trim());
        });
    }

    [Fact]
    public async Task A_line_typed_while_the_program_runs_reaches_its_stdin()
    {
        var page = await SignedInRunPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_line_typed_while_the_program_runs_reaches_its_stdin), async () =>
        {
            await TypeCodeAsync(page, "name = input('name? ')\nprint('hello ' + name.upper())\n");
            await page.Locator("#run-start").ClickAsync();

            await page.Locator("#run-input").FillAsync("codey");
            await page.Locator("#run-input").PressAsync("Enter");

            await page.Locator("#run-output").GetByText("hello CODEY").WaitForAsync();
            await page.Locator("#run-status").WaitForAsync();
            Assert.Equal("成功", (await page.Locator("#run-status").InnerTextAsync()).Trim());
        });
    }

    [Fact]
    public async Task A_matplotlib_figure_shown_with_plt_show_appears_as_an_image()
    {
        var page = await SignedInRunPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_matplotlib_figure_shown_with_plt_show_appears_as_an_image), async () =>
        {
            await TypeCodeAsync(page, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.title('squares')\nplt.show()\nprint('plotted')\n");
            await page.Locator("#run-start").ClickAsync();

            var image = page.Locator("img.run-image").First;
            await image.WaitForAsync(new() { Timeout = 30_000 });
            await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.run-image'); return i && i.complete && i.naturalWidth > 100; }");
            Assert.Equal("成功", (await page.Locator("#run-status").InnerTextAsync()).Trim());
            Assert.Contains("figure-1.png", await page.Locator(".run-artifacts").InnerTextAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-matplotlib");
        });
    }

    [Fact]
    public async Task The_code_in_the_editor_survives_a_page_reload()
    {
        var page = await SignedInRunPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(The_code_in_the_editor_survives_a_page_reload), async () =>
        {
            await TypeCodeAsync(page, "print('kept across reloads')\n");
            await page.WaitForFunctionAsync("() => Object.keys(localStorage).some(k => k.startsWith('coderunner.run.code.') && localStorage.getItem(k).includes('kept across reloads'))");

            await page.ReloadAsync();
            await BrowserAppFixture.WaitForInteractiveAsync(page);

            await page.Locator(".monaco-editor .view-lines").First.GetByText("kept across reloads").WaitForAsync();
        });
    }

    private static ILocator EditorText(IPage page, string text) => page.Locator(".monaco-editor .view-lines").First.GetByText(text);

    private Task<List<Snippet>> SnippetsOfAsync(AppUser user) =>
        fixture.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Snippets.AsNoTracking().Where(s => s.UserId == user.Id).ToListAsync());

    [Fact]
    public async Task The_editor_is_created_again_when_its_first_start_fails()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        var page = await fixture.NewPageAsync();
        // Make Monaco's first creation fail, as it does when it loses a race with the DOM while pages are swapped.
        await page.AddInitScriptAsync("""
            (() => {
              let holder;
              let failed = false;
              Object.defineProperty(window, 'blazorMonaco', {
                configurable: true,
                set(value) { holder = value; },
                get() {
                  const editor = holder && holder.editor;
                  if (editor && !editor.__failOnce) {
                    const create = editor.create;
                    editor.create = function (...args) {
                      if (!failed) { failed = true; throw new TypeError('simulated: container is gone'); }
                      return create.apply(this, args);
                    };
                    editor.__failOnce = true;
                  }
                  return holder;
                }
              });
            })();
            """);
        await BrowserAppFixture.RunAsync(page, nameof(The_editor_is_created_again_when_its_first_start_fails), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await TypeCodeAsync(page, "print('editor is back')\n");
            await page.Locator("#run-start").ClickAsync();
            await page.Locator("#run-output").GetByText("editor is back").WaitForAsync();
        });
    }

    [Fact]
    public async Task A_snippet_opened_from_the_library_link_shows_its_code_and_title_in_the_run_page()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        await fixture.App.CreateSnippetAsync(user, "九九乘法表", code: "print('opened from the library')\n");
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_snippet_opened_from_the_library_link_shows_its_code_and_title_in_the_run_page), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/library");
            await page.Locator(".snippet-card", new() { HasText = "九九乘法表" }).Locator("a.open-run").ClickAsync();

            await EditorText(page, "opened from the library").WaitForAsync();
            Assert.Equal("九九乘法表", WebUtility.HtmlDecode(await page.Locator("#run-snippet-title").InnerTextAsync()).Trim());
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-snippet-zh");
        });
    }

    [Fact]
    public async Task A_snippet_that_cannot_be_opened_is_reported_and_the_editor_keeps_its_code()
    {
        var owner = await fixture.App.CreateUserAsync(level: 2);
        var hidden = await fixture.App.CreateSnippetAsync(owner, "别人的私有片段", code: "print('secret')\n");
        var page = await SignedInRunPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_snippet_that_cannot_be_opened_is_reported_and_the_editor_keeps_its_code), async () =>
        {
            await TypeCodeAsync(page, "print('my own work')\n");
            await page.WaitForFunctionAsync("() => Object.values(localStorage).some(v => v.includes('my own work'))");

            await page.GotoAsync($"/run?snippet={hidden.Id}");
            await BrowserAppFixture.WaitForInteractiveAsync(page);

            var toast = page.Locator(".mud-snackbar", new() { HasText = "无法打开代码片段" });
            await toast.WaitForAsync();
            Assert.Contains("找不到该代码片段", await toast.InnerTextAsync());
            Assert.True(await toast.IsVisibleAsync());
            await EditorText(page, "my own work").WaitForAsync();
            Assert.Equal(0, await page.Locator("#run-snippet").CountAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-snippet-unavailable");
        });
    }

    [Fact]
    public async Task Code_saved_to_the_library_from_the_run_page_is_in_the_library_list()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        var page = await fixture.NewPageAsync("en-US");
        await BrowserAppFixture.RunAsync(page, nameof(Code_saved_to_the_library_from_the_run_page_is_in_the_library_list), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await TypeCodeAsync(page, "print('saved from the run page')\n");

            await page.Locator("#run-save").ClickAsync();
            Assert.Equal(0, await page.Locator("#save-mode-overwrite").CountAsync());
            await page.Locator("#save-title").FillAsync("Run page draft");
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-save-dialog-en");
            await page.Locator("#save-confirm").ClickAsync();
            await page.Locator("#save-dialog").WaitForAsync(new() { State = WaitForSelectorState.Detached });

            var saved = Assert.Single(await SnippetsOfAsync(user));
            Assert.Equal("Run page draft", saved.Title);
            Assert.Contains("saved from the run page", saved.Code);
            await page.WaitForURLAsync($"**/run?snippet={saved.Id}");
            Assert.Equal("Run page draft", (await page.Locator("#run-snippet-title").InnerTextAsync()).Trim());
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-saved-en");

            await page.GotoAsync("/library");
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            var card = page.Locator(".snippet-card", new() { HasText = "Run page draft" });
            await card.WaitForAsync();
            Assert.Contains("saved from the run page", await card.Locator(".snippet-preview").InnerTextAsync());
        });
    }

    [Fact]
    public async Task Saving_over_the_snippet_the_code_came_from_changes_that_snippets_code()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        var snippet = await fixture.App.CreateSnippetAsync(user, "要覆盖的片段", code: "print('old version')\n");
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Saving_over_the_snippet_the_code_came_from_changes_that_snippets_code), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: $"/run?snippet={snippet.Id}");
            await EditorText(page, "old version").WaitForAsync();
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await TypeCodeAsync(page, "print('new version')\n");

            await page.Locator("#run-save").ClickAsync();
            Assert.True(await page.Locator("#save-mode-overwrite").IsCheckedAsync());
            Assert.Equal("要覆盖的片段", await page.Locator("#save-title").InputValueAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-save-dialog-zh");
            await page.Locator("#save-confirm").ClickAsync();
            await page.Locator("#save-dialog").WaitForAsync(new() { State = WaitForSelectorState.Detached });

            var stored = Assert.Single(await SnippetsOfAsync(user));
            Assert.Equal(snippet.Id, stored.Id);
            Assert.Contains("new version", stored.Code);
            Assert.DoesNotContain("old version", stored.Code);
        });
    }
}
