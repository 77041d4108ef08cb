using System.Net;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Tiers;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Execution;

/// <summary>ExecutionService with the real database and the real sandbox.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
[Collection(ExecutionCollection.Name)]
public class ExecutionServiceTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private static ExecutionRequest Code(string code, string? stdin = null) => new() { Code = code, Stdin = stdin };

    private Task<ExecutionOutcome> RunAsync(UserRef actor, ExecutionRequest request, ExecutionOrigin origin = ExecutionOrigin.Web) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<IExecutionService>().RunAsync(actor, request, origin, CancellationToken.None));

    private Task<CodeExecution> RowAsync(long id) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.AsNoTracking().SingleAsync(e => e.Id == id));

    [Fact]
    public async Task A_finished_run_is_recorded_with_its_status_output_and_origin()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());

        var outcome = await RunAsync(user, Code("import sys\nprint('hello')\nprint('oops', file=sys.stderr)\n"));

        Assert.Equal(ExecutionStatus.Success, outcome.StatusName);
        Assert.Equal("hello\n", outcome.Stdout);
        Assert.Equal("oops\n", outcome.Stderr);
        var row = await RowAsync(outcome.ExecutionId);
        Assert.Equal(ExecutionStatus.Success, row.Status);
        Assert.False(row.IsApiCall);
        Assert.Equal(0, row.ExitCode);
        Assert.Contains("hello", row.Output);
        Assert.Contains("oops", row.Output);
        Assert.Equal("base", row.EnvironmentName);
        Assert.NotNull(row.FinishedAt);
        var audited = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs
            .AnyAsync(a => a.Action == "execution.run" && a.UserId == user.Id && a.ResourceId == outcome.ExecutionId.ToString()));
        Assert.True(audited);
    }

    [Fact]
    public async Task A_run_is_recorded_as_running_before_it_ends()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        await using var scope = app.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<IExecutionService>();

        await using var run = await service.StartAsync(user, Code("import time\ntime.sleep(30)\n"), ExecutionOrigin.Web, CancellationToken.None);
        Assert.Equal(ExecutionStatus.Running, (await RowAsync(run.ExecutionId)).Status);

        run.Cancel();
        var outcome = await run.Completion;
        Assert.Equal(ExecutionStatus.Cancelled, outcome.StatusName);
        Assert.Equal(ExecutionStatus.Cancelled, (await RowAsync(run.ExecutionId)).Status);
    }

    [Fact]
    public async Task A_second_run_while_one_is_going_is_refused()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        await using var scope = app.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<IExecutionService>();
        var first = await service.StartAsync(user, Code("import time\ntime.sleep(30)\n"), ExecutionOrigin.Web, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<ConflictError>(() => RunAsync(user, Code("print(1)")));
        Assert.Equal("execution.already_running", refused.Code);

        await first.DisposeAsync();
        var next = await RunAsync(user, Code("print(2)"));
        Assert.Equal(ExecutionStatus.Success, next.StatusName);
    }

    [Fact]
    public async Task A_run_leaving_a_too_deep_tree_and_a_non_utf8_name_is_recorded_frees_the_gate_and_keeps_its_artifacts()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        const string code = """
            import os
            open('result.csv', 'w').write('a,b')
            open(b'\xff\xfe.txt', 'wb').write(b'x')
            os.mkdir('deep'); os.chdir('deep')
            for _ in range(40):
                os.mkdir('d' * 200); os.chdir('d' * 200)
            print('left a mess')
            """;

        var outcome = await RunAsync(user, Code(code));

        Assert.Equal(ExecutionStatus.Success, outcome.StatusName);
        Assert.Contains(outcome.Result.Artifacts, a => a.Name == "result.csv");
        Assert.Equal(ExecutionStatus.Success, (await RowAsync(outcome.ExecutionId)).Status);
        // The one-run-at-a-time gate was released: the next run starts at once.
        Assert.Equal(ExecutionStatus.Success, (await RunAsync(user, Code("print(2)"))).StatusName);
    }

    [Fact]
    public async Task A_run_filling_its_disk_quota_is_recorded_as_disk_limit()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 4));

        // Files under the per-file limit, spread over /tmp and /dev/shm: only the shared quota stops them.
        var outcome = await RunAsync(user, Code("i = 0\nwhile True:\n    i += 1\n    with open(f'/tmp/f{i}' if i % 2 else f'/dev/shm/f{i}', 'wb') as f:\n        f.write(b'x' * 8 * 1048576)"));

        Assert.Equal(ExecutionStatus.DiskLimit, outcome.StatusName);
        Assert.Equal(ExecutionStatus.DiskLimit, (await RowAsync(outcome.ExecutionId)).Status);
    }

    [Fact]
    public async Task Cancelling_the_callers_token_stops_the_run()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        using var closing = new CancellationTokenSource();
        await using var scope = app.Services.CreateAsyncScope();
        var run = await scope.ServiceProvider.GetRequiredService<IExecutionService>()
            .StartAsync(user, Code("print('up', flush=True)\nimport time\ntime.sleep(30)\n"), ExecutionOrigin.Web, closing.Token);
        await run.Events.ReadAsync();

        closing.Cancel();

        Assert.Equal(ExecutionStatus.Cancelled, (await run.Completion).StatusName);
    }

    [Fact]
    public async Task A_free_user_gets_exactly_ten_runs_a_day_from_the_run_page()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        for (var i = 0; i < 10; i++)
            Assert.Equal(ExecutionStatus.Success, (await RunAsync(user, Code("pass"))).StatusName);

        var error = await Assert.ThrowsAsync<QuotaExceededError>(() => RunAsync(user, Code("pass")));

        Assert.Equal("quota.runs_exhausted", error.Code);
        Assert.Equal(10, error.Limit);
        var rows = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.CountAsync(e => e.UserId == user.Id));
        Assert.Equal(10, rows);
    }

    [Fact]
    public async Task Twenty_racing_runs_on_a_ten_per_day_tier_take_exactly_ten_from_the_quota()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            try
            {
                await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().TryConsumeRunAsync(user));
                return true;
            }
            catch (QuotaExceededError)
            {
                return false;
            }
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(10, results.Count(ok => ok));
        var status = await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.Runs));
        Assert.Equal(10, status.Used);
        Assert.Equal(0, status.Remaining);
    }

    [Fact]
    public async Task Racing_run_page_starts_of_one_user_never_run_two_programs_at_once()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));
        using var start = new ManualResetEventSlim();

        var attempts = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            try
            {
                return await RunAsync(user, Code("import time\ntime.sleep(0.5)\n"));
            }
            catch (ConflictError)
            {
                return null;
            }
        })).ToList();
        start.Set();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Single(outcomes, o => o is not null);
        var status = await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.Runs));
        Assert.Equal(1, status.Used);
    }

    [Fact]
    public async Task Admins_are_not_limited_by_the_daily_quota()
    {
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1, isAdmin: true), isAdmin: true);
        await app.WithScopeAsync(async sp =>
        {
            var quotas = sp.GetRequiredService<QuotaService>();
            for (var i = 0; i < 15; i++) await quotas.TryConsumeRunAsync(admin);
        });

        var outcome = await RunAsync(admin, Code("print('still running')"));

        Assert.Equal(ExecutionStatus.Success, outcome.StatusName);
    }

    [Fact]
    public async Task Api_runs_are_marked_and_do_not_take_from_the_run_quota()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));

        var outcome = await RunAsync(user, Code("print(6 * 7)"), ExecutionOrigin.Api);

        Assert.Equal("42\n", outcome.Stdout);
        Assert.True((await RowAsync(outcome.ExecutionId)).IsApiCall);
        var status = await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.Runs));
        Assert.Equal(0, status.Used);
    }

    [Fact]
    public async Task Stdin_given_before_the_run_reaches_the_program()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());

        var outcome = await RunAsync(user, Code("a = int(input())\nb = int(input())\nprint(a + b)", stdin: "2\n3\n"));

        Assert.Equal("5\n", outcome.Stdout);
    }

    [Fact]
    public async Task Code_larger_than_the_cap_is_refused_without_using_the_quota()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());

        var error = await Assert.ThrowsAsync<ValidationError>(() => RunAsync(user, Code("# " + new string('x', 70 * 1024))));

        Assert.Equal("execution.code_too_large", error.Code);
        var status = await app.WithScopeAsync(sp => sp.GetRequiredService<QuotaService>().GetStatusAsync(user, QuotaKind.Runs));
        Assert.Equal(0, status.Used);
    }

    [Fact]
    public async Task An_environment_the_user_may_not_use_is_not_found()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());

        var error = await Assert.ThrowsAsync<NotFoundError>(() => RunAsync(user, new ExecutionRequest { Code = "pass", EnvironmentName = "someone-elses" }));

        Assert.Equal("environment", error.ResourceType);
    }

    [Fact]
    public async Task An_environment_of_the_user_whose_directory_is_missing_is_unavailable()
    {
        var owner = await app.CreateUserAsync();
        var user = CodeRunnerAppFactory.RefOf(owner);
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.PythonEnvironments.Add(new PythonEnvironment
            {
                OwnerId = owner.Id, Name = "gone-" + owner.Id[..8], DisplayName = "消失的环境", PythonVersion = "3.11",
                CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            return await db.SaveChangesAsync();
        });

        var error = await Assert.ThrowsAsync<ConflictError>(() => RunAsync(user, new ExecutionRequest { Code = "pass", EnvironmentName = "gone-" + owner.Id[..8] }));

        Assert.Equal("execution.environment_unavailable", error.Code);
        Assert.Equal("消失的环境", Assert.Single(error.Arguments));
    }

    [Fact]
    public async Task Someone_elses_run_is_not_found_in_history_but_admins_see_every_run()
    {
        var owner = await app.CreateUserAsync();
        var other = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        var outcome = await RunAsync(CodeRunnerAppFactory.RefOf(owner), Code("print('private')"));

        await app.WithScopeAsync(async sp =>
        {
            var queries = sp.GetRequiredService<ExecutionQueries>();
            await Assert.ThrowsAsync<NotFoundError>(() => queries.GetAsync(other, outcome.ExecutionId));
            var othersList = await queries.ListAsync(other, new ExecutionFilter { AllUsers = true });
            Assert.DoesNotContain(othersList.Items, e => e.Id == outcome.ExecutionId);

            var seenByAdmin = await queries.GetAsync(admin, outcome.ExecutionId);
            Assert.Contains("private", seenByAdmin.Output);
            var adminList = await queries.ListAsync(admin, new ExecutionFilter { AllUsers = true, PageSize = 100 });
            Assert.Contains(adminList.Items, e => e.Id == outcome.ExecutionId && e.UserName == owner.UserName);
        });
    }

    [Fact]
    public async Task History_filters_by_status()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 2));
        await RunAsync(user, Code("print('ok')"));
        var failed = await RunAsync(user, Code("raise SystemExit(3)"));

        var page = await app.WithScopeAsync(sp => sp.GetRequiredService<ExecutionQueries>()
            .ListAsync(user, new ExecutionFilter { Status = ExecutionStatus.Error }));

        var only = Assert.Single(page.Items);
        Assert.Equal(failed.ExecutionId, only.Id);
        Assert.Equal(3, only.ExitCode);
    }

    [Fact]
    public async Task A_figure_shown_with_plt_show_is_kept_and_served_only_to_its_owner()
    {
        var owner = await app.CreateUserAsync(level: 2);
        var other = await app.CreateUserAsync(level: 2);
        var outcome = await RunAsync(CodeRunnerAppFactory.RefOf(owner),
            Code("import matplotlib.pyplot as plt\nplt.plot([1, 2], [2, 1])\nplt.show()\n"));
        var artifact = Assert.Single(outcome.Result.Artifacts);
        Assert.Equal("figure-1.png", artifact.Name);

        var ownerClient = await SignedInClientAsync(owner.UserName!);
        var response = await ownerClient.GetAsync($"/runs/{outcome.ExecutionId}/artifacts/figure-1.png");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);

        var otherClient = await SignedInClientAsync(other.UserName!);
        Assert.Equal(HttpStatusCode.NotFound, (await otherClient.GetAsync($"/runs/{outcome.ExecutionId}/artifacts/figure-1.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ownerClient.GetAsync($"/runs/{outcome.ExecutionId}/artifacts/..%2F..%2Fcoderunner.db")).StatusCode);
    }

    [Fact]
    public async Task Artifacts_older_than_the_retention_are_deleted()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 2));
        var outcome = await RunAsync(user, Code("open('out.txt', 'w').write('data')"));
        var directory = (await RowAsync(outcome.ExecutionId)).ArtifactDirectory;
        Assert.True(Directory.Exists(directory));
        await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions
            .Where(e => e.Id == outcome.ExecutionId)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.CreatedAt, DateTime.UtcNow.AddDays(-2))));

        await app.Services.GetRequiredService<ArtifactCleanupService>().CleanAsync(CancellationToken.None);

        Assert.False(Directory.Exists(directory));
        Assert.Null((await RowAsync(outcome.ExecutionId)).ArtifactDirectory);
    }

    private async Task<HttpClient> SignedInClientAsync(string userName)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await HttpSignIn.SignInAsync(client, userName, CodeRunnerAppFactory.DefaultPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }
}

/// <summary>The app with the free tier's timeout set to 2 s.</summary>
public sealed class ShortTimeoutAppFactory : CodeRunnerAppFactory
{
    public ShortTimeoutAppFactory() => WithSetting("Tiers:Levels:1:TimeoutSeconds", "2");
}

[Collection(ExecutionCollection.Name)]
public class TierLimitTests(ShortTimeoutAppFactory app) : IClassFixture<ShortTimeoutAppFactory>
{
    [Fact]
    public async Task A_program_sleeping_past_the_tier_timeout_ends_with_status_timeout()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(level: 1));

        var outcome = await app.WithScopeAsync(sp => sp.GetRequiredService<IExecutionService>()
            .RunAsync(user, new ExecutionRequest { Code = "import time\ntime.sleep(10)\nprint('woke')" }, ExecutionOrigin.Web, CancellationToken.None));

        Assert.Equal(ExecutionStatus.Timeout, outcome.StatusName);
        Assert.Equal(ExecutionStatus.Timeout, outcome.StatusName);
        Assert.DoesNotContain("woke", outcome.Stdout);
        var row = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.AsNoTracking().SingleAsync(e => e.Id == outcome.ExecutionId));
        Assert.Equal(ExecutionStatus.Timeout, row.Status);
    }
}
