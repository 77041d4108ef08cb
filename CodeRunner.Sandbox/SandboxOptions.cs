namespace CodeRunner.Sandbox;

/// <summary>Configuration section "Sandbox".</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandbox";

    /// <summary>Base interpreter; default /usr/bin/python3 when it exists, else python3 on PATH. Always resolved to the real file.</summary>
    public string? BasePython { get; set; }
    /// <summary>Isolate runs with bubblewrap when it is installed and works; false runs with limits only.</summary>
    public bool UseBubblewrap { get; set; } = true;
    public string? BubblewrapPath { get; set; }
    /// <summary>Per-run work dirs and kept artifacts; relative paths are resolved against the current directory.</summary>
    public string RunsDirectory { get; set; } = Path.Combine("data", "runs");
    public string EnvironmentsDirectory { get; set; } = Path.Combine("data", "envs");
    public int ArtifactMaxFiles { get; set; } = 20;
    public long ArtifactMaxBytes { get; set; } = 20 * 1024 * 1024;
    /// <summary>micromamba, mamba or conda (name on PATH or absolute path); when unset the first one found on PATH is used, else venv.</summary>
    public string? CondaTool { get; set; }
    /// <summary>Force the venv backend even when a conda tool is installed.</summary>
    public bool PreferVenv { get; set; }
    /// <summary>When the host runs as root, runs drop to this uid/gid (nobody) so RLIMIT_NPROC holds.</summary>
    public int SandboxUid { get; set; } = 65534;
    public int SandboxGid { get; set; } = 65534;
    /// <summary>Address space granted above the memory limit (see <see cref="Isolation.ResourceLimits"/>).</summary>
    public int AddressSpaceAllowanceMb { get; set; } = 256;
    /// <summary>How often the resident memory of a run's process tree is checked.</summary>
    public int MemoryPollMilliseconds { get; set; } = 100;
    /// <summary>
    /// Network of package installs (they run inside the sandbox): "proxy" (default; the sandbox keeps its own
    /// empty network and reaches only the configured package indexes through a host-side proxy, see
    /// <see cref="Isolation.InstallNetworkProxy"/>), "none" (no network: local wheelhouses only) or "host"
    /// (unsafe: the host's network, so everything on the host's loopback, the app included, is reachable).
    /// </summary>
    public string InstallNetwork { get; set; } = InstallNetworkModes.Proxy;
    /// <summary>More host[:port] entries the install proxy lets through (default port 443, TLS only), e.g. a mirror's download CDN.</summary>
    public List<string> InstallNetworkAllowedHosts { get; set; } = [];
    /// <summary>Connections one install may have open through the proxy at once.</summary>
    public int InstallProxyMaxConnections { get; set; } = 32;
    /// <summary>A proxied connection with no bytes either way for this long is closed.</summary>
    public int InstallProxyIdleTimeoutSeconds { get; set; } = 120;
    /// <summary>Bytes one install may move through the proxy (both directions), in MB.</summary>
    public int InstallProxyMaxMegabytes { get; set; } = 4096;
    /// <summary>Time, memory and scratch tmpfs (RAM) of one package tool invocation inside the sandbox.</summary>
    public int ToolTimeoutMinutes { get; set; } = 30;
    public int ToolMemoryMb { get; set; } = 2048;
    public int ToolScratchMb { get; set; } = 512;
    /// <summary>Sandboxes started ahead of runs ("Sandbox:WarmPool:Size" etc.).</summary>
    public Execution.WarmPoolOptions WarmPool { get; set; } = new();
}

/// <summary>Values of <see cref="SandboxOptions.InstallNetwork"/>.</summary>
public static class InstallNetworkModes
{
    public const string Proxy = "proxy";
    public const string None = "none";
    public const string Host = "host";
}
