using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeRunner.Tests.Sandbox;

/// <summary>One real venv (created once) plus a local wheelhouse; pip never touches the network.</summary>
public sealed class VenvFixture : IAsyncLifetime
{
    public const string EnvironmentName = "testenv";

    public SandboxFixture Sandbox { get; } = new();
    public VenvEnvironmentManager Manager { get; private set; } = null!;
    public string Wheelhouse { get; private set; } = null!;
    public List<EnvironmentLogLine> CreateLog { get; } = [];
    public PackageSources OfflineSources => new() { NoIndex = true, FindLinks = [Wheelhouse] };

    public async Task InitializeAsync()
    {
        await Sandbox.InitializeAsync();
        Wheelhouse = Path.Combine(Sandbox.DataDirectory, "..", "wheelhouse");
        WheelBuilder.Build(Wheelhouse, "coderunner-greeting", "1.0.0", "def greet(name):\n    return f'你好, {name}'\n");
        WheelBuilder.Build(Wheelhouse, "coderunner-greeting", "1.1.0", "def greet(name):\n    return f'你好呀, {name}'\n");
        WheelBuilder.Build(Wheelhouse, "coderunner-extra", "0.1.0", "VALUE = 42\n");
        // Resolves (a dry run reads only its metadata) but fails while installing, after pip has installed its dependency:
        // pip refuses a wheel file that points outside the environment.
        WheelBuilder.Build(Wheelhouse, "coderunner-broken", "1.0.0", "BROKEN = True\n",
            extraFiles: new Dictionary<string, string> { ["../../outside-the-environment.txt"] = "x" }, requires: ["coderunner-extra"]);
        Manager = await VenvEnvironmentManager.OpenAsync(Sandbox.Runner.BaseInterpreter.Path, Sandbox.Options.EnvironmentsDirectory, Sandbox.Runner.Tools, NullLogger<VenvEnvironmentManager>.Instance);
        var spec = new EnvironmentCreateSpec(EnvironmentName, "3.11", ["coderunner-greeting==1.0.0"]);
        await foreach (var line in Manager.CreateAsync(spec, OfflineSources, CancellationToken.None)) CreateLog.Add(line);
    }

    public Task DisposeAsync() => Sandbox.DisposeAsync();
}

public sealed class VenvEnvironmentTests(VenvFixture venv) : IClassFixture<VenvFixture>
{
    private VenvEnvironmentManager Manager => venv.Manager;

    [Fact]
    public async Task Created_environment_lists_the_wheel_installed_at_creation()
    {
        var packages = await Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);

