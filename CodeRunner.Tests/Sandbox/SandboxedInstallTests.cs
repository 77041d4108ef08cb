using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Tests.Sandbox;

/// <summary>
/// Package installs are hostile code: a build backend and a .pth file must run inside the sandbox
/// (or not at all), never on the host. Both packages are built here and installed offline from a local wheelhouse.
/// </summary>
public sealed class SandboxedInstallTests(VenvFixture venv) : IClassFixture<VenvFixture>
{
    private static string HostMarker() => Path.Combine(Path.GetTempPath(), "coderunner-pwned-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task A_source_package_build_backend_runs_in_the_sandbox_as_the_sandbox_user_and_cannot_touch_the_host()
    {
        venv.Sandbox.RequireBubblewrap();
        var marker = HostMarker();
        var wheelhouse = Path.Combine(venv.Sandbox.DataDirectory, "..", "hostile-sdist");
        WheelBuilder.BuildHostileSdist(wheelhouse, "evil-backend", "1.0", $$"""
            import os, sys
            try:
                open({{Quote(marker)}}, 'w').write('owned')
                wrote = 'yes'
            except OSError as error:
                wrote = 'no'
            readable = os.path.exists({{Quote(venv.Sandbox.DatabasePath)}})
            secret = 'leaked' if os.environ.get('CODERUNNER_TEST_SECRET') else 'none'
            print(f'BACKEND-RAN uid={os.getuid()} db={readable} env={secret}', file=sys.stderr, flush=True)
            """);
        Environment.SetEnvironmentVariable("CODERUNNER_TEST_SECRET", "host-secret");
        var log = new List<EnvironmentLogLine>();
        var sources = new PackageSources { NoIndex = true, FindLinks = [wheelhouse] };

        var failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var line in venv.Manager.InstallAsync(VenvFixture.EnvironmentName, ["evil-backend"], sources, CancellationToken.None)) log.Add(line);
        });

        var text = string.Join('\n', log.Select(l => l.Text));
        Assert.NotNull(failure);
        Assert.Contains("BACKEND-RAN", text);
        Assert.Contains("db=False", text);
        Assert.Contains("env=none", text);
        if (venv.Sandbox.Runner.Isolation.DropToUnprivilegedUser) Assert.Contains($"uid={venv.Sandbox.Runner.Isolation.SandboxUid}", text);
        Assert.False(File.Exists(marker), "the build backend wrote a file on the host");
    }

    [Fact]
    public async Task A_pth_file_never_executes_on_the_host_when_packages_are_installed_or_listed()
    {
        venv.Sandbox.RequireBubblewrap();
        var marker = HostMarker();
        var wheelhouse = Path.Combine(venv.Sandbox.DataDirectory, "..", "hostile-pth");
        WheelBuilder.Build(wheelhouse, "evil-pth", "1.0.0", "VALUE = 1\n",
            new Dictionary<string, string> { ["evil_pth_hook.pth"] = $"import os; open({Quote(marker)}, 'w').write('owned')\n" });
        var sources = new PackageSources { NoIndex = true, FindLinks = [wheelhouse] };

        await foreach (var _ in venv.Manager.InstallAsync(VenvFixture.EnvironmentName, ["evil-pth"], sources, CancellationToken.None)) { }
        var packages = await venv.Manager.ListPackagesAsync(VenvFixture.EnvironmentName, CancellationToken.None);
        // The environment's python starts again for the next install: the .pth runs then, inside the sandbox only.
        await foreach (var _ in venv.Manager.InstallAsync(VenvFixture.EnvironmentName, ["coderunner-extra"], venv.OfflineSources, CancellationToken.None)) { }

        Assert.Contains(new InstalledPackage("evil-pth", "1.0.0"), packages);
        Assert.False(File.Exists(marker), "the .pth file executed on the host");
    }

    [Fact]
    public void Packages_are_read_from_metadata_headers()
    {
        var package = InstalledPackageReader.ParseMetadata("Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\n\nVersion: 9.9 in the body\n");

        Assert.Equal(new InstalledPackage("numpy", "1.26.4"), package);
        Assert.Null(InstalledPackageReader.ParseMetadata("Name: broken\n"));
    }

    private static string Quote(string path) => "'" + path.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
