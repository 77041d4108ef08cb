using System.Text.Json;
using System.Threading.Channels;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Environments;

/// <summary>
/// micromamba, mamba or conda with environments at data/envs/&lt;name&gt; (create -p). Their
/// solver resolves the whole transaction before linking anything, so a spec that cannot be
/// satisfied leaves the environment untouched. Runs use bin/python3 of the prefix directly.
/// The tool runs inside the sandbox (<see cref="SandboxedTool"/>) with the prefix and the package
/// cache writable; packages are listed from conda-meta and dist-info files.
/// </summary>
public sealed class CondaEnvironmentManager : EnvironmentManagerBase
{
    private readonly string tool;
    private readonly SandboxedTool tools;

    /// <summary>Asks the tool its version (shown with the backend), then builds the manager.</summary>
    public static async Task<CondaEnvironmentManager> OpenAsync(string tool, string environmentsRoot, SandboxedTool tools, ILogger<CondaEnvironmentManager> logger,
        CancellationToken cancellationToken = default) =>
        new(tool, environmentsRoot, tools, logger, await ToolVersionAsync(tool, CondaCommandLine.Version(), cancellationToken));

    private CondaEnvironmentManager(string tool, string environmentsRoot, SandboxedTool tools, ILogger<CondaEnvironmentManager> logger, string version)
        : base(environmentsRoot, logger)
    {
        this.tool = Path.GetFullPath(tool);
        this.tools = tools;
        Backend = new EnvironmentBackendInfo(Path.GetFileName(tool), tool, version, EnvironmentsRoot);
    }

    public override EnvironmentBackendInfo Backend { get; }

    public override Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(string name, CancellationToken cancellationToken)
    {
        var prefix = RequireExisting(name);
        return Task.Run(() => InstalledPackageReader.Read(prefix), cancellationToken);
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
        Directory.CreateDirectory(prefix);
        await using var network = EnvironmentToolRunner.OpenNetwork(tools, PackageIndexAllowlist.ForConda(sources), log);
        await EnvironmentToolRunner.RunAsync(await Tool(prefix, CondaCommandLine.Create(prefix, spec.PythonVersion, packages, sources), cancellationToken, network), log, cancellationToken);
    }

    protected override async Task InstallCoreAsync(string name, string prefix, IReadOnlyList<string> specs, PackageSources sources, bool upgrade, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken)
    {
        await using var network = EnvironmentToolRunner.OpenNetwork(tools, PackageIndexAllowlist.ForConda(sources), log);
        await EnvironmentToolRunner.RunAsync(await Tool(prefix, upgrade ? CondaCommandLine.Upgrade(prefix, specs, sources) : CondaCommandLine.Install(prefix, specs, sources), cancellationToken, network), log, cancellationToken);
    }

    protected override async Task UninstallCoreAsync(string name, string prefix, IReadOnlyList<string> names, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken) =>
        await EnvironmentToolRunner.RunAsync(await Tool(prefix, CondaCommandLine.Uninstall(prefix, names), cancellationToken), log, cancellationToken);

    /// <summary>The tool in the sandbox: the prefix and the package cache (envs/.micromamba, also conda's pkgs dir) writable, the tool's own install read-only.</summary>
    private Task<ProcessCommand> Tool(string prefix, IReadOnlyList<string> arguments, CancellationToken cancellationToken, InstallNetworkProxy? network = null)
    {
        var cache = Path.Combine(EnvironmentsRoot, ".micromamba");
        Directory.CreateDirectory(cache);
        var extra = new Dictionary<string, string> { ["MAMBA_ROOT_PREFIX"] = cache, ["CONDA_PKGS_DIRS"] = Path.Combine(cache, "pkgs") };
        var installation = Path.GetDirectoryName(Path.GetDirectoryName(InterpreterResolverPath(tool))!)!;
        return tools.CommandAsync(tool, arguments, [prefix, cache], [installation], extra, cancellationToken, network);
    }

    private static string InterpreterResolverPath(string path) => Execution.InterpreterResolver.RealPath(path);
}
