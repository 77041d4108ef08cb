using CodeRunner.Core.Accounts;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Common;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>No sequence of admin actions, sequential or racing, leaves the site without an active admin. Each test has its own app (own admins).</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class LastAdminProtectionTests
{
    private static async Task<UserRef> BootstrapAdminAsync(CodeRunnerAppFactory app) =>
        await app.WithScopeAsync(async sp =>
        {
            var user = (await sp.GetRequiredService<UserManager<AppUser>>().FindByNameAsync("admin"))!;
            return CodeRunnerAppFactory.RefOf(user, isAdmin: true);
        });

    private static Task<int> ActiveAdminsAsync(CodeRunnerAppFactory app) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<UserAdministrationService>().CountActiveAdminsAsync());

    [Fact]
    public async Task The_last_active_admin_cannot_be_deactivated_demoted_or_deleted()
    {
        await using var app = new CodeRunnerAppFactory();
        var first = await BootstrapAdminAsync(app);
        var second = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        await app.WithScopeAsync(sp => sp.GetRequiredService<UserAdministrationService>().SetAdminAsync(second, first.Id, false));
        // A third admin account, deactivated: it still holds the role, so it can attempt things, but it does not count.
        var third = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        await app.WithScopeAsync(sp => sp.GetRequiredService<UserAdministrationService>().SetActiveAsync(second, third.Id, false));
        Assert.Equal(1, await ActiveAdminsAsync(app));

        await app.WithScopeAsync(async sp =>
        {
            var admin = sp.GetRequiredService<UserAdministrationService>();
            Assert.Equal("admin.last_admin", (await Assert.ThrowsAsync<ConflictError>(() => admin.SetActiveAsync(third, second.Id, false))).Code);
            Assert.Equal("admin.last_admin", (await Assert.ThrowsAsync<ConflictError>(() => admin.SetAdminAsync(third, second.Id, false))).Code);
            Assert.Equal("admin.last_admin", (await Assert.ThrowsAsync<ConflictError>(() => admin.DeleteAsync(third, second.Id, UserContentDisposition.Delete))).Code);
            // Same scope afterwards: the rolled-back change is not lurking in the context.
            await admin.SetLevelAsync(third, second.Id, 3);
        });

        Assert.Equal(1, await ActiveAdminsAsync(app));
        var stored = await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var user = (await users.FindByIdAsync(second.Id))!;
            return (user.IsActive, await users.IsInRoleAsync(user, UserRef.AdminRole), user.Level);
        });
        Assert.Equal((true, true, 3), stored);
    }

    [Fact]
    public async Task Two_admins_removing_each_other_at_the_same_moment_leave_exactly_one()
    {
        await using var app = new CodeRunnerAppFactory();
        var first = await BootstrapAdminAsync(app);
        var second = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);

        // Round 1: demote each other.
        var results = await RaceAsync(app,
            s => s.SetAdminAsync(first, second.Id, false),
            s => s.SetAdminAsync(second, first.Id, false));
        Assert.Equal(1, results.Count(r => r is null));
        Assert.Equal("admin.last_admin", Assert.IsType<ConflictError>(results.Single(r => r is not null)).Code);
        Assert.Equal(1, await ActiveAdminsAsync(app));

        // Round 2: the survivor and a new admin; one deactivates while the other deletes.
        var survivor = results[0] is null ? first : second;
        var third = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        results = await RaceAsync(app,
            s => s.SetActiveAsync(survivor, third.Id, false),
            s => s.DeleteAsync(third, survivor.Id, UserContentDisposition.Delete));
        Assert.Equal(1, results.Count(r => r is null));
        Assert.Equal(1, await ActiveAdminsAsync(app));
    }

    /// <summary>Starts both actions, each in its own scope (own DbContext, like two admins' circuits), as close together as possible.</summary>
    private static async Task<Exception?[]> RaceAsync(CodeRunnerAppFactory app, Func<UserAdministrationService, Task> a, Func<UserAdministrationService, Task> b)
    {
        using var start = new Barrier(2);
        Task<Exception?> Run(Func<UserAdministrationService, Task> action) => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var service = scope.ServiceProvider.GetRequiredService<UserAdministrationService>();
            start.SignalAndWait();
            try
            {
                await action(service);
                return (Exception?)null;
            }
            catch (CodeRunnerError error)
            {
                return error;
            }
        });
        return await Task.WhenAll(Run(a), Run(b));
    }
}
