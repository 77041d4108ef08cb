using System.Threading.Channels;

namespace CodeRunner.Sandbox.Execution;

/// <summary>Hard limits for one run; the caller (Core, from the user's tier) decides the values.</summary>
public sealed record RunLimits
{
    public TimeSpan WallTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan CpuTime { get; init; } = TimeSpan.FromSeconds(30);
    public int MemoryMb { get; init; } = 128;
    public int MaxProcesses { get; init; } = 64;
    public long MaxFileSizeBytes { get; init; } = 16 * 1024 * 1024;
    public int MaxOpenFiles { get; init; } = 256;
    public long MaxOutputBytes { get; init; } = 1024 * 1024;
    /// <summary>One quota over the work dir, /tmp and /dev/shm together (a tmpfs: its pages also count as the run's memory).</summary>
    public long DiskQuotaBytes { get; init; } = 64 * 1024 * 1024;
    /// <summary>Files and directories the run may create in that quota.</summary>
    public int MaxFiles { get; init; } = 10_000;
}

/// <summary>What to run: Python source in a given interpreter (an environment's python, resolved to the real file).</summary>
public sealed record RunRequest
{
    public required string Code { get; init; }
    /// <summary>Absolute path of the real interpreter (never a shim).</summary>
    public required string InterpreterPath { get; init; }
    /// <summary>Environment prefix to bind read-only into the sandbox (null = base interpreter's prefix).</summary>
    public string? EnvironmentPrefix { get; init; }
    /// <summary>Text written to stdin before the program starts reading; stdin stays open for interactive writes.</summary>
    public string? Stdin { get; init; }
    public RunLimits Limits { get; init; } = new();
    /// <summary>Helper files written into the work dir before the start (relative path → text); put them under a hidden
    /// directory (e.g. ".coderunner/x.py") so they are never offered as artifacts.</summary>
    public IReadOnlyDictionary<string, string>? SupportFiles { get; init; }
    /// <summary>Variables added to the run's allowlisted environment (e.g. MPLBACKEND, PYTHONPATH relative to the work dir).</summary>
    public IReadOnlyDictionary<string, string>? EnvironmentVariables { get; init; }
    /// <summary>Id used for the per-run work dir name (e.g. the execution row id); a fresh guid when null.</summary>
    public string? RunId { get; init; }
}

public enum OutputStream { Stdout, Stderr }

public enum RunStatus { Success, Error, Timeout, MemoryLimit, OutputLimit, Cancelled, DiskLimit }

/// <summary>Something that happened during a run, in order.</summary>
public abstract record RunEvent;
public sealed record RunStarted(int Pid) : RunEvent;
public sealed record RunOutput(OutputStream Stream, string Text) : RunEvent;
public sealed record RunExited(RunResult Result) : RunEvent;

/// <summary>A file the program left in its work dir.</summary>
public sealed record RunArtifact(string Name, long SizeBytes, string FullPath, string ContentType);

public sealed record RunResult
{
    public required RunStatus Status { get; init; }
    public int? ExitCode { get; init; }
    public int? Signal { get; init; }
    public long WallMs { get; init; }
    public long CpuMs { get; init; }
    public double PeakMemoryMb { get; init; }
    public bool OutputTruncated { get; init; }
    /// <summary>Where artifacts were kept (null when the run left no files).</summary>
    public string? ArtifactDirectory { get; init; }
    public IReadOnlyList<RunArtifact> Artifacts { get; init; } = [];
}

/// <summary>A run in progress. Dispose cancels it if it is still running.</summary>
public interface IRunSession : IAsyncDisposable
{
    /// <summary>Started, then output chunks as they arrive, then exactly one Exited; then the channel completes.</summary>
    ChannelReader<RunEvent> Events { get; }
    /// <summary>Write to the running program's stdin (e.g. a line typed by the user).</summary>
    ValueTask WriteStdinAsync(string text, CancellationToken cancellationToken = default);
    void CloseStdin();
    /// <summary>Kills the whole process tree; the result status is Cancelled.</summary>
    void Cancel();
    Task<RunResult> Completion { get; }
    /// <summary>CPU used and memory resident right now, as last polled by the memory watchdog (null before the first poll).</summary>
    RunUsageSnapshot? CurrentUsage => null;
}

/// <summary>A running program's CPU time so far and its resident memory at the last poll.</summary>
public sealed record RunUsageSnapshot(TimeSpan Cpu, long ResidentBytes);

/// <summary>How runs are isolated on this machine, for the admin console and logs.</summary>
/// <param name="InstallNetwork">What package installs reach: proxy (configured indexes only), none, or host (unsafe); see <see cref="SandboxOptions.InstallNetwork"/>.</param>
public sealed record SandboxInfo(string Mode, bool IsIsolated, string? Reason, string? BubblewrapVersion, string PythonVersion, string BasePythonPath, bool CgroupsAvailable,
    string InstallNetwork = InstallNetworkModes.None);

public interface ICodeRunner
{
    SandboxInfo Info { get; }
    /// <summary>Starts a run now; cancellation of the token cancels the run.</summary>
    IRunSession Start(RunRequest request, CancellationToken cancellationToken = default);
    /// <summary>The warm pool's state (sandboxes started ahead of runs), for the admin console.</summary>
    WarmPoolStatus WarmPool => new(false, 0, 0, 0, 0);
}
