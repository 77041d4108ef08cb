using System.Collections.Immutable;
using CodeRunner.Sandbox.Execution;
using System.Globalization;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// Wraps a package tool (venv, pip, micromamba/conda) in the same sandbox as runs: the sandbox
/// user, every namespace, seccomp, no nested user namespaces, rlimits; the environment prefix (and
/// a conda package cache) the only writable paths, local wheelhouses read-only, a size-limited
/// tmpfs as cwd, HOME and /tmp, and an allowlisted environment (sources are passed as arguments).
/// Build backends, setup.py and .pth files of the packages being installed therefore execute
/// inside the sandbox, never on the host. Network: only the configured package indexes, through
/// <see cref="InstallNetworkProxy"/> (Sandbox:InstallNetwork=proxy, the default); none; or the host's (unsafe).
/// </summary>
public sealed class SandboxedTool(IsolationCapabilities capabilities, SandboxOptions options, string? forwarderInterpreter = null, ILogger? logger = null)
{
    public bool IsIsolated => capabilities.IsIsolated;

    public bool ShareNetwork => string.Equals(options.InstallNetwork, InstallNetworkModes.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>Installs reach the configured indexes through the proxy (only where the sandbox really isolates; limits-only mode has the host's network anyway).</summary>
    public bool UsesProxy => capabilities.IsIsolated && forwarderInterpreter is not null
        && string.Equals(options.InstallNetwork, InstallNetworkModes.Proxy, StringComparison.OrdinalIgnoreCase);

    /// <summary>What installs really reach here: proxy, host (also whenever bwrap is missing: tools then run on the host) or none.</summary>
    public string NetworkMode => UsesProxy ? InstallNetworkModes.Proxy : ShareNetwork || !IsIsolated ? InstallNetworkModes.Host : InstallNetworkModes.None;

    /// <summary>
    /// The network of one install: a proxy to the hosts of <paramref name="allowlist"/>, or null (no network; also when
    /// the allowlist is empty, e.g. offline wheelhouses). Dispose it when the install's tools have exited.
    /// </summary>
    public InstallNetworkProxy? OpenNetwork(PackageIndexAllowlist allowlist, Action<InstallNetworkRefusal> onRefused)
    {
        if (!UsesProxy) return null;
        var extra = PackageIndexAllowlist.ForPip(new PackageSources { NoIndex = true }, options.InstallNetworkAllowedHosts).Destinations;
        var merged = new PackageIndexAllowlist(allowlist.Destinations.Concat(extra));
        if (merged.IsEmpty) return null;
        var settings = capabilities.Settings;
        return InstallNetworkProxy.Start(merged, InstallNetworkLimits.From(options),
            settings.DropToUnprivilegedUser ? settings.SandboxUid : null, settings.DropToUnprivilegedUser ? settings.SandboxGid : null,
            onRefused, logger ?? NullLogger.Instance);
    }

    public RunLimits Limits => new()
    {
        WallTimeout = TimeSpan.FromMinutes(options.ToolTimeoutMinutes),
        CpuTime = TimeSpan.FromMinutes(options.ToolTimeoutMinutes),
        MemoryMb = options.ToolMemoryMb,
        MaxProcesses = 256,
        MaxFileSizeBytes = 2L * 1024 * 1024 * 1024,
        MaxOpenFiles = 4096,
        DiskQuotaBytes = options.ToolScratchMb * 1024L * 1024,
    };

    /// <summary>
    /// The sandboxed command for <paramref name="program"/> (an absolute path visible inside: /usr/... or under a prefix).
    /// Gives the sandbox user ownership of <paramref name="writablePaths"/> first (they must exist).
    /// </summary>
    public async Task<ProcessCommand> CommandAsync(string program, IReadOnlyList<string> arguments, IReadOnlyList<string> writablePaths,
        IReadOnlyList<string> readOnlyPaths, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken,
        InstallNetworkProxy? network = null)
    {
        var settings = capabilities.Settings;
        if (settings.DropToUnprivilegedUser)
            foreach (var path in writablePaths) await GiveToSandboxUserAsync(path, cancellationToken);
        var variables = Environment(writablePaths.FirstOrDefault(), environment);
        if (!capabilities.IsIsolated)
            return new ProcessCommand(program, arguments).WithEnvironment(variables).WithWorkingDirectory(writablePaths.FirstOrDefault());

        if (network is not null && forwarderInterpreter is not null)
        {
            // The forwarder starts first (on the sandbox's loopback), then runs the tool as its child.
            variables = variables.SetItems(ProxyVariables);
            arguments = ["-I", "-S", $"{InstallNetworkProxy.SandboxDirectory}/{InstallNetworkProxy.ForwarderName}", InstallNetworkProxy.SandboxPort.ToString(CultureInfo.InvariantCulture),
                $"{InstallNetworkProxy.SandboxDirectory}/{InstallNetworkProxy.SocketName}", "--", program, .. arguments];
            program = forwarderInterpreter;
            readOnlyPaths = [.. readOnlyPaths, Path.GetDirectoryName(Path.GetDirectoryName(forwarderInterpreter)!)!];
        }
        var launch = new SandboxLaunch(null, program, readOnlyPaths.Where(Directory.Exists).ToList(), Limits, arguments)
        {
            WritablePaths = writablePaths,
            ReportUsage = false,
            ShareNetwork = ShareNetwork,
            ProxyDirectory = network is null ? null : settings.SourceOf(network.HostDirectory),
        };
        var commandLine = BubblewrapIsolation.BuildCommandLine(launch, settings);
        return commandLine.ToProcessCommand().WithEnvironment(variables);
    }

    /// <summary>pip (requests) and conda (libcurl: lower-case names) find the forwarder through these; nothing bypasses it.</summary>
    private static readonly Dictionary<string, string> ProxyVariables = new()
    {
        ["HTTP_PROXY"] = InstallNetworkProxy.SandboxProxyUrl,
        ["HTTPS_PROXY"] = InstallNetworkProxy.SandboxProxyUrl,
        ["http_proxy"] = InstallNetworkProxy.SandboxProxyUrl,
        ["https_proxy"] = InstallNetworkProxy.SandboxProxyUrl,
        ["PIP_PROXY"] = InstallNetworkProxy.SandboxProxyUrl,
        ["NO_PROXY"] = "",
        ["no_proxy"] = "",
    };

    /// <summary>Everything a tool sees of the environment: nothing of the host's.</summary>
    public ImmutableDictionary<string, string> Environment(string? prefix, IReadOnlyDictionary<string, string>? extra)
    {
        var home = capabilities.IsIsolated ? "/tmp" : System.IO.Path.GetTempPath();
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["TMPDIR"] = home,
            ["PATH"] = (prefix is null ? "" : System.IO.Path.Combine(prefix, "bin") + ":") + "/usr/local/bin:/usr/bin:/bin",
            ["LANG"] = "C.UTF-8",
            ["LC_ALL"] = "C.UTF-8",
            ["PYTHONUNBUFFERED"] = "1",
            ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1",
            ["PIP_NO_INPUT"] = "1",
            ["PIP_NO_CACHE_DIR"] = "1",
            // pip ignores user config files only when told: the sandbox has none, but keep the host's out in limits-only mode.
            ["PIP_CONFIG_FILE"] = "/dev/null",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) variables[key] = value;
        return variables.ToImmutableDictionary(StringComparer.Ordinal);
    }

    private async Task GiveToSandboxUserAsync(string path, CancellationToken cancellationToken)
    {
        // GNU chown -R never follows symlinks while walking (-P is the default), so a link planted in a prefix cannot redirect it.
        var owner = $"{capabilities.Settings.SandboxUid}:{capabilities.Settings.SandboxGid}";
        var result = await CommandRunner.ExecuteBufferedAsync(new ProcessCommand("chown", ["-R", "-h", owner, "--", path]), cancellationToken);
        if (!result.Status.Succeeded) throw new IOException($"cannot give {path} to the sandbox user: {result.StandardError.Trim()}");
    }
}
