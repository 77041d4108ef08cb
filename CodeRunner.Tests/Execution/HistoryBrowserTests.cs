using System.Net;
using CodeRunner.Core.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Execution;

/// <summary>History, run detail, "open in editor" and the usage page in Chromium.</summary>
[Collection(ExecutionCollection.Name)]
public class HistoryBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private async Task<(Core.Accounts.AppUser User, ExecutionOutcome Outcome)> UserWithRunAsync(string code)
    {
        var user = await fixture.App.CreateUserAsync(level: 1);
        var outcome = await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<IExecutionService>()
            .RunAsync(CodeRunnerAppFactory.RefOf(user), new ExecutionRequest { Code = code }, ExecutionOrigin.Web, CancellationToken.None));
        return (user, outcome);
    }

    [Fact]
    public async Task A_past_run_opens_from_history_and_loads_into_the_editor()
    {
        var (user, outcome) = await UserWithRunAsync("print('from history 42')\n");
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_past_run_opens_from_history_and_loads_into_the_editor), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/history");
            await page.GetByRole(AriaRole.Link, new() { Name = $"#{outcome.ExecutionId}" }).WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "history-page");

            await page.GetByRole(AriaRole.Link, new() { Name = $"#{outcome.ExecutionId}" }).ClickAsync();
            await page.Locator("#detail-output").GetByText("from history 42").WaitForAsync();
            Assert.Contains("print('from history 42')", WebUtility.HtmlDecode(await page.Locator("#detail-code").InnerTextAsync()));
            await BrowserAppFixture.ScreenshotAsync(page, "history-detail");

            await page.Locator("#detail-open-editor").ClickAsync();
            await page.Locator(".monaco-editor .view-lines").First.GetByText("from history 42").WaitForAsync();
            Assert.EndsWith($"/run?execution={outcome.ExecutionId}", page.Url);
        });
    }

    [Fact]
    public async Task Usage_shows_todays_runs_against_the_daily_limit()
    {
        var (user, _) = await UserWithRunAsync("print(1)\n");
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Usage_shows_todays_runs_against_the_daily_limit), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/usage");
            var runs = WebUtility.HtmlDecode(await page.Locator("#usage-runs").InnerTextAsync());
            Assert.Contains("1 / 10", runs);
            Assert.Contains("今日还剩 9 次", runs);
            Assert.Equal("100%", (await page.Locator("#usage-success-rate").InnerTextAsync()).Trim());
            Assert.Equal(1, await page.Locator("#usage-chart rect.bar-success").CountAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "usage-page");
        });
    }

    [Fact]
    public async Task The_run_page_reads_in_english_when_english_is_chosen()
    {
        var user = await fixture.App.CreateUserAsync(level: 1);
        var page = await fixture.NewPageAsync(culture: "en-US");
        await BrowserAppFixture.RunAsync(page, nameof(The_run_page_reads_in_english_when_english_is_chosen), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            Assert.Equal("Run", (await page.Locator("#run-start").InnerTextAsync()).Trim());
            await RunPageBrowserTests.TypeCodeAsync(page, "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\nraise SystemExit(2)\n");
            await page.Locator("#run-start").ClickAsync();
            await page.Locator("#run-status").WaitForAsync();
            Assert.Equal("Error", (await page.Locator("#run-status").InnerTextAsync()).Trim());
            Assert.Equal(1, await page.Locator("#run-output .out-stderr").CountAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "run-page-english-error");
        });
    }
}
