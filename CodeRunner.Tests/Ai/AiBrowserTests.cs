using System.Net;
using CodeRunner.Core.Ai;
using Microsoft.Extensions.DependencyInjection;
using CodeRunner.Tests.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Ai;

/// <summary>The app in Chromium with a fake OpenAI-compatible provider on loopback.</summary>
public sealed class AiBrowserFixture : BrowserAppFixture, IAsyncLifetime
{
    public FakeOpenAiServer Server { get; private set; } = null!;

    protected override void Configure(CodeRunnerAppFactory app)
    {
        Server = FakeOpenAiServer.StartAsync().GetAwaiter().GetResult();
        app.WithSetting("Ai:AllowPrivateNetwork", "true");
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>Configure a provider, test it, generate code on the run page, apply it (one undo step) and run it.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh: a page's components load at once on one circuit
[Collection(ExecutionCollection.Name)]
public class AiBrowserTests(AiBrowserFixture fixture) : IClassFixture<AiBrowserFixture>
{
    [Fact]
    public async Task Configure_a_provider_generate_code_apply_it_and_run_it()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, "ai-generate-apply-run", async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/ai-settings");
            await page.Locator("#ai-add:not([disabled])").ClickAsync();
            await page.Locator("#ai-name").FillAsync("本地测试服务");
            await page.Locator("#ai-model").FillAsync("coder");
            await page.Locator("#ai-base-url").FillAsync(fixture.Server.V1);
            await page.Locator("#ai-api-key").FillAsync(FakeOpenAiServer.ApiKey);
            await page.Locator("#ai-save").ClickAsync();
            var card = page.Locator(".ai-card[data-provider='本地测试服务']");
            await card.Locator(".ai-key").GetByText("••••WXYZ").WaitForAsync();
            Assert.DoesNotContain(FakeOpenAiServer.ApiKey[..^4], await page.ContentAsync());

            await card.Locator(".ai-test").ClickAsync();
            await card.Locator(".ai-test-result").GetByText("连接成功").WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "ai-settings-desktop");
            await page.SetViewportSizeAsync(390, 844);
            await page.WaitForTimeoutAsync(500); // the layout's breakpoint listener closes the drawer
            await BrowserAppFixture.ScreenshotAsync(page, "ai-settings-phone");
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "horizontal scroll at phone width");
            await page.SetViewportSizeAsync(1366, 800);

            await page.GotoAsync("/run");
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await RunPageBrowserTests.TypeCodeAsync(page, "print('original program')\n");
            await page.Locator("#ai-assistant-toggle").ClickAsync();
            await page.Locator("#ai-prompt").FillAsync("写一个打印问候语的程序");
            await page.Locator("#ai-generate:not([disabled])").ClickAsync();
            await page.Locator("#ai-answer[data-state=done]").WaitForAsync();
            await page.Locator("#ai-diff .diff-add").GetByText("print('hello from the assistant')").WaitForAsync();
            await page.Locator("#ai-diff .diff-del").GetByText("print('original program')").WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "ai-assistant-desktop");

            await page.Locator("#ai-apply").ClickAsync();
            await page.Locator(".monaco-editor .view-lines").First.GetByText("hello from the assistant").WaitForAsync();
            await page.Locator("#ai-rerun").ClickAsync();
            await page.Locator("#run-output").GetByText("hello from the assistant").WaitForAsync();
            await page.Locator("#run-status").WaitForAsync();

            // Applying was one undo step: one Ctrl+Z brings the original program back.
            await page.Locator(".monaco-editor .view-lines").First.ClickAsync();
            await page.Keyboard.PressAsync("Control+z");
            await page.Locator(".monaco-editor .view-lines").First.GetByText("original program").WaitForAsync();

            await page.SetViewportSizeAsync(390, 844);
            await page.WaitForTimeoutAsync(500);
            await BrowserAppFixture.ScreenshotAsync(page, "ai-assistant-phone");

            // 我的用量 counts the connection test and the generation.
            await page.GotoAsync("/usage");
            await page.Locator("#usage-ai tbody tr").First.WaitForAsync();
            Assert.Equal("2", (await page.Locator("#usage-ai tbody tr").First.Locator("td").Nth(1).InnerTextAsync()).Trim());
        });
        Assert.Contains(fixture.Server.Requests, r => r.Messages.Contains("写一个打印问候语的程序") && r.Messages.Contains("original program"));
    }

    /// <summary>
    /// Applying asks only this page's browser about its editor: someone else opened an editor afterwards and left, and
    /// BlazorMonaco's TextModel calls would have gone to their closed circuit (the apply never arrived).
    /// </summary>
    [Fact]
    public async Task Applying_works_after_someone_else_opened_an_editor_and_left()
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        var other = await fixture.App.CreateUserAsync(level: 2);
        await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<AiProviderService>().CreateAsync(CodeRunnerAppFactory.RefOf(user),
            fixture.Server.ProviderEdit(name: "本地")));
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Applying_works_after_someone_else_opened_an_editor_and_left), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync();
            await RunPageBrowserTests.TypeCodeAsync(page, "print('original program')\n");

            var otherPage = await fixture.NewPageAsync();
            await BrowserAppFixture.RunAsync(otherPage, "ai-other-editor", async () =>
            {
                await fixture.SignInAsync(otherPage, other.UserName!, returnUrl: "/run");
                await otherPage.Locator("#run-start:not([disabled])").WaitForAsync();
            });

            await page.Locator("#ai-assistant-toggle").ClickAsync();
            await page.Locator("#ai-prompt").FillAsync("写一个打印问候语的程序");
            await page.Locator("#ai-generate:not([disabled])").ClickAsync();
            await page.Locator("#ai-answer[data-state=done]").WaitForAsync();
            await page.Locator("#ai-apply").ClickAsync();
            await page.Locator(".monaco-editor .view-lines").First.GetByText("hello from the assistant").WaitForAsync(new() { Timeout = 15_000 });
            Assert.DoesNotContain("original program", await page.Locator(".monaco-editor .view-lines").First.InnerTextAsync());
        });
    }
}
