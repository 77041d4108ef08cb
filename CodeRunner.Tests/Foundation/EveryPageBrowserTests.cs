using System.Text.RegularExpressions;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Foundation;

/// <summary>
/// Walks every page as an admin at phone, tablet and desktop width, in the default culture (zh-CN):
/// no page scrolls sideways, the app bar does not overflow, and no English UI word is left in sight
/// (program code, editors, inputs and proper names excepted).
/// </summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh: a page's components load at once on one circuit
public class EveryPageBrowserTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private static readonly string[] Pages =
    [
        "/", "/run", "/history", "/usage", "/library", "/community", "/community/new", "/community/favorites",
        "/community/profile", "/environments", "/api-keys", "/ai-settings", "/activity", "/user-levels",
        "/admin", "/admin/users", "/admin/runs", "/admin/audit", "/admin/backup", "/admin/system", "/admin/environments",
        "/account/change-password", "/not-found",
    ];

    // Words an untranslated button, label, pager or dialog would show. Whole words, case-sensitive as UI text is written.
    private static readonly Regex EnglishUiWords = new(
        @"\b(Rows per page|Items per page|No records|No matching|Loading|Save|Cancel|Delete|Edit|Create|Search|Filter|Close|Submit|" +
        @"Settings|Previous|Next|Page|Confirm|Remove|Upload|Download|Refresh|Status|Actions|Name|Description|Created|Updated|" +
        @"Sign in|Sign out|Register|Password|Email|History|Library|Community|Environments|Usage|Run|Stop|Copy|Apply|" +
        @"Today|Yesterday|Select|Clear|Back|Yes|No|OK)\b");

    // Text the page shows that is not UI chrome: code, editors, form values, preformatted logs.
    private const string VisibleUiText = """
        () => {
          const clone = document.body.cloneNode(true);
          clone.querySelectorAll('pre, code, .monaco-editor, textarea, input, select, script, style, .run-output, [data-proper-name], .brand')
               .forEach(e => e.remove());
          return clone.innerText;
        }
        """;

    [Fact]
    public async Task Every_page_fits_phone_tablet_and_desktop_and_shows_no_english_ui_words_in_chinese()
    {
        var admin = await fixture.App.CreateUserAsync(isAdmin: true);
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, "every-page", async () =>
        {
            await fixture.SignInAsync(page, admin.UserName!);
            var problems = new List<string>();
            foreach (var (label, width, height) in new[] { ("phone", 390, 844), ("tablet", 820, 1180), ("desktop", 1366, 800) })
            {
                await page.SetViewportSizeAsync(width, height);
                foreach (var path in Pages)
                {
                    await page.GotoAsync(path);
                    await page.Locator(".app-shell, .account-shell, main").First.WaitForAsync();
                    await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                    var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - window.innerWidth");
                    if (overflow > 1) problems.Add($"{label} {path}: scrolls sideways by {overflow}px");
                    var header = page.Locator(".app-header .mud-toolbar");
                    if (await header.CountAsync() > 0 &&
                        await header.EvaluateAsync<int>("e => e.scrollWidth - e.clientWidth") > 1)
                        problems.Add($"{label} {path}: the app bar overflows");
                    if (label == "desktop")
                    {
                        var text = await page.EvaluateAsync<string>(VisibleUiText);
                        foreach (Match match in EnglishUiWords.Matches(text))
                            problems.Add($"{path}: English UI word '{match.Value}' in zh-CN");
                    }
                    if (label == "phone") await BrowserAppFixture.ScreenshotAsync(page, $"every-page-phone{path.Replace('/', '-')}");
                }
            }
            Assert.Empty(problems.Distinct());
        });
    }

    /// <summary>
    /// The menu button's first tap on a phone, as soon as the page is interactive (before or after the drawer has heard
    /// its breakpoint from the browser), opens the navigation; on a desktop the side bar is there from the first paint on.
    /// </summary>
    [Fact]
    public async Task On_a_phone_the_first_tap_on_the_menu_button_opens_the_navigation_and_a_desktop_shows_the_side_bar_at_once()
    {
        var user = await fixture.App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, "phone-nav", async () =>
        {
            await fixture.SignInAsync(page, user.UserName!, returnUrl: "/history");
            var libraryLink = page.Locator("nav.app-sidebar a[href='library']");

            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync("/history");
            await page.Locator(".app-shell[data-interactive=true] .app-menu-button").ClickAsync();
            await Assertions.Expect(libraryLink).ToBeInViewportAsync();
            await Assertions.Expect(page.Locator(".app-drawer")).ToHaveCSSAsync("left", "0px");  // slid in all the way
            await BrowserAppFixture.ScreenshotAsync(page, "phone-nav-open");
            await libraryLink.ClickAsync();
            await page.WaitForURLAsync("**/library");
            await Assertions.Expect(libraryLink).Not.ToBeInViewportAsync();
            // Buttons keep their labels' case (MudBlazor's default upper-cases them, which mangles English labels).
            var transforms = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('.mud-button-root')].map(b => getComputedStyle(b).textTransform)");
            Assert.NotEmpty(transforms);
            Assert.All(transforms, t => Assert.Equal("none", t));

            await page.SetViewportSizeAsync(1366, 800);
            await page.GotoAsync("/history", new() { WaitUntil = WaitUntilState.Commit });
            await Assertions.Expect(libraryLink).ToBeInViewportAsync();
            await BrowserAppFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.Locator(".app-drawer.mud-drawer--open")).ToHaveCountAsync(1);
            // The content sits beside the side bar, not under it.
            var drawerRight = await page.Locator(".app-drawer").EvaluateAsync<double>("e => e.getBoundingClientRect().right");
            var mainLeft = await page.Locator(".app-main").EvaluateAsync<double>("e => e.getBoundingClientRect().left");
            Assert.True(mainLeft >= drawerRight - 1, $"content starts at {mainLeft}px, under the side bar ending at {drawerRight}px");
            await BrowserAppFixture.ScreenshotAsync(page, "desktop-nav");
        });
    }
}
