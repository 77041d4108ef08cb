using System.Net;
using System.Net.Http.Headers;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.ApiKeys;

public class ApiKeysBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    [Fact]
    public async Task A_key_created_and_copied_in_the_page_calls_the_api_until_it_is_disabled_there()
    {
        var user = await fixture.App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(A_key_created_and_copied_in_the_page_calls_the_api_until_it_is_disabled_there), async () =>
        {
            await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/api-keys");
            await page.Locator("#create-key").ClickAsync();
            await page.Locator("#key-name").FillAsync("browser key");
            await page.Locator("#create-confirm").ClickAsync();

            var secret = (await page.Locator("#new-secret").InnerTextAsync()).Trim();
            Assert.StartsWith("sk-", secret);
            Assert.True(secret.Length >= 43);
            await page.Locator("#copy-secret").ClickAsync();
            await page.Locator("#copy-secret", new() { HasText = "已复制" }).WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "apikeys-created");

            using var http = new HttpClient { BaseAddress = new Uri(fixture.BaseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/codes")).StatusCode);

            await page.Locator("#close-secret").ClickAsync();
            await page.Locator("#new-secret").WaitForAsync(new() { State = WaitForSelectorState.Detached });
            var row = page.Locator("tr[data-key-name='browser key']");
            await row.Locator(".key-state", new() { HasText = "已启用" }).WaitForAsync();
            Assert.Contains(secret[..8], await row.InnerTextAsync());
            Assert.DoesNotContain(secret, await page.ContentAsync());

            await row.Locator(".key-enabled").ClickAsync();
            await row.Locator(".key-state", new() { HasText = "已停用" }).WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "apikeys-disabled");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/v1/codes")).StatusCode);

            await row.Locator(".delete-key").ClickAsync();
            await page.Locator("#delete-confirm").ClickAsync();
            await page.Locator("#no-keys").WaitForAsync();
        });
    }

    [Fact]
    public async Task The_interactive_api_docs_render_the_endpoints_under_the_sites_csp()
    {
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(The_interactive_api_docs_render_the_endpoints_under_the_sites_csp), async () =>
        {
            var cspErrors = new List<string>();
            page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy")) cspErrors.Add(message.Text); };
            await page.GotoAsync("/api/docs");
            await page.Locator(".opblock-summary-path", new() { HasText = "/api/v1/execute" }).WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "api-docs");
            Assert.Empty(cspErrors);
        });
    }

    [Theory]
    [InlineData(390, 844)]
    [InlineData(1366, 800)]
    public async Task Keys_and_environments_fit_the_screen_and_show_times_in_the_browsers_time_zone(int width, int height)
    {
        var user = await fixture.App.CreateUserAsync(level: 2);
        var expiresUtc = new DateTime(2031, 5, 6, 18, 30, 0, DateTimeKind.Utc); // 2031-05-07 02:30 in Shanghai
        await fixture.App.CreateKeyAsync(user, "a rather long key name for a narrow phone screen", expiresUtc);
        var expired = await fixture.App.CreateKeyAsync(user, "expired", DateTime.UtcNow.AddDays(1));
        await fixture.App.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().ApiKeys.Where(k => k.Id == expired.Key.Id)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.ExpiresAt, DateTime.UtcNow.AddDays(-1))));
        await using var context = await fixture.Browser.NewContextAsync(new()
        {
            BaseURL = fixture.BaseUrl, ViewportSize = new() { Width = width, Height = height }, Locale = "zh-CN", TimezoneId = "Asia/Shanghai",
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, $"keys-layout-{width}", async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/api-keys");
            var row = page.Locator("tr[data-key-name='a rather long key name for a narrow phone screen']");
            await row.Locator("time", new() { HasText = "2031-05-07 02:30" }).WaitForAsync();
            Assert.Equal("expired", await page.Locator("tr[data-key-name='expired']").GetAttributeAsync("data-state"));
            Assert.False(await HasHorizontalScrollAsync(page));
            await BrowserAppFixture.ScreenshotAsync(page, $"apikeys-{width}");

            await page.Locator("#create-key").ClickAsync();
            await page.Locator("#key-name").WaitForAsync();
            await BrowserAppFixture.ScreenshotAsync(page, $"apikeys-create-{width}");
            await page.Keyboard.PressAsync("Escape");

            await page.GotoAsync("/environments");
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            await page.Locator("[data-env=base]").WaitForAsync();
            Assert.False(await HasHorizontalScrollAsync(page));
            await BrowserAppFixture.ScreenshotAsync(page, $"environments-{width}");
        });
    }

    private static Task<bool> HasHorizontalScrollAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.scrollingElement.scrollWidth > window.innerWidth + 1");
}
