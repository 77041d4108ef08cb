using System.Text.Json;
using System.Threading.Channels;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>
/// venv + pip, used where no conda tool exists. The venv's interpreter is bin/python3, a symlink
/// to the real base interpreter (no shim cost), which must stay unresolved so Python finds pyvenv.cfg.
/// Installs are resolved with --dry-run first (a missing package changes nothing), and packages
/// added by a failed or cancelled install are uninstalled again.
/// </summary>
public sealed class VenvEnvironmentManager : EnvironmentManagerBase
{
    private readonly string basePython;

    public VenvEnvironmentManager(string basePython, string environmentsRoot, ILogger<VenvEnvironmentManager> logger)
        : base(environmentsRoot, logger)
    {
        this.basePython = basePython;
        Backend = new EnvironmentBackendInfo("venv", basePython, ToolVersion(basePython, ["--version"]), EnvironmentsRoot);
    }

    public override EnvironmentBackendInfo Backend { get; }

    public override async Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = RequireExisting(name);
        var result = await CommandRunner.ExecuteBufferedAsync(Pip(prefix, PipCommandLine.List()), cancellationToken);
        if (!result.Status.Succeeded) throw new EnvironmentOperationException($"pip list failed: {result.StandardError.Trim()}", result.Status.ExitCode);
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.EnumerateArray()
            .Select(item => new InstalledPackage(item.GetProperty("name").GetString()!, item.GetProperty("version").GetString()!))
            .ToList();
    }

    protected override async Task CreateCoreAsync(EnvironmentCreateSpec spec, string prefix, IReadOnlyList<string> packages, PackageSources sources, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        log.TryWrite(new EnvironmentLogLine($"creating venv with {basePython} ({Backend.Version}); requested Python {spec.PythonVersion}", Progress: 0));
        await EnvironmentToolRunner.RunAsync(Tool(basePython, PipCommandLine.CreateVenv(prefix)), log, cancellationToken);
        log.TryWrite(new EnvironmentLogLine("venv created", Progress: 0.5));

        var requirements = spec.SpecFileContent is { } content ? PackageSpecValidator.ValidateRequirementsFile(content) : [];
        var all = packages.Concat(requirements).ToList();
        if (all.Count > 0) await InstallCoreAsync(spec.Name, prefix, all, sources, upgrade: false, log, cancellationToken);
    }

    protected override async Task InstallCoreAsync(string name, string prefix, IReadOnlyList<string> specs, PackageSources sources, bool upgrade, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        log.TryWrite(new EnvironmentLogLine("resolving " + string.Join(' ', specs), Progress: 0.1));
        await EnvironmentToolRunner.RunAsync(Pip(prefix, PipCommandLine.Install(specs, sources, dryRun: true, upgrade)), log, cancellationToken);

        var before = await FreezeAsync(prefix);
        try
        {
            log.TryWrite(new EnvironmentLogLine("installing", Progress: 0.5));
            await EnvironmentToolRunner.RunAsync(Pip(prefix, PipCommandLine.Install(specs, sources, dryRun: false, upgrade)), log, cancellationToken);
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
        await EnvironmentToolRunner.RunAsync(Pip(prefix, PipCommandLine.Uninstall(names)), log, cancellationToken);
        log.TryWrite(new EnvironmentLogLine("uninstalled " + string.Join(' ', names), Progress: 1));
    }

    /// <summary>Uninstalls what a failed install added (pip already restores a package whose own upgrade failed).</summary>
    private async Task RollBackAsync(string prefix, IReadOnlySet<string> before, ChannelWriter<EnvironmentLogLine> log)
    {
        var added = (await FreezeAsync(prefix)).Except(before).Select(line => line.Split("==")[0]).ToList();
        if (added.Count == 0) return;
        log.TryWrite(new EnvironmentLogLine("rolling back: " + string.Join(' ', added), LogLevelKind.Error));
        await EnvironmentToolRunner.RunAsync(Pip(prefix, PipCommandLine.Uninstall(added)), log, CancellationToken.None);
    }

    private async Task<IReadOnlySet<string>> FreezeAsync(string prefix)
    {
        var result = await CommandRunner.ExecuteBufferedAsync(Pip(prefix, PipCommandLine.Freeze()));
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static ProcessCommand Pip(string prefix, IReadOnlyList<string> arguments) =>
        Tool(Path.Combine(prefix, "bin", "python3"), arguments).WithWorkingDirectory(prefix);

    private static ProcessCommand Tool(string program, IReadOnlyList<string> arguments) =>
        new ProcessCommand(program, arguments).WithEnvironment(EnvironmentToolRunner.ToolEnvironment());
}
