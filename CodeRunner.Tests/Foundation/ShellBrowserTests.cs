using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Foundation;

public class ShellBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    [Fact]
    public async Task New_user_registers_sees_chinese_navigation_switches_to_english_and_signs_out()
    {
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(New_user_registers_sees_chinese_navigation_switches_to_english_and_signs_out), async () =>
        {
            var name = "reg" + Guid.NewGuid().ToString("N")[..8];
            await page.GotoAsync("/account/register");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("注册");
            await page.Locator("#reg-username").FillAsync(name);
            await page.Locator("#reg-email").FillAsync($"{name}@example.test");
            await page.Locator("#reg-password").FillAsync("Secret-pass-9");
            await page.Locator("#reg-confirm").FillAsync("Secret-pass-9");
            await page.Locator("button[type=submit]").ClickAsync();

            // Registration signs the user in and lands on the run page inside the Chinese shell.
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            var nav = page.Locator("nav.app-sidebar");
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "运行", Exact = true })).ToBeVisibleAsync();
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "代码库" })).ToBeVisibleAsync();
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "API 密钥" })).ToBeVisibleAsync();
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "审计日志" })).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator(".user-name")).ToContainTextAsync(name);
            await BrowserAppFixture.ScreenshotAsync(page, "shell-zh");

            await page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Library" })).ToBeVisibleAsync();
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Run", Exact = true })).ToBeVisibleAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "shell-en");

            // Sign out lives in the user menu (MudMenu) opened from the user's name in the app bar.
            await page.Locator(".user-name").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await page.WaitForURLAsync("**/account/login");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
            await page.GotoAsync("/library");
            await page.WaitForURLAsync("**/account/login**");
        });
    }

    [Fact]
    public async Task Language_choice_is_remembered_on_the_profile_for_the_next_sign_in()
    {
        var user = await fixture.App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Language_choice_is_remembered_on_the_profile_for_the_next_sign_in), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!);
            await page.GetByRole(AriaRole.Button, new() { Name = "English" }).ClickAsync();
            await BrowserAppFixture.WaitForInteractiveAsync(page);
        });

        // A fresh browser (no culture cookie) gets English back from the profile at sign-in.
        var second = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(second, "remembered-language", async () =>
        {
            await fixture.SignInAsync(second, user.UserName!);
            await Assertions.Expect(second.Locator("nav.app-sidebar").GetByRole(AriaRole.Link, new() { Name = "Library" })).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task Admin_sees_the_audit_log_with_sign_in_records()
    {
        var admin = await fixture.App.CreateUserAsync(isAdmin: true, level: 4);
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Admin_sees_the_audit_log_with_sign_in_records), async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!, returnUrl: "/admin/audit");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("审计日志");
            await Assertions.Expect(page.Locator("table").GetByText("account.signin").First).ToBeVisibleAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "audit-log");
        });
    }

    /// <summary>A program just under the 64 KB code limit, mostly Chinese comments (3 bytes each in UTF-8).</summary>
    private static (string Code, int Lines) NearlyLimitSizedProgram()
    {
        var code = new System.Text.StringBuilder();
        var lines = 0;
        const string comment = "中文注释把程序撑到六十多千字节，检验整段代码能否从编辑器送到服务器并运行。";
        while (System.Text.Encoding.UTF8.GetByteCount(code.ToString()) < new CodeRunner.Core.Execution.ExecutionOptions().MaxCodeBytes - 1024)
            code.Append("# 第 ").Append(++lines).Append(" 行：").Append(comment).Append('\n');
        code.Append("print('完成', ").Append(lines).Append(")\n");
        return (code.ToString(), lines);
    }

    [Fact]
    public async Task A_program_near_the_64_KB_limit_runs_from_the_run_page_over_the_circuits_websocket()
    {
        var (code, lines) = NearlyLimitSizedProgram();
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(code), 60 * 1024, new CodeRunner.Core.Execution.ExecutionOptions().MaxCodeBytes);
        var user = await fixture.App.CreateUserAsync(level: 2);
        var page = await fixture.NewPageAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, socket) => sockets.Add(socket.Url);
        var blocked = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) blocked.Add(message.Text); };
        await BrowserAppFixture.RunAsync(page, nameof(A_program_near_the_64_KB_limit_runs_from_the_run_page_over_the_circuits_websocket), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            // Setting the model's text is what a paste does, without typing 60 KB key by key.
            await page.EvaluateAsync("code => monaco.editor.getModels().forEach(m => m.setValue(code))", code);
            await page.Locator("#run-start").ClickAsync();
            await page.Locator("#run-status").WaitForAsync(new() { Timeout = 60_000 });
            Assert.Equal("成功", (await page.Locator("#run-status").InnerTextAsync()).Trim());
            Assert.Contains($"完成 {lines}", await page.Locator("#run-output").InnerTextAsync());
        });
        // The circuit ran on a WebSocket (connect-src 'self' allowed it), not a long-polling fallback.
        Assert.Contains(sockets, url => url.Contains("/_blazor", StringComparison.Ordinal));
        Assert.Empty(blocked);
    }
}
