using System.Net;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Execution;

/// <summary>The run page in Chromium: Monaco, live output, Stop, stdin while running, matplotlib figures.</summary>
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
}
