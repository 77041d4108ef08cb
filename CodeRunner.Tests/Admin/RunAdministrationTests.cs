using CodeRunner.Core.Admin;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>The admin's view of everyone's runs: filters, paging, per-day totals, the live view and 停止 with the real sandbox.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class RunAdministrationTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private async Task<UserRef> NewAdminAsync() => CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true, level: 4), isAdmin: true);

    private Task<T> RunsAsync<T>(Func<RunAdministration, Task<T>> action) =>
        app.WithScopeAsync(sp => action(sp.GetRequiredService<RunAdministration>()));

    [Fact]
    public async Task Filters_combine_and_pages_are_served_from_the_database()
    {
        var admin = await NewAdminAsync();
        var alice = await app.CreateUserAsync("alice" + Guid.NewGuid().ToString("N")[..6]);
        var bob = await app.CreateUserAsync("bob" + Guid.NewGuid().ToString("N")[..6]);
        var day = new DateTime(2026, 3, 10, 12, 0, 0, DateTimeKind.Utc);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            for (var i = 0; i < 25; i++)
                db.CodeExecutions.Add(new CodeExecution { UserId = alice.Id, Code = $"print({i})", Status = i % 5 == 0 ? ExecutionStatus.Error : ExecutionStatus.Success,
                    CreatedAt = day.AddHours(i), IsApiCall = i % 2 == 0, EnvironmentName = i < 20 ? "base" : "science" });
            db.CodeExecutions.Add(new CodeExecution { UserId = bob.Id, Code = "print('bob')", Status = ExecutionStatus.Success, CreatedAt = day });
            await db.SaveChangesAsync();
        });

        var aliceAll = await RunsAsync(r => r.SearchAsync(admin, new AdminRunFilter { UserId = alice.Id, PageSize = 10, Page = 3 }));
        Assert.Equal(25, aliceAll.TotalCount);
        Assert.Equal(5, aliceAll.Items.Count);
        Assert.All(aliceAll.Items, i => Assert.Equal(alice.UserName, i.UserName));

        var byName = await RunsAsync(r => r.SearchAsync(admin, new AdminRunFilter { UserName = bob.UserName![..8] }));
        Assert.Equal("print('bob')", Assert.Single(byName.Items).CodePreview);

        var apiErrors = await RunsAsync(r => r.SearchAsync(admin, new AdminRunFilter { UserId = alice.Id, Status = ExecutionStatus.Error, Origin = ExecutionOrigin.Api }));
        Assert.Equal(3, apiErrors.TotalCount); // errors at i = 0, 5, 10, 15, 20; API calls are the even ones
        Assert.All(apiErrors.Items, i => Assert.True(i.IsApiCall && i.Status == ExecutionStatus.Error));

        var science = await RunsAsync(r => r.SearchAsync(admin, new AdminRunFilter { UserId = alice.Id, EnvironmentName = "science", Origin = ExecutionOrigin.Web }));
        Assert.Equal(2, science.TotalCount); // i = 21, 23

        var firstDay = await RunsAsync(r => r.SearchAsync(admin, new AdminRunFilter { UserId = alice.Id, FromUtc = day.Date, ToUtc = day.Date.AddDays(1) }));
        Assert.Equal(12, firstDay.TotalCount); // 12:00 .. 23:00
    }

    [Fact]
    public async Task Daily_totals_cover_every_day_of_the_period_by_status()
    {
        var admin = await NewAdminAsync();
        var carol = await app.CreateUserAsync();
        var day = new DateTime(2025, 6, 1, 8, 0, 0, DateTimeKind.Utc);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.CodeExecutions.AddRange(
                new CodeExecution { UserId = carol.Id, Code = "1", Status = ExecutionStatus.Success, CreatedAt = day },
                new CodeExecution { UserId = carol.Id, Code = "2", Status = ExecutionStatus.Success, CreatedAt = day.AddHours(15).AddMinutes(59) },
                new CodeExecution { UserId = carol.Id, Code = "3", Status = ExecutionStatus.Timeout, CreatedAt = day.AddDays(2) });
            await db.SaveChangesAsync();
        });

        var totals = await RunsAsync(r => r.DailyTotalsAsync(admin, new AdminRunFilter { UserId = carol.Id, FromUtc = day.Date, ToUtc = day.Date.AddDays(4) }));

        Assert.Equal([new DateOnly(2025, 6, 1), new DateOnly(2025, 6, 2), new DateOnly(2025, 6, 3), new DateOnly(2025, 6, 4)], totals.Select(t => t.Day));
        Assert.Equal([2, 0, 1, 0], totals.Select(t => t.Total));
        Assert.Equal(2, totals[0].ByStatus[ExecutionStatus.Success]);
        Assert.Equal(1, totals[2].ByStatus[ExecutionStatus.Timeout]);
    }

    [Fact]
    public async Task A_live_run_shows_its_user_and_usage_and_an_admin_can_stop_it()
    {
        var admin = await NewAdminAsync();
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 2));
        await using var scope = app.Services.CreateAsyncScope();
        var execution = scope.ServiceProvider.GetRequiredService<IExecutionService>();
        // Burns CPU and holds ~40 MB so the live view has something to show.
        await using var run = await execution.StartAsync(user,
            new ExecutionRequest { Code = "block = b\"x\" * (40 * 1024 * 1024)\nwhile True:\n    sum(range(10000))\n" },
            ExecutionOrigin.Web, CancellationToken.None);

        LiveRunInfo? live = null;
        for (var attempt = 0; attempt < 100 && (live is null || live.MemoryMb < 30 || live.Cpu == TimeSpan.Zero); attempt++)
        {
            await Task.Delay(100);
            live = (await RunsAsync(r => r.LiveRunsAsync(admin))).SingleOrDefault(l => l.ExecutionId == run.ExecutionId);
        }
        Assert.NotNull(live);
        Assert.Equal(user.UserName, live.UserName);
        Assert.Equal(ExecutionOrigin.Web, live.Origin);
        Assert.True(live.MemoryMb >= 30, $"memory {live.MemoryMb} MB");
        Assert.True(live.Cpu > TimeSpan.Zero);
        Assert.True(live.Elapsed > TimeSpan.Zero);

        Assert.True(await RunsAsync(r => r.StopAsync(admin, run.ExecutionId)));
        var outcome = await run.Completion;

        Assert.Equal(ExecutionStatus.Cancelled, outcome.StatusName);
        Assert.DoesNotContain(await RunsAsync(r => r.LiveRunsAsync(admin)), l => l.ExecutionId == run.ExecutionId);
        Assert.False(await RunsAsync(r => r.StopAsync(admin, run.ExecutionId)));
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            Assert.Equal(ExecutionStatus.Cancelled, (await db.CodeExecutions.SingleAsync(e => e.Id == run.ExecutionId)).Status);
            Assert.Equal(1, await db.AuditLogs.CountAsync(a => a.Action == "admin.run_stop" && a.ResourceId == run.ExecutionId.ToString() && a.UserId == admin.Id));
        });
    }
}
