using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Execution;

/// <summary>The run, history, usage and library pages on a phone and in the dark theme (screenshots under TestResults/screenshots).</summary>
[Collection(ExecutionCollection.Name)]
public class RunPagesLayoutBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private static Task<bool> ScrollsSidewaysAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1");

    [Fact]
    public async Task On_a_phone_in_the_dark_the_run_page_stacks_editor_over_output_and_no_page_scrolls_sideways()
    {
        var user = await fixture.App.CreateUserAsync(level: 1);
        var page = await fixture.NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await BrowserAppFixture.RunAsync(page, nameof(On_a_phone_in_the_dark_the_run_page_stacks_editor_over_output_and_no_page_scrolls_sideways), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await RunPageBrowserTests.TypeCodeAsync(page, "print('a fairly long line of output that has to wrap on a narrow phone screen ' * 3)\n");
            await page.Locator("#run-start").ClickAsync();
            await page.Locator("#run-status").WaitForAsync();

            var editor = await page.Locator(".run-editor-frame").BoundingBoxAsync();
            var output = await page.Locator("#run-output").BoundingBoxAsync();
            Assert.True(editor!.Y + editor.Height <= output!.Y, "the editor should be above the output on a phone");
            Assert.True(await page.Locator(".monaco-editor.vs-dark").First.IsVisibleAsync(), "Monaco should follow the dark theme");
            Assert.False(await ScrollsSidewaysAsync(page), "the run page scrolls sideways at 390px");
            await BrowserAppFixture.ScreenshotAsync(page, "phone-dark-run");

            foreach (var (path, ready) in new[] { ("/history", ".history-table"), ("/usage", "#usage-chart"), ("/library", "#snippet-search") })
            {
                await page.GotoAsync(path);
                await BrowserAppFixture.WaitForInteractiveAsync(page);
                await page.Locator(ready).First.WaitForAsync();
                Assert.False(await ScrollsSidewaysAsync(page), $"{path} scrolls sideways at 390px");
                await BrowserAppFixture.ScreenshotAsync(page, "phone-dark" + path.Replace('/', '-'));
            }
        });
    }

    [Fact]
    public async Task On_a_desktop_in_the_dark_monaco_follows_the_theme_toggle()
    {
        var user = await fixture.App.CreateUserAsync(level: 1);
        var page = await fixture.NewPageAsync();
        await page.SetViewportSizeAsync(1366, 800);
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await BrowserAppFixture.RunAsync(page, nameof(On_a_desktop_in_the_dark_monaco_follows_the_theme_toggle), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await page.Locator(".monaco-editor.vs-dark").First.WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "desktop-dark-run");

            await page.Locator("#theme-toggle").ClickAsync();
            await page.Locator(".monaco-editor.vs").First.WaitForAsync();
            Assert.Equal(0, await page.Locator(".monaco-editor.vs-dark").CountAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "desktop-light-run-after-toggle");
        });
    }

    [Fact]
    public async Task A_theme_switch_changes_only_the_switchers_editor_not_the_page_of_whoever_opened_an_editor_last()
    {
        var first = await fixture.App.CreateUserAsync(level: 1);
        var second = await fixture.App.CreateUserAsync(level: 1);
        var firstPage = await fixture.NewPageAsync();
        var secondPage = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(secondPage, nameof(A_theme_switch_changes_only_the_switchers_editor_not_the_page_of_whoever_opened_an_editor_last), () =>
            BrowserAppFixture.RunAsync(firstPage, nameof(A_theme_switch_changes_only_the_switchers_editor_not_the_page_of_whoever_opened_an_editor_last), async () =>
            {
                await fixture.SignInAsync(firstPage, first.UserName!, returnUrl: "/run");
                await firstPage.Locator("#run-start:not([disabled])").WaitForAsync();
                // The second person's editor is created last (BlazorMonaco's static JS runtime would now point at their circuit).
                await fixture.SignInAsync(secondPage, second.UserName!, returnUrl: "/run");
                await secondPage.Locator("#run-start:not([disabled])").WaitForAsync();
                await secondPage.Locator(".monaco-editor.vs").First.WaitForAsync();

                await firstPage.Locator("#theme-toggle").ClickAsync();
                await firstPage.Locator(".monaco-editor.vs-dark").First.WaitForAsync();
                // Give a stray theme call time to reach the other page before looking at it.
                await firstPage.WaitForTimeoutAsync(500);
                Assert.Equal(0, await secondPage.Locator(".monaco-editor.vs-dark").CountAsync());
            }));
    }
}
