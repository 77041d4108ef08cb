using System.Threading.Channels;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>
/// venv + pip, used where no conda tool exists. The venv's interpreter is bin/python3, a symlink
/// to the real base interpreter (no shim cost), which must stay unresolved so Python finds pyvenv.cfg.
/// Installs are resolved with --dry-run first (a missing package changes nothing), and packages
/// added by a failed or cancelled install are uninstalled again. venv and pip run inside the
/// sandbox (<see cref="SandboxedTool"/>); packages are listed from metadata files.
/// </summary>
public sealed class VenvEnvironmentManager : EnvironmentManagerBase
{
    private readonly string basePython;
    private readonly SandboxedTool tools;

    /// <summary>Asks the base interpreter its version (shown with the backend), then builds the manager.</summary>
    public static async Task<VenvEnvironmentManager> OpenAsync(string basePython, string environmentsRoot, SandboxedTool tools, ILogger<VenvEnvironmentManager> logger,
        CancellationToken cancellationToken = default) =>
        new(basePython, environmentsRoot, tools, logger, await ToolVersionAsync(basePython, ["--version"], cancellationToken));

    private VenvEnvironmentManager(string basePython, string environmentsRoot, SandboxedTool tools, ILogger<VenvEnvironmentManager> logger, string version)
        : base(environmentsRoot, logger)
    {
        this.basePython = basePython;
        this.tools = tools;
        Backend = new EnvironmentBackendInfo("venv", basePython, version, EnvironmentsRoot);
    }

    public override EnvironmentBackendInfo Backend { get; }

    public override Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = RequireExisting(name);
        return Task.Run(() => InstalledPackageReader.Read(prefix), cancellationToken);
    }

    protected override async Task CreateCoreAsync(EnvironmentCreateSpec spec, string prefix, IReadOnlyList<string> packages, PackageSources sources, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        log.TryWrite(new EnvironmentLogLine($"creating venv with {basePython} ({Backend.Version}); requested Python {spec.PythonVersion}", Progress: 0));
        Directory.CreateDirectory(prefix);
        await EnvironmentToolRunner.RunAsync(await Tool(basePython, prefix, PipCommandLine.CreateVenv(prefix), [], cancellationToken), log, cancellationToken);
        log.TryWrite(new EnvironmentLogLine("venv created", Progress: 0.5));

        var requirements = spec.SpecFileContent is { } content ? PackageSpecValidator.ValidateRequirementsFile(content) : [];
        var all = packages.Concat(requirements).ToList();
        if (all.Count > 0) await InstallCoreAsync(spec.Name, prefix, all, sources, upgrade: false, log, cancellationToken);
    }

    protected override async Task InstallCoreAsync(string name, string prefix, IReadOnlyList<string> specs, PackageSources sources, bool upgrade, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        log.TryWrite(new EnvironmentLogLine("resolving " + string.Join(' ', specs), Progress: 0.1));
        // One proxy for the whole install (dry run and install): its limits hold per install.
        await using var network = EnvironmentToolRunner.OpenNetwork(tools, PackageIndexAllowlist.ForPip(sources), log);
        await EnvironmentToolRunner.RunAsync(await Pip(prefix, PipCommandLine.Install(specs, sources, dryRun: true, upgrade), sources, cancellationToken, network), log, cancellationToken);

        var before = Freeze(prefix);
        try
        {
            log.TryWrite(new EnvironmentLogLine("installing", Progress: 0.5));
            await EnvironmentToolRunner.RunAsync(await Pip(prefix, PipCommandLine.Install(specs, sources, dryRun: false, upgrade), sources, cancellationToken, network), log, cancellationToken);
            log.TryWrite(new EnvironmentLogLine("installed " + string.Join(' ', specs), Progress: 1));
        }
        catch (Exception exception) when (exception is EnvironmentOperationException or OperationCanceledException)
        {
            await RollBackAsync(prefix, before, log);
            throw;
        }
    }

    protected override async Task UninstallCoreAsync(string name, string prefix, IReadOnlyList<string> names, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        await EnvironmentToolRunner.RunAsync(await Pip(prefix, PipCommandLine.Uninstall(names), null, cancellationToken), log, cancellationToken);
        log.TryWrite(new EnvironmentLogLine("uninstalled " + string.Join(' ', names), Progress: 1));
    }

    /// <summary>Uninstalls what a failed install added (pip already restores a package whose own upgrade failed).</summary>
    private async Task RollBackAsync(string prefix, IReadOnlySet<string> before, ChannelWriter<EnvironmentLogLine> log)
    {
        var added = Freeze(prefix).Except(before).Select(line => line.Split("==")[0]).ToList();
        if (added.Count == 0) return;
        log.TryWrite(new EnvironmentLogLine("rolling back: " + string.Join(' ', added), LogLevelKind.Error));
        await EnvironmentToolRunner.RunAsync(await Pip(prefix, PipCommandLine.Uninstall(added), null, CancellationToken.None), log, CancellationToken.None);
    }

    private static IReadOnlySet<string> Freeze(string prefix) =>
        InstalledPackageReader.Read(prefix).Select(p => $"{p.Name}=={p.Version}").ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>pip of the environment, in the sandbox: the prefix writable, local wheelhouses read-only.</summary>
    private Task<ProcessCommand> Pip(string prefix, IReadOnlyList<string> arguments, PackageSources? sources, CancellationToken cancellationToken, InstallNetworkProxy? network = null) =>
        Tool(Path.Combine(prefix, "bin", "python3"), prefix, arguments, sources?.FindLinks.Where(Path.IsPathFullyQualified).Select(Path.GetFullPath).ToList() ?? [], cancellationToken, network);

    private Task<ProcessCommand> Tool(string program, string prefix, IReadOnlyList<string> arguments, IReadOnlyList<string> readOnly, CancellationToken cancellationToken,
        InstallNetworkProxy? network = null) =>
        tools.CommandAsync(program, arguments, [prefix], [.. readOnly, BaseInterpreterPrefix], null, cancellationToken, network);

    /// <summary>The base interpreter's installation (its standard library), bound read-only unless it lives under /usr anyway.</summary>
    private string BaseInterpreterPrefix => Path.GetDirectoryName(Path.GetDirectoryName(basePython)!)!;
}
