using CodeRunner.Core.Accounts;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CodeRunner.Tests.Admin;

public class UserAdministrationTests(BrowserAppFixture fixture) : IClassFixture<BrowserAppFixture>
{
    private CodeRunnerAppFactory App => fixture.App;

    [Fact]
    public async Task Non_admin_cannot_change_levels_or_list_users()
    {
        var user = await App.CreateUserAsync();
        var other = await App.CreateUserAsync();
        await App.WithScopeAsync(async sp =>
        {
            var admin = sp.GetRequiredService<UserAdministrationService>();
            var actor = CodeRunnerAppFactory.RefOf(user);
            await Assert.ThrowsAsync<ForbiddenError>(() => admin.SetLevelAsync(actor, other.Id, 4));
            await Assert.ThrowsAsync<ForbiddenError>(() => admin.SetAdminAsync(actor, user.Id, true));
            await Assert.ThrowsAsync<ForbiddenError>(() => admin.SearchAsync(actor, null, 1, 20));
        });
    }

    [Fact]
    public async Task Admin_changes_are_applied_and_audited_and_self_lockout_is_refused()
    {
        var adminUser = await App.CreateUserAsync(isAdmin: true, level: 4);
        var target = await App.CreateUserAsync();
        await App.WithScopeAsync(async sp =>
        {
            var admin = sp.GetRequiredService<UserAdministrationService>();
            var actor = CodeRunnerAppFactory.RefOf(adminUser, isAdmin: true);
            await admin.SetLevelAsync(actor, target.Id, 3);
            await admin.SetActiveAsync(actor, target.Id, false);
            await Assert.ThrowsAsync<ValidationError>(() => admin.SetLevelAsync(actor, target.Id, 7));
            await Assert.ThrowsAsync<ValidationError>(() => admin.SetActiveAsync(actor, adminUser.Id, false));
            await Assert.ThrowsAsync<ValidationError>(() => admin.SetAdminAsync(actor, adminUser.Id, false));

            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            var stored = await db.Users.AsNoTracking().SingleAsync(u => u.Id == target.Id);
            Assert.Equal(3, stored.Level);
            Assert.False(stored.IsActive);
            Assert.Equal(2, await db.AuditLogs.CountAsync(a => a.ResourceId == target.Id && a.Action.StartsWith("admin.user_")));
        });
    }

    [Fact]
    public async Task Admin_raises_a_users_level_from_the_console()
    {
        var adminUser = await App.CreateUserAsync(isAdmin: true, level: 4);
        var target = await App.CreateUserAsync();
        var page = await fixture.NewPageAsync();
        await BrowserAppFixture.RunAsync(page, nameof(Admin_raises_a_users_level_from_the_console), async () =>
        {
            await fixture.SignInAsync(page, adminUser.UserName!, returnUrl: "/admin");
            await Assertions.Expect(page.Locator("[data-testid=sandbox-status]")).ToContainTextAsync("运行已隔离");
            var row = page.Locator("tr", new() { HasText = target.UserName! });
            await row.Locator("select").SelectOptionAsync("3");
            await Assertions.Expect(page.GetByText($"已将 {target.UserName} 的等级设为 3 · 高级版")).ToBeVisibleAsync();
            await BrowserAppFixture.ScreenshotAsync(page, "admin-console");
        });
        await App.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            Assert.Equal(3, (await users.FindByIdAsync(target.Id))!.Level);
        });
    }
}
