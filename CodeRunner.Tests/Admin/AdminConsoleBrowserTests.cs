using CodeRunner.Core.Accounts;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Admin;

/// <summary>The admin console in Chromium: users, a live run stopped, export then restore, and every page at desktop and phone width.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh: a page's components load at once on one circuit
public class AdminConsoleBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private CodeRunnerAppFactory App => fixture.App;

    [Fact]
    public async Task Admin_creates_a_user_and_resets_a_password()
    {
        var admin = await App.CreateUserAsync(isAdmin: true, level: 4);
        var name = "li" + Guid.NewGuid().ToString("N")[..8];
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Admin_creates_a_user_and_resets_a_password), async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!, returnUrl: "/admin/users");
            await page.Locator("[data-testid=create-user]").ClickAsync();
            await page.Locator("#new-user-name").FillAsync(name);
            await page.Locator("#user-email").FillAsync($"{name}@example.test");
            await page.Locator("#user-full-name").FillAsync("李雷");
            await page.Locator("#new-user-password").FillAsync("Temp-Pass-123");
            await page.Locator("[data-testid=user-edit-submit]").ClickAsync();
            await Assertions.Expect(page.GetByText($"已创建用户 {name}")).ToBeVisibleAsync();
            // The grid reloads after the message; text typed into the search box before that render lands is reset by it
            // (once in this session's four full runs, on PostgreSQL), so the search is typed again until the grid shows it filtered.
            var row = page.Locator("tr", new() { HasText = name });
            var search = page.GetByPlaceholder("搜索用户名、邮箱或姓名");
            for (var attempt = 1; ; attempt++)
            {
                await search.FillAsync(name);
                try
                {
                    // The search has reloaded the grid (only then are the row's buttons the ones that stay).
                    await Assertions.Expect(page.GetByText("共 1 条")).ToBeVisibleAsync(new() { Timeout = 10_000 });
                    break;
                }
                catch (PlaywrightException) when (attempt < 3)
                {
                }
            }
            await Assertions.Expect(row).ToHaveCountAsync(1);
            await BrowserAppFixture.ScreenshotAsync(page, "admin-users-1366");
            await row.Locator("[data-testid=reset-password]").ClickAsync();
            await page.Locator("#reset-password-value").FillAsync("Reset-Pass-789");
            await page.Locator("[data-testid=reset-password-submit]").ClickAsync();
            await Assertions.Expect(page.GetByText($"已重置 {name} 的密码")).ToBeVisibleAsync();
        });

        await App.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var user = (await users.FindByNameAsync(name))!;
            Assert.Equal("李雷", user.FullName);
            Assert.True(user.MustChangePassword);
            Assert.True(await users.CheckPasswordAsync(user, "Reset-Pass-789"));
        });

        // The new user signs in with the temporary password and is sent to change it.
        var newcomer = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(newcomer, "newcomer-must-change", async () =>
        {
            await newcomer.GotoAsync("/account/login");
            await newcomer.Locator("#login-name").FillAsync(name);
            await newcomer.Locator("#login-password").FillAsync("Reset-Pass-789");
            await newcomer.Locator("button[type=submit]").ClickAsync();
            await newcomer.WaitForURLAsync("**/account/change-password**");
        });
    }

    [Fact]
    public async Task Admin_watches_a_live_run_and_stops_it()
    {
        var admin = await App.CreateUserAsync(isAdmin: true, level: 4);
        var runner = CodeRunnerAppFactory.RefOf(await App.CreateUserAsync(level: 3));
        await using var scope = App.Services.CreateAsyncScope();
        await using var run = await scope.ServiceProvider.GetRequiredService<IExecutionService>().StartAsync(runner,
            new ExecutionRequest { Code = "import time\nwhile True:\n    sum(range(100000)); time.sleep(0.01)\n" }, ExecutionOrigin.Web, CancellationToken.None);

        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Admin_watches_a_live_run_and_stops_it), async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!, returnUrl: "/admin/runs");
            var row = page.Locator($"[data-testid=live-run][data-execution='{run.ExecutionId}']");
            await Assertions.Expect(row).ToContainTextAsync(runner.UserName);
            var firstElapsed = await row.Locator("td").Nth(5).InnerTextAsync();
            // The view refreshes by itself: the elapsed time moves on without a click.
            await Assertions.Expect(row.Locator("td").Nth(5)).Not.ToHaveTextAsync(firstElapsed);
            await BrowserAppFixture.ScreenshotAsync(page, "admin-runs-live-1366");
            await row.Locator("[data-testid=stop-run]").ClickAsync();
            await Assertions.Expect(page.GetByText($"已停止运行 #{run.ExecutionId}")).ToBeVisibleAsync();
            await Assertions.Expect(row).ToHaveCountAsync(0);
        });

        var outcome = await run.Completion;
        Assert.Equal(ExecutionStatus.Cancelled, outcome.StatusName);
    }

    [Fact]
    [Trait("SqliteOnly", "yes")] // backups copy the SQLite file
    public async Task Admin_exports_a_backup_and_restores_it_and_a_bad_file_is_refused_in_chinese()
    {
        var admin = await App.CreateUserAsync(isAdmin: true, level: 4);
        using var work = new TempDirectory();
        var page = await fixture.NewPageAsync();
        string? lateUserId = null;
        await BrowserAppFixture.RunAsync(page, nameof(Admin_exports_a_backup_and_restores_it_and_a_bad_file_is_refused_in_chinese), async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!, returnUrl: "/admin/backup");
            var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=backup-export]").ClickAsync());
            var archive = Path.Combine(work.Path, download.SuggestedFilename);
            await download.SaveAsAsync(archive);
            Assert.StartsWith("coderunner-manual-", download.SuggestedFilename);
            await Assertions.Expect(page.Locator("[data-testid=backup-row]").First).ToBeVisibleAsync();

            lateUserId = (await App.CreateUserAsync("late" + Guid.NewGuid().ToString("N")[..6])).Id;

            var notZip = Path.Combine(work.Path, "not-a-backup.zip");
            await File.WriteAllTextAsync(notZip, "hello");
            await page.Locator("input[type=file]").Last.SetInputFilesAsync(notZip);
            await page.GetByRole(AriaRole.Button, new() { Name = "恢复", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=restore-error]")).ToContainTextAsync("这不是有效的 .zip 备份文件");

            await page.Locator("input[type=file]").Last.SetInputFilesAsync(archive);
            await page.GetByRole(AriaRole.Button, new() { Name = "恢复", Exact = true }).ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=restore-done]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await BrowserAppFixture.ScreenshotAsync(page, "admin-backup-1366");
        });

        await App.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            Assert.False(await db.Users.AnyAsync(u => u.Id == lateUserId));
            Assert.True(await db.Users.AnyAsync(u => u.Id == admin.Id));
        });
    }

    [Fact]
    public async Task Every_admin_page_renders_at_desktop_and_phone_width()
    {
        var admin = await App.CreateUserAsync(isAdmin: true, level: 4);
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Every_admin_page_renders_at_desktop_and_phone_width), async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!, returnUrl: "/admin");
            string[] paths = ["/admin", "/admin/users", "/admin/runs", "/admin/audit", "/admin/backup", "/admin/system", "/activity", "/user-levels", $"/admin/users/{admin.Id}"];
            foreach (var (width, height) in new[] { (1366, 800), (390, 844) })
            {
                await page.SetViewportSizeAsync(width, height);
                foreach (var path in paths)
                {
                    await page.GotoAsync(path);
                    await BrowserAppFixture.WaitForInteractiveAsync(page);
                    await Assertions.Expect(page.Locator("main.app-main h1")).ToBeVisibleAsync();
                    // Nothing on the page forces the whole page to scroll sideways.
                    var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
                    Assert.True(overflow <= 1, $"{path} at {width}px overflows by {overflow}px");
                    var name = path.Trim('/').Replace('/', '-');
                    if (name.StartsWith("admin-users-")) name = "admin-user-detail";
                    await BrowserAppFixture.ScreenshotAsync(page, $"page-{(name.Length == 0 ? "home" : name)}-{width}");
                }
            }
        });
    }
}
