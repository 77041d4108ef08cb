using CodeRunner.Core.Accounts;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Ai;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Core.Tiers;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Foundation;

/// <summary>
/// A Blazor circuit is one DI scope for as long as the tab is open, and a page's components load at the same time.
/// Reads therefore open contexts of their own (<see cref="ReadContexts"/>); on one scoped context they collided on
/// PostgreSQL ("A second operation was started on this context instance"), whose I/O really overlaps.
/// </summary>
public class CircuitReadsTests
{
    [Fact]
    public async Task Reads_a_page_starts_at_once_in_one_scope_all_succeed_on_PostgreSQL()
    {
        using var database = new PostgresTestDatabase();
        await using var app = new CodeRunnerAppFactory().WithSetting("Database:Provider", "postgres").WithSetting("ConnectionStrings:Default", database.ConnectionString);
        var adminUser = await app.CreateUserAsync(isAdmin: true);
        var admin = CodeRunnerAppFactory.RefOf(adminUser, isAdmin: true);
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        await app.WithScopeAsync(sp => sp.GetRequiredService<SnippetService>().CreateAsync(user, new SnippetEdit { Title = "九九乘法表", Code = "print(1)", IsPublic = true, Tags = "数学" }));

        // One scope, like one circuit: every read a page of the admin console, the library or the usage page starts.
        await using var circuit = app.Services.CreateAsyncScope();
        var sp = circuit.ServiceProvider;
        for (var round = 0; round < 5; round++)
        {
            await Task.WhenAll(
                sp.GetRequiredService<UserAdministrationService>().GetStatisticsAsync(admin),
                sp.GetRequiredService<UserAdministrationService>().SearchAsync(admin, null, 1, 20),
                sp.GetRequiredService<AuditQueries>().StatisticsAsync(admin, new AuditQuery()),
                sp.GetRequiredService<AuditQueries>().SearchAsync(admin, new AuditQuery()),
                sp.GetRequiredService<AuditQueries>().ActionsAsync(admin),
                sp.GetRequiredService<SnippetQueries>().PublicOfOthersAsync(admin, new SnippetQuery()),
                sp.GetRequiredService<SnippetQueries>().MyTagsAsync(user),
                sp.GetRequiredService<SnippetService>().GetUsageAsync(user),
                sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.AiRequests),
                sp.GetRequiredService<AiUsageQueries>().ForEveryoneAsync(admin),
                sp.GetRequiredService<AiProviderService>().GetTeamDefaultAsync(admin),
                sp.GetRequiredService<UsageQueries>().GetAsync(user),
                sp.GetRequiredService<ExecutionQueries>().ListAsync(admin, new ExecutionFilter { AllUsers = true }),
                sp.GetRequiredService<RunAdministration>().SearchAsync(admin, new AdminRunFilter()),
                sp.GetRequiredService<UserDetailQueries>().GetAsync(admin, user.Id),
                sp.GetRequiredService<FeedQueries>().FeedAsync(user, new FeedQuery()),
                sp.GetRequiredService<NotificationService>().UnreadCountAsync(user),
                sp.GetRequiredService<AccountService>().FindAsync(user.Id),
                sp.GetRequiredService<ApiKeyService>().ListAsync(user),
                sp.GetRequiredService<EnvironmentQueries>().ListChoicesAsync(user));
        }
        Assert.Equal(1, (await sp.GetRequiredService<SnippetQueries>().PublicOfOthersAsync(admin, new SnippetQuery())).TotalCount);
    }

    [Fact]
    public async Task A_read_context_tracks_nothing_and_has_the_scoped_contexts_configuration()
    {
        await using var app = new CodeRunnerAppFactory().WithSetting("Database:Provider", "sqlite");
        var user = await app.CreateUserAsync();
        await using var db = app.Services.GetRequiredService<ReadContexts>().Open();
        Assert.Equal(user.UserName, (await db.Users.SingleAsync(u => u.Id == user.Id)).UserName);
        Assert.Empty(db.ChangeTracker.Entries());
        // The SQLite connection interceptor (SqliteDurability) runs on read contexts too: synchronous=NORMAL is 1.
        Assert.Equal(1, await db.Database.SqlQueryRaw<int>("SELECT synchronous AS \"Value\" FROM pragma_synchronous").SingleAsync());
    }
}
