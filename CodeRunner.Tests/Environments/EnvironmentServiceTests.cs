using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Environments;

/// <summary>Core rules of environments against real SQLite and the real venv backend with a local wheelhouse.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public sealed class EnvironmentServiceTests(EnvironmentsAppFixture fixture) : IClassFixture<EnvironmentsAppFixture>
{
    private const string Shared = EnvironmentsAppFixture.SharedName;
    private CodeRunnerAppFactory App => fixture.App;
    private UserRef Owner => CodeRunnerAppFactory.RefOf(fixture.Owner);

    private Task<T> WithEnvironments<T>(Func<EnvironmentServices, Task<T>> action) =>
        App.WithScopeAsync(services => action(EnvironmentServices.From(services)));

    private static async Task<List<OperationLogLine>> DrainAsync(IAsyncEnumerable<OperationLogLine> lines, CancellationToken cancellationToken = default)
    {
        var list = new List<OperationLogLine>();
        await foreach (var line in lines.WithCancellation(cancellationToken)) list.Add(line);
        return list;
    }

    private async Task<UserRef> NewUserAsync(bool isAdmin = false) =>
        CodeRunnerAppFactory.RefOf(await App.CreateUserAsync(isAdmin: isAdmin), isAdmin);

    private async Task<List<AuditLog>> AuditOfAsync(string environmentName) =>
        await App.WithScopeAsync(async services => await services.GetRequiredService<CodeRunnerDbContext>().AuditLogs
            .Where(a => a.ResourceType == "environment" && a.ResourceId == environmentName).OrderBy(a => a.Id).ToListAsync());

    [Fact]
    public async Task Created_environment_streamed_its_log_with_progress_and_lists_its_owner_and_packages()
    {
        Assert.Contains(fixture.CreateLog, line => line.Text.StartsWith("$ "));
        Assert.Contains(fixture.CreateLog, line => line.Progress == 1);

        var list = await WithEnvironments(s => s.Queries.ListAsync(Owner));

        Assert.Equal("base", list[0].Name);
        Assert.True(list[0].IsBase);
        var mine = Assert.Single(list, e => e.Name == Shared);
        Assert.Equal(fixture.Owner.UserName, mine.OwnerUserName);
        Assert.Equal("共享环境", mine.DisplayName);
        Assert.True(mine.IsMine && mine.CanEdit && mine.IsActive);
        Assert.True(mine.PackageCount >= 2, $"package count {mine.PackageCount}");
        Assert.True(mine.DiskBytes > 0);
        Assert.Contains(await AuditOfAsync(Shared), a => a.Action == "environment.create" && a.Status == AuditStatus.Success);
    }

    [Fact]
    public async Task A_user_who_owns_an_environment_cannot_create_a_second_one()
    {
        var request = new EnvironmentCreateRequest { Name = "second-env", PythonVersion = await WithEnvironments(s => Task.FromResult(s.Queries.PythonVersions[0])) };

        var error = await Assert.ThrowsAsync<ConflictError>(() => WithEnvironments(s => DrainAsync(s.Lifecycle.CreateAsync(Owner, request))));

        Assert.Equal("environments.limit_one", error.Code);
        Assert.False(await WithEnvironments(s => s.Queries.CanCreateAsync(Owner)));
    }

    [Fact]
    public async Task Another_users_private_environment_is_hidden_and_cannot_be_used()
    {
        await WithEnvironments(async s => { await s.Lifecycle.SetPublicAsync(Owner, Shared, false); return 0; });
        var other = await NewUserAsync();

        var list = await WithEnvironments(s => s.Queries.ListAsync(other));
        Assert.DoesNotContain(list, e => e.Name == Shared);
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(s => s.Queries.ResolveForRunAsync(other, Shared)));
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(s => s.Queries.ListPackagesAsync(other, Shared)));
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(s => s.Queries.GetAsync(other, Shared)));
    }

    [Fact]
    public async Task Changing_another_users_private_environment_looks_like_it_does_not_exist()
    {
        await WithEnvironments(async s => { await s.Lifecycle.SetPublicAsync(Owner, Shared, false); return 0; });
        var other = await NewUserAsync();

        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(s => DrainAsync(s.Packages.InstallAsync(other, Shared, TestWheelhouse.Extra, null))));
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(s => DrainAsync(s.Packages.UninstallAsync(other, Shared, TestWheelhouse.Greeting))));
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(s => s.Lifecycle.UpdateAsync(other, Shared, new EnvironmentEdit("mine now", null, true))));
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(async s => { await s.Lifecycle.SetPublicAsync(other, Shared, true); return 0; }));
        await Assert.ThrowsAsync<NotFoundError>(() => WithEnvironments(async s => { await s.Lifecycle.DeleteAsync(other, Shared); return 0; }));
        Assert.False((await WithEnvironments(s => s.Queries.GetAsync(Owner, Shared))).IsPublic);
    }

    [Fact]
    public async Task Another_users_public_environment_can_be_used_but_not_changed()
    {
        await WithEnvironments(async s => { await s.Lifecycle.SetPublicAsync(Owner, Shared, true); return 0; });
        var other = await NewUserAsync();
        try
        {
            var seen = Assert.Single(await WithEnvironments(s => s.Queries.ListAsync(other)), e => e.Name == Shared);
            Assert.False(seen.CanEdit);
            Assert.Contains(await WithEnvironments(s => s.Queries.ListPackagesAsync(other, Shared)), p => p.Name == TestWheelhouse.Greeting);
            Assert.NotNull(await WithEnvironments(s => s.Queries.ResolveForRunAsync(other, Shared)));

            await Assert.ThrowsAsync<ForbiddenError>(() => WithEnvironments(s => DrainAsync(s.Packages.InstallAsync(other, Shared, TestWheelhouse.Extra, null))));
            await Assert.ThrowsAsync<ForbiddenError>(() => WithEnvironments(s => DrainAsync(s.Packages.UninstallAsync(other, Shared, TestWheelhouse.Greeting))));
            await Assert.ThrowsAsync<ForbiddenError>(() => WithEnvironments(s => s.Lifecycle.UpdateAsync(other, Shared, new EnvironmentEdit("mine now", null, false))));
            await Assert.ThrowsAsync<ForbiddenError>(() => WithEnvironments(async s => { await s.Lifecycle.DeleteAsync(other, Shared); return 0; }));
        }
        finally
        {
            await WithEnvironments(async s => { await s.Lifecycle.SetPublicAsync(Owner, Shared, false); return 0; });
        }
    }

    [Theory]
    [InlineData("--index-url=https://evil.example/simple", "package")]
    [InlineData("numpy; rm -rf /", "package")]
    [InlineData("../../etc/passwd", "package")]
    [InlineData("https://evil.example/x.whl", "package")]
    public async Task An_invalid_package_spec_is_refused_before_anything_runs(string spec, string field)
    {
        var auditBefore = (await AuditOfAsync(Shared)).Count;

        var error = await Assert.ThrowsAsync<ValidationError>(() => WithEnvironments(s => DrainAsync(s.Packages.InstallAsync(Owner, Shared, spec, null))));

        Assert.Equal("environments.invalid_spec", error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal(auditBefore, (await AuditOfAsync(Shared)).Count);
    }

    [Fact]
    public async Task An_invalid_version_spec_names_the_version_field()
    {
        var error = await Assert.ThrowsAsync<ValidationError>(() => WithEnvironments(s => DrainAsync(s.Packages.InstallAsync(Owner, Shared, "requests", "==1.0 --pre"))));

        Assert.Equal("version", error.Field);
    }

    [Fact]
    public async Task An_invalid_environment_name_is_refused_with_its_field()
    {
        var admin = await NewUserAsync(isAdmin: true);
        var request = new EnvironmentCreateRequest { Name = "../escape", PythonVersion = "3.11" };

        var error = await Assert.ThrowsAsync<ValidationError>(() => WithEnvironments(s => DrainAsync(s.Lifecycle.CreateAsync(admin, request))));

        Assert.Equal("environments.invalid_name", error.Code);
        Assert.Equal("name", error.Field);
    }

    [Fact]
    public async Task Delete_is_refused_while_a_run_uses_the_environment()
    {
        var runId = await App.WithScopeAsync(async services =>
        {
            var db = services.GetRequiredService<CodeRunnerDbContext>();
            var run = new CodeExecution { UserId = fixture.Owner.Id, Code = "import time; time.sleep(60)", EnvironmentName = Shared, Status = ExecutionStatus.Running, CreatedAt = DateTime.UtcNow };
            db.CodeExecutions.Add(run);
            await db.SaveChangesAsync();
            return run.Id;
        });
        try
        {
            var error = await Assert.ThrowsAsync<ConflictError>(() => WithEnvironments(async s => { await s.Lifecycle.DeleteAsync(Owner, Shared); return 0; }));
            Assert.Equal("environments.in_use", error.Code);
            Assert.NotNull(await WithEnvironments(s => s.Queries.ResolveForRunAsync(Owner, Shared)));
        }
        finally
        {
            await App.WithScopeAsync(services => services.GetRequiredService<CodeRunnerDbContext>().CodeExecutions
                .Where(x => x.Id == runId).ExecuteUpdateAsync(x => x.SetProperty(r => r.Status, ExecutionStatus.Success)));
        }
    }

    [Fact]
    public async Task Installing_upgrading_and_uninstalling_local_wheels_stream_logs_and_are_audited()
    {
        var install = await WithEnvironments(s => DrainAsync(s.Packages.InstallAsync(Owner, Shared, TestWheelhouse.Extra, "0.1.0")));
        Assert.Contains(install, line => line.Text.Contains("--no-index") && line.Text.Contains("--find-links"));
        Assert.Contains(await WithEnvironments(s => s.Queries.ListPackagesAsync(Owner, Shared)), p => p == new PackageInfo(TestWheelhouse.Extra, "0.1.0"));

        await WithEnvironments(s => DrainAsync(s.Packages.UpgradeAsync(Owner, Shared, TestWheelhouse.Greeting)));
        Assert.Contains(await WithEnvironments(s => s.Queries.ListPackagesAsync(Owner, Shared)), p => p == new PackageInfo(TestWheelhouse.Greeting, "1.1.0"));

        await WithEnvironments(s => DrainAsync(s.Packages.UninstallAsync(Owner, Shared, TestWheelhouse.Extra)));
        Assert.DoesNotContain(await WithEnvironments(s => s.Queries.ListPackagesAsync(Owner, Shared)), p => p.Name == TestWheelhouse.Extra);

        var actions = (await AuditOfAsync(Shared)).Where(a => a.Status == AuditStatus.Success).Select(a => a.Action).ToList();
        Assert.Contains("environment.install", actions);
        Assert.Contains("environment.upgrade", actions);
        Assert.Contains("environment.uninstall", actions);
    }

    [Fact]
    public async Task A_failed_install_reports_the_tool_error_and_leaves_the_environment_usable()
    {
        var before = await WithEnvironments(s => s.Queries.ListPackagesAsync(Owner, Shared));

        var error = await Assert.ThrowsAsync<ConflictError>(() => WithEnvironments(s => DrainAsync(s.Packages.InstallAsync(Owner, Shared, "no-such-package-xyz", null))));

        Assert.Equal("environments.operation_failed", error.Code);
        Assert.Equal(before, await WithEnvironments(s => s.Queries.ListPackagesAsync(Owner, Shared)));
        Assert.Contains(await AuditOfAsync(Shared), a => a.Action == "environment.install" && a.Status == AuditStatus.Error);
        var resolved = await WithEnvironments(s => s.Queries.ResolveForRunAsync(Owner, Shared));
        Assert.NotNull(resolved);
        Assert.True(File.Exists(resolved.InterpreterPath));
    }

    [Fact]
    public async Task A_second_operation_on_a_busy_environment_is_refused()
    {
        await App.WithScopeAsync(async services =>
        {
            var environments = EnvironmentServices.From(services);
            await using var first = environments.Packages.InstallAsync(Owner, Shared, TestWheelhouse.Extra, null).GetAsyncEnumerator();
            Assert.True(await first.MoveNextAsync());

            var error = await Assert.ThrowsAsync<ConflictError>(() => WithEnvironments(s => DrainAsync(s.Packages.UninstallAsync(Owner, Shared, TestWheelhouse.Greeting))));
            Assert.Equal("environments.busy", error.Code);

            while (await first.MoveNextAsync()) { }
        });
        await WithEnvironments(s => DrainAsync(s.Packages.UninstallAsync(Owner, Shared, TestWheelhouse.Extra)));
    }

    [Fact]
    public async Task Resolving_for_a_run_gives_the_interpreter_and_records_the_use()
    {
        var resolved = await WithEnvironments(s => s.Queries.ResolveForRunAsync(Owner, Shared));
        var baseResolved = await WithEnvironments(s => s.Queries.ResolveForRunAsync(Owner, null));

        Assert.NotNull(resolved);
        Assert.Equal(Shared, resolved.Name);
        Assert.StartsWith(Path.Combine(App.DataDirectory, "envs"), resolved.Prefix);
        Assert.Equal("base", baseResolved!.Name);
        Assert.Null(baseResolved.Prefix);
        Assert.Null(await WithEnvironments(s => s.Queries.ResolveForRunAsync(Owner, "never-created")));
        var summary = await WithEnvironments(s => s.Queries.GetAsync(Owner, Shared));
        Assert.NotNull(summary.LastUsedAt);
        var choices = await WithEnvironments(s => s.Queries.ListChoicesAsync(Owner));
        Assert.Equal(["base", Shared], choices.Select(c => c.Name));
    }

    [Fact]
    public async Task A_run_with_the_environments_interpreter_imports_its_package()
    {
        var resolved = await WithEnvironments(s => s.Queries.ResolveForRunAsync(Owner, Shared));
        var runner = App.Services.GetRequiredService<ICodeRunner>();

        var (result, stdout) = await RunAsync(runner, resolved!, "import coderunner_greeting\nprint(coderunner_greeting.greet('世界'))");

        Assert.True(result.Status == RunStatus.Success, stdout);
        Assert.StartsWith("你好", stdout);
    }

    [Fact]
    public async Task The_execution_service_runs_in_the_owners_environment_and_hides_it_from_others_while_private()
    {
        await WithEnvironments(async s => { await s.Lifecycle.SetPublicAsync(Owner, Shared, false); return 0; });
        var other = await NewUserAsync();
        Task<ExecutionOutcome> Run(UserRef actor) => App.WithScopeAsync(services => services.GetRequiredService<IExecutionService>().RunAsync(actor,
            new ExecutionRequest { Code = "import coderunner_greeting\nprint(coderunner_greeting.greet('世界'))", EnvironmentName = Shared },
            ExecutionOrigin.Api, CancellationToken.None));

        var outcome = await Run(Owner);

        Assert.True(outcome.StatusName == ExecutionStatus.Success, outcome.Stdout + outcome.Stderr);
        Assert.StartsWith("你好", outcome.Stdout);
        var row = await App.WithScopeAsync(services => services.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.AsNoTracking().SingleAsync(e => e.Id == outcome.ExecutionId));
        Assert.Equal(Shared, row.EnvironmentName);
        var error = await Assert.ThrowsAsync<NotFoundError>(() => Run(other));
        Assert.Equal("environment", error.ResourceType);
    }

    internal static async Task<(RunResult Result, string Output)> RunAsync(ICodeRunner runner, ResolvedEnvironment environment, string code)
    {
        var output = new System.Text.StringBuilder();
        await using var session = runner.Start(new RunRequest
        {
            Code = code,
            InterpreterPath = environment.InterpreterPath,
            EnvironmentPrefix = environment.Prefix,
            Limits = new RunLimits { WallTimeout = TimeSpan.FromSeconds(20), CpuTime = TimeSpan.FromSeconds(10), MemoryMb = 256 },
        });
        await foreach (var runEvent in session.Events.ReadAllAsync())
            if (runEvent is RunOutput chunk) output.Append(chunk.Text);
        return (await session.Completion, output.ToString());
    }

    [Fact]
    public async Task An_admin_may_delete_any_users_environment_and_a_cancelled_creation_leaves_nothing_behind()
    {
        var admin = await NewUserAsync(isAdmin: true);
        var user = await NewUserAsync();
        var version = await WithEnvironments(s => Task.FromResult(s.Queries.PythonVersions[0]));

        using var cancel = new CancellationTokenSource();
        var cancelled = App.WithScopeAsync(async services =>
        {
            var environments = EnvironmentServices.From(services);
            await foreach (var _ in environments.Lifecycle.CreateAsync(user, new EnvironmentCreateRequest { Name = "cancelled-env", PythonVersion = version }, cancel.Token))
                await cancel.CancelAsync();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(Directory.Exists(Path.Combine(App.DataDirectory, "envs", "cancelled-env")));
        Assert.DoesNotContain(await WithEnvironments(s => s.Queries.ListAllAsync(admin)), e => e.Name == "cancelled-env");
        Assert.Contains(await AuditOfAsync("cancelled-env"), a => a.Action == "environment.create" && a.Status == AuditStatus.Warning);

        await WithEnvironments(s => DrainAsync(s.Lifecycle.CreateAsync(user, new EnvironmentCreateRequest { Name = "user-env", PythonVersion = version })));
        Assert.Contains(await WithEnvironments(s => s.Queries.ListAllAsync(admin)), e => e.Name == "user-env" && e.OwnerId == user.Id);

        await WithEnvironments(async s => { await s.Lifecycle.DeleteAsync(admin, "user-env"); return 0; });

        Assert.False(Directory.Exists(Path.Combine(App.DataDirectory, "envs", "user-env")));
        Assert.DoesNotContain(await WithEnvironments(s => s.Queries.ListAllAsync(admin)), e => e.Name == "user-env");
        Assert.Contains(await AuditOfAsync("user-env"), a => a.Action == "environment.delete" && a.UserId == admin.Id);
        Assert.True(await WithEnvironments(s => s.Queries.CanCreateAsync(user)));
    }

    [Fact]
    public async Task Only_admins_see_every_environment_and_change_package_sources()
    {
        var admin = await NewUserAsync(isAdmin: true);
        var user = await NewUserAsync();
        await Assert.ThrowsAsync<ForbiddenError>(() => WithEnvironments(s => s.Queries.ListAllAsync(user)));
        await Assert.ThrowsAsync<ForbiddenError>(() => WithEnvironments(async s => { await s.Sources.SavePackageSourcesAsync(user, new PackageSourceSettings()); return 0; }));
        var configured = await WithEnvironments(s => Task.FromResult(s.Sources.GetPackageSources(admin)));
        Assert.True(configured.NoIndex);
        Assert.Equal([fixture.Wheelhouse], configured.FindLinks);

        var mirror = configured with { PipExtraIndexUrls = ["https://mirrors.example.edu.cn/pypi/simple"], CondaChannels = ["conda-forge"] };
        await WithEnvironments(async s => { await s.Sources.SavePackageSourcesAsync(admin, mirror); return 0; });
        try
        {
            var saved = await WithEnvironments(s => Task.FromResult(s.Sources.GetPackageSources(admin)));
            Assert.Equal(["https://mirrors.example.edu.cn/pypi/simple"], saved.PipExtraIndexUrls);
            Assert.True(File.Exists(Path.Combine(App.DataDirectory, PackageSourcesStore.FileName)));
            var invalid = await Assert.ThrowsAsync<ValidationError>(() => WithEnvironments(async s =>
            {
                await s.Sources.SavePackageSourcesAsync(admin, saved with { PipIndexUrl = "file:///etc" });
                return 0;
            }));
            Assert.Equal("pipIndexUrl", invalid.Field);
            var overview = await WithEnvironments(s => s.Queries.GetBackendOverviewAsync(admin));
            Assert.Equal("venv", overview.Kind);
            Assert.True(overview.TotalDiskBytes > 0);
        }
        finally
        {
            await WithEnvironments(async s => { await s.Sources.ResetPackageSourcesAsync(admin); return 0; });
        }
        Assert.Equal([fixture.Wheelhouse], (await WithEnvironments(s => Task.FromResult(s.Sources.GetPackageSources(admin)))).FindLinks);
    }
}