        Assert.Contains(new InstalledPackage("coderunner-greeting", "1.0.0"), packages);
        Assert.Contains(venv.CreateLog, line => line.Text.StartsWith("$ "));
        Assert.Equal("venv", Manager.Backend.Kind);
    }

    [Fact]
    public async Task Sandboxed_run_imports_the_package_with_the_environments_interpreter()
    {
        var request = venv.Sandbox.Request("import coderunner_greeting\nprint(coderunner_greeting.greet('世界'))",
            interpreter: Manager.GetInterpreterPath(VenvFixture.EnvironmentName), prefix: Manager.GetPrefix(VenvFixture.EnvironmentName));

        var run = await venv.Sandbox.RunAsync(request);

        Assert.True(run.Result.Status == RunStatus.Success, run.ToString());
        Assert.StartsWith("你好", run.Stdout);
    }

    [Fact]
    public async Task Install_upgrade_and_uninstall_change_the_package_list()
    {
        const string name = "lifecycle";
        await DrainAsync(Manager.CreateAsync(new EnvironmentCreateSpec(name, "3.11", []), venv.OfflineSources, CancellationToken.None));

        await DrainAsync(Manager.InstallAsync(name, ["coderunner-greeting==1.0.0", "coderunner-extra"], venv.OfflineSources, CancellationToken.None));
        await DrainAsync(Manager.UpgradeAsync(name, ["coderunner-greeting"], venv.OfflineSources, CancellationToken.None));
        var upgraded = await Manager.ListPackagesAsync(name, CancellationToken.None);
        await DrainAsync(Manager.UninstallAsync(name, ["coderunner-extra"], CancellationToken.None));
        var after = await Manager.ListPackagesAsync(name, CancellationToken.None);
        var size = await Manager.GetDiskSizeBytesAsync(name, CancellationToken.None);
        await Manager.RemoveAsync(name, CancellationToken.None);

        Assert.Contains(new InstalledPackage("coderunner-greeting", "1.1.0"), upgraded);
        Assert.Contains(new InstalledPackage("coderunner-extra", "0.1.0"), upgraded);
        Assert.DoesNotContain(after, p => p.Name == "coderunner-extra");
        Assert.True(size > 0);
        Assert.False(Manager.Exists(name));
        Assert.False(Directory.Exists(Manager.GetPrefix(name)));
    }

    [Fact]
    public async Task Failed_install_leaves_the_environment_usable()
    {
        var log = new List<EnvironmentLogLine>();
        var failure = await Assert.ThrowsAsync<EnvironmentOperationException>(async () =>
        {
            await foreach (var line in Manager.InstallAsync(VenvFixture.EnvironmentName, ["coderunner-extra", "package-that-does-not-exist==9.9"], venv.OfflineSources, CancellationToken.None))
                log.Add(line);
        });

        var packages = await Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);
        Assert.Contains(new InstalledPackage("coderunner-greeting", "1.0.0"), packages);
        Assert.DoesNotContain(packages, p => p.Name == "coderunner-extra");
        Assert.NotNull(failure.ExitCode);
        Assert.Contains(log, line => line.Text.Contains("package-that-does-not-exist"));
        var run = await venv.Sandbox.RunAsync(venv.Sandbox.Request("import coderunner_greeting\nprint('still works')",
            interpreter: Manager.GetInterpreterPath(VenvFixture.EnvironmentName), prefix: Manager.GetPrefix(VenvFixture.EnvironmentName)));
        Assert.Equal("still works\n", run.Stdout);
    }

    [Fact]
    public async Task An_install_that_fails_after_installing_a_dependency_uninstalls_that_dependency_again()
    {
        var before = await Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);
        Assert.DoesNotContain(before, p => p.Name == "coderunner-extra");
        var log = new List<EnvironmentLogLine>();

        await Assert.ThrowsAsync<EnvironmentOperationException>(async () =>
        {
            await foreach (var line in Manager.InstallAsync(VenvFixture.EnvironmentName, ["coderunner-broken"], venv.OfflineSources, CancellationToken.None))
                log.Add(line);
        });

        // pip got as far as installing the dependency before it refused the broken wheel; the rollback removed it again.
        Assert.Contains(log, line => line.Text.Contains("rolling back") && line.Text.Contains("coderunner-extra"));
        var after = await Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);
        Assert.Equal(before.OrderBy(p => p.Name), after.OrderBy(p => p.Name));
        Assert.False(File.Exists(Path.Combine(Manager.GetPrefix(VenvFixture.EnvironmentName), "..", "outside-the-environment.txt")));
    }

    [Fact]
    public async Task Cancelled_install_throws_and_leaves_the_environment_as_it_was()
    {
        using var cancellation = new CancellationTokenSource();
        var before = await Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var line in Manager.InstallAsync(VenvFixture.EnvironmentName, ["coderunner-extra"], venv.OfflineSources, cancellation.Token))
                if (line.Text.StartsWith("$ ")) await cancellation.CancelAsync();
        });

        var after = await Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);
        Assert.Equal(before.OrderBy(p => p.Name), after.OrderBy(p => p.Name));
    }

    [Fact]
    public void Invalid_names_and_specs_are_rejected_before_any_process_starts()
    {
        Assert.Throws<InvalidEnvironmentNameException>(() => Manager.InstallAsync("../etc", ["x"], venv.OfflineSources, CancellationToken.None));
        var exception = Assert.Throws<InvalidPackageSpecException>(() => Manager.InstallAsync(VenvFixture.EnvironmentName, ["--index-url=http://evil"], venv.OfflineSources, CancellationToken.None));
        Assert.Equal("--index-url=http://evil", exception.Value);
        Assert.Throws<EnvironmentNotFoundException>(() => Manager.InstallAsync("missing-env", ["numpy"], venv.OfflineSources, CancellationToken.None));
        Assert.Throws<EnvironmentAlreadyExistsException>(() => Manager.CreateAsync(new EnvironmentCreateSpec(VenvFixture.EnvironmentName, "3.11", []), venv.OfflineSources, CancellationToken.None));
    }

    private static async Task DrainAsync(IAsyncEnumerable<EnvironmentLogLine> lines)
    {
        await foreach (var _ in lines) { }
    }
}
