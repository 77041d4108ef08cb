using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Infrastructure;

/// <summary>
/// The app on a real Kestrel port plus one headless Debian Chromium, shared by a test class.
/// Each test opens its own context (cookies) with <see cref="NewPageAsync"/> and uses its own user.
/// </summary>
public class BrowserAppFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private IPlaywright? playwright;

    public CodeRunnerAppFactory App { get; } = new();
    public IBrowser Browser { get; private set; } = default!;
    public string BaseUrl { get; private set; } = "";

    /// <summary>Override to add settings to <see cref="App"/> before it starts.</summary>
    protected virtual void Configure(CodeRunnerAppFactory app) { }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install the Debian package 'chromium' (./test.sh does).");
        Assertions.SetDefaultExpectTimeout(30_000);
        Configure(App);
        App.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        App.StartServer();
        BaseUrl = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task<IPage> NewPageAsync(string? culture = null)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = BaseUrl, ViewportSize = new() { Width = 1360, Height = 860 }, Locale = "zh-CN" });
        // Generous: the suite runs test classes in parallel on two cores, and Monaco's first load is heavy.
        context.SetDefaultTimeout(30_000);
        if (culture is not null)
            await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = ".AspNetCore.Culture", Value = $"c={culture}|uic={culture}", Url = BaseUrl }]);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the login page and waits until the interactive circuit is up.</summary>
    public async Task SignInAsync(IPage page, string login, string password = CodeRunnerAppFactory.DefaultPassword, string returnUrl = "/run")
    {
        await page.GotoAsync($"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.Locator("#login-name").FillAsync(login);
        await page.Locator("#login-password").FillAsync(password);
        await page.Locator("button[type=submit]").ClickAsync();
        await WaitForInteractiveAsync(page);
    }

    /// <summary>The layout marks itself once the Blazor circuit renders interactively.</summary>
    public static Task WaitForInteractiveAsync(IPage page) =>
        page.Locator(".app-shell[data-interactive=true]").WaitForAsync();

    /// <summary>Saves a screenshot under the test output folder (TestResults/screenshots) and returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Runs a browser test body; on failure keeps a screenshot of where it stood.</summary>
    public static async Task RunAsync(IPage page, string name, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            try { await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots", $"FAILED-{name}.png"), Timeout = 5_000 }); }
            catch (PlaywrightException) { }
            catch (TimeoutException) { }
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
        await App.DisposeAsync();
    }
}
