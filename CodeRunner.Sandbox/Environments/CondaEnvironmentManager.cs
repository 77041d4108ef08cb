using System.Text.Json;
using System.Threading.Channels;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>
/// micromamba, mamba or conda with environments at data/envs/&lt;name&gt; (create -p). Their
/// solver resolves the whole transaction before linking anything, so a spec that cannot be
/// satisfied leaves the environment untouched. Runs use bin/python3 of the prefix directly.
/// </summary>
public sealed class CondaEnvironmentManager : EnvironmentManagerBase
{
    private readonly string tool;

    public CondaEnvironmentManager(string tool, string environmentsRoot, ILogger<CondaEnvironmentManager> logger)
        : base(environmentsRoot, logger)
    {
        this.tool = tool;
        Backend = new EnvironmentBackendInfo(Path.GetFileName(tool), tool, ToolVersion(tool, CondaCommandLine.Version()), EnvironmentsRoot);
    }

    public override EnvironmentBackendInfo Backend { get; }

    public override async Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = RequireExisting(name);
        var result = await CommandRunner.ExecuteBufferedAsync(Tool(CondaCommandLine.List(prefix)), cancellationToken);
        if (!result.Status.Succeeded) throw new EnvironmentOperationException($"{Backend.Kind} list failed: {result.StandardError.Trim()}", result.Status.ExitCode);
        return ParseList(result.StandardOutput);
    }

    /// <summary>Parses `list --json` output (an array of objects with name and version).</summary>
    public static IReadOnlyList<InstalledPackage> ParseList(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(item => new InstalledPackage(item.GetProperty("name").GetString()!, item.GetProperty("version").GetString()!))
            .ToList();
    }

    protected override async Task CreateCoreAsync(EnvironmentCreateSpec spec, string prefix, IReadOnlyList<string> packages, PackageSources sources, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        if (spec.SpecFileContent is { } content)
        {
            // An environment.yml may name channels and pip sections; only requirement-style files are validated line by line.
            var isRequirements = spec.SpecFileName?.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) == true;
            if (isRequirements) packages = packages.Concat(PackageSpecValidator.ValidateRequirementsFile(content)).ToList();
            else throw new EnvironmentOperationException("environment.yml files are not accepted; give the packages as a list or requirements.txt", null);
        }
        await EnvironmentToolRunner.RunAsync(Tool(CondaCommandLine.Create(prefix, spec.PythonVersion, packages, sources)), log, cancellationToken);
    }

    protected override Task InstallCoreAsync(string name, string prefix, IReadOnlyList<string> specs, PackageSources sources, bool upgrade, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken) =>
        EnvironmentToolRunner.RunAsync(Tool(upgrade ? CondaCommandLine.Upgrade(prefix, specs, sources) : CondaCommandLine.Install(prefix, specs, sources)), log, cancellationToken);

    protected override Task UninstallCoreAsync(string name, string prefix, IReadOnlyList<string> names, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken) =>
        EnvironmentToolRunner.RunAsync(Tool(CondaCommandLine.Uninstall(prefix, names)), log, cancellationToken);

    private ProcessCommand Tool(IReadOnlyList<string> arguments)
    {
        // micromamba needs a root prefix for its package cache; keep it next to the environments.
        var extra = Path.GetFileName(tool) == "micromamba" && Environment.GetEnvironmentVariable("MAMBA_ROOT_PREFIX") is null
            ? new Dictionary<string, string> { ["MAMBA_ROOT_PREFIX"] = Path.Combine(EnvironmentsRoot, ".micromamba") }
            : null;
        return new ProcessCommand(tool, arguments).WithEnvironment(EnvironmentToolRunner.ToolEnvironment(extra));
    }
}
