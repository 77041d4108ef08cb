using CodeRunner.Core.Accounts;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class UserAdministrationTests(CodeRunnerAppFactory App) : IClassFixture<CodeRunnerAppFactory>
{

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
}
