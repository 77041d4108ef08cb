using System.Net;
using CodeRunner.Core.Environments;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Environments;

/// <summary>The app with a local wheelhouse as its only package source.</summary>
public sealed class EnvironmentsBrowserFixture : BrowserAppFixture
{
    private readonly TempDirectory wheelhouse = new("coderunner-wheelhouse");

    public string Wheelhouse => wheelhouse.Path;

    protected override void Configure(CodeRunnerAppFactory app)
    {
        TestWheelhouse.Build(Wheelhouse);
        app.UseWheelhouse(Wheelhouse);
    }
}

public sealed class EnvironmentsBrowserTests(EnvironmentsBrowserFixture fixture) : IClassFixture<EnvironmentsBrowserFixture>
{
    private static readonly LocatorWaitForOptions LongWait = new() { Timeout = 90_000 };

    [Fact]
    public async Task User_creates_an_environment_watching_its_log_then_installs_a_local_wheel_that_a_run_imports()
    {
        var user = await fixture.App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(User_creates_an_environment_watching_its_log_then_installs_a_local_wheel_that_a_run_imports), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/environments");
            await page.Locator("[data-env=base]").WaitForAsync();
            await page.Locator("[data-testid=env-new]").ClickAsync();

            await page.Locator("#env-name").FillAsync("web-env");
            await page.Locator("#env-display-name").FillAsync("网页环境");
            await page.Locator("[data-testid=env-create-submit]").ClickAsync();

            var log = page.Locator("[data-testid=operation-log]");
            await page.Locator("[data-testid=operation-log] .log-command").First.WaitForAsync(LongWait);
            await BrowserAppFixture.ScreenshotAsync(page, "environments-create-running");
            await page.Locator("[data-testid=operation-log][data-state=succeeded]").WaitForAsync(LongWait);
            Assert.Contains("-m venv", await log.InnerTextAsync());

            var card = page.Locator("[data-env=web-env]");
            await card.WaitForAsync();
            Assert.Contains("网页环境", WebUtility.HtmlDecode(await card.InnerTextAsync()));
            await page.Locator("[data-testid=env-create-close]").ClickAsync();
            await page.Locator("[data-testid=env-limit-hint]").WaitForAsync();
            Assert.True(await page.Locator("[data-testid=env-new]").IsDisabledAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "environments-list");

            await card.Locator("[data-testid=env-open-packages]").ClickAsync();
            await page.Locator("[data-testid=package-row][data-package=pip]").WaitForAsync();

            await page.Locator("#package-name").FillAsync("--index-url=https://evil.example");
            await page.Locator("[data-testid=package-install]").ClickAsync();
            await page.Locator("[data-testid=field-error-package]").WaitForAsync();
            Assert.Equal(0, await page.Locator("[data-testid=operation-log]").CountAsync());

            await page.Locator("#package-name").FillAsync(TestWheelhouse.Greeting);
            await page.Locator("#package-version").FillAsync("1.0.0");
            await page.Locator("[data-testid=package-install]").ClickAsync();
            await page.Locator("[data-testid=operation-log][data-state=succeeded]").WaitForAsync(LongWait);
            await page.Locator($"[data-testid=package-row][data-package={TestWheelhouse.Greeting}]").WaitForAsync();
            Assert.Contains("--find-links", await page.Locator("[data-testid=operation-log]").InnerTextAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "environments-packages");
            foreach (var (width, height) in new[] { (390, 844), (1366, 800) })
            {
                await page.SetViewportSizeAsync(width, height);
                Assert.False(await ScrollsSidewaysAsync(page), $"the packages page scrolls sideways at {width}px");
                await BrowserAppFixture.ScreenshotAsync(page, $"environments-packages-{width}");
            }

            // The package is importable in the next run on the run page, in the chosen environment.
            await page.GotoAsync("/run");
            await page.Locator("#run-start:not([disabled])").WaitForAsync(LongWait);
            await page.Locator("#run-environment").SelectOptionAsync("web-env");
            await CodeRunner.Tests.Execution.RunPageBrowserTests.TypeCodeAsync(page, "import coderunner_greeting\nprint(coderunner_greeting.greet('浏览器'))\n");
            await page.Locator("#run-start").ClickAsync();
            await page.Locator("#run-status").WaitForAsync(LongWait);
            Assert.Equal("成功", (await page.Locator("#run-status").InnerTextAsync()).Trim());
            Assert.Contains("你好, 浏览器", WebUtility.HtmlDecode(await page.Locator("#run-output").InnerTextAsync()));
            await BrowserAppFixture.ScreenshotAsync(page, "environments-run-imports-package");
        });
    }

    [Fact]
    public async Task Admin_sees_the_backend_and_saves_package_sources_in_english()
    {
        var admin = await fixture.App.CreateUserAsync(isAdmin: true);
        var page = await fixture.NewPageAsync(culture: "en-US");
        await BrowserAppFixture.RunAsync(page, nameof(Admin_sees_the_backend_and_saves_package_sources_in_english), async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!, returnUrl: "/admin/environments");
            var backend = page.Locator("[data-testid=env-backend]");
            await backend.WaitForAsync();
            Assert.Contains("venv", await backend.InnerTextAsync());
            Assert.Contains("Package sources", await page.Locator("[data-testid=package-sources-form]").InnerTextAsync());
            Assert.Equal(fixture.Wheelhouse, await page.Locator("#sources-find-links").InputValueAsync());

            await page.Locator("#sources-channels").FillAsync("https://mirrors.example.edu.cn/anaconda/cloud/conda-forge");
            await page.Locator("[data-testid=sources-save]").ClickAsync();
            await page.GetByText("Package sources saved.").WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "admin-environments-en");
            await page.SetViewportSizeAsync(390, 844);
            // The side bar open at desktop width closes when the layout hears the new breakpoint (a round trip later).
            await Assertions.Expect(page.Locator(".app-drawer.mud-drawer--open")).ToHaveCountAsync(0);
            Assert.False(await ScrollsSidewaysAsync(page), "the admin environments page scrolls sideways at 390px");
            await BrowserAppFixture.ScreenshotAsync(page, "admin-environments-390");

            var saved = await File.ReadAllTextAsync(Path.Combine(fixture.App.DataDirectory, PackageSourcesStore.FileName));
            Assert.Contains("mirrors.example.edu.cn", saved);
            Assert.Contains(fixture.Wheelhouse, saved);
        });
    }

    [Fact]
    public async Task Cancelling_a_creation_in_the_browser_leaves_no_environment_behind()
    {
        var user = await fixture.App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Cancelling_a_creation_in_the_browser_leaves_no_environment_behind), async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/environments");
            await page.Locator("[data-env=base]").WaitForAsync();
            await page.Locator("[data-testid=env-new]").ClickAsync();
            await page.Locator("#env-name").FillAsync("cancel-me");
            await page.Locator("[data-testid=env-create-submit]").ClickAsync();
            await page.Locator("[data-testid=operation-log] .log-command").First.WaitForAsync(LongWait);
            await page.Locator("[data-testid=operation-cancel]").ClickAsync();

            await page.Locator("[data-testid=operation-log][data-state=failed]").WaitForAsync(LongWait);
            Assert.Contains("已取消", await page.Locator("[data-testid=operation-outcome]").InnerTextAsync());
            await page.Locator("[data-testid=env-create-close]").ClickAsync();
            Assert.Equal(0, await page.Locator("[data-env=cancel-me]").CountAsync());
            Assert.False(Directory.Exists(Path.Combine(fixture.App.DataDirectory, "envs", "cancel-me")));
            Assert.True(await page.Locator("[data-testid=env-new]").IsEnabledAsync());
        });
    }

    [Fact]
    public async Task Another_users_public_environment_is_listed_and_shown_read_only()
    {
        var owner = await fixture.App.CreateUserAsync();
        var viewer = await fixture.App.CreateUserAsync();
        await fixture.App.WithScopeAsync(async services =>
        {
            var environments = EnvironmentServices.From(services);
            var request = new EnvironmentCreateRequest { Name = "shared-public", DisplayName = "公共环境", PythonVersion = environments.Queries.PythonVersions[0], IsPublic = true };
            await foreach (var _ in environments.Lifecycle.CreateAsync(CodeRunnerAppFactory.RefOf(owner), request)) { }
        });
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Another_users_public_environment_is_listed_and_shown_read_only), async () =>
        {
            await fixture.SignInAsync(page, viewer.UserName!, returnUrl: "/environments");
            var card = page.Locator("[data-env=shared-public]");
            await card.WaitForAsync();
            Assert.Equal(0, await card.Locator("[data-testid=env-delete]").CountAsync());
            Assert.Contains(owner.UserName!, await card.InnerTextAsync());

            await card.Locator("[data-testid=env-open-packages]").ClickAsync();
            await page.Locator("[data-testid=packages-readonly]").WaitForAsync();
            await page.Locator("[data-testid=package-row][data-package=pip]").WaitForAsync();
            Assert.Equal(0, await page.Locator("[data-testid=package-install-form]").CountAsync());
            Assert.Equal(0, await page.Locator("[data-testid=package-uninstall]").CountAsync());
            await BrowserAppFixture.ScreenshotAsync(page, "environments-public-readonly");
        });
    }

    private static Task<bool> ScrollsSidewaysAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth > window.innerWidth + 1");
}
