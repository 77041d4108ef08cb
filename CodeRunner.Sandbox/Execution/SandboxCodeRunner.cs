using System.Text;
using System.Text.RegularExpressions;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// Runs Python source as main.py in a fresh work dir, isolated with bubblewrap and rlimits
/// (or rlimits only where bubblewrap is unavailable, which it reports loudly).
/// </summary>
public sealed partial class SandboxCodeRunner : ICodeRunner, IAsyncDisposable, IDisposable
{
    public const string ProgramFileName = "main.py";

    private readonly SandboxOptions options;
    private readonly ILogger<SandboxCodeRunner> logger;
    private readonly IsolationCapabilities capabilities;
    private readonly string runsDirectory;

    /// <summary>
    /// Probes the machine (isolation, base interpreter), sweeps a previous process's leftovers and runs a real test
    /// program, then returns the runner; start-up only (a few short process starts), awaited by the app's hosted service.
    /// </summary>
    public static async Task<SandboxCodeRunner> StartAsync(SandboxOptions options, ILogger<SandboxCodeRunner>? logger = null, CancellationToken ct = default)
    {
        logger ??= NullLogger<SandboxCodeRunner>.Instance;
        var runsDirectory = Path.GetFullPath(options.RunsDirectory);
        Directory.CreateDirectory(runsDirectory);
        var sweeper = new RunDirectorySweeper(runsDirectory, logger);
        SandboxPathView? pathView = null;
        SandboxCodeRunner? runner = null;
        try
        {
            var capabilities = await IsolationProbe.DetectAsync(options, ct);
            if (capabilities.IsIsolated && capabilities.Settings.DropToUnprivilegedUser && !OperatingSystem.IsWindows())
            {
                // The sandbox user passes through our own dirs (never lists them); a parent it cannot pass is bridged by a view.
                var environmentsDirectory = Path.GetFullPath(options.EnvironmentsDirectory);
                Directory.CreateDirectory(environmentsDirectory);
                if (!OperatingSystem.IsWindows()) foreach (var directory in new[] { runsDirectory, environmentsDirectory }) File.SetUnixFileMode(directory, SearchOnlyForOthers);
                pathView = SandboxPathView.CreateIfNeeded([runsDirectory, environmentsDirectory], options.SandboxUid, options.SandboxGid);
                if (pathView is not null)
                {
                    capabilities = capabilities with { Settings = capabilities.Settings with { PathView = pathView } };
                    logger.LogInformation("The sandbox user cannot pass through a parent of {Runs}: bwrap reaches it through {View}", runsDirectory, pathView.Root);
                }
            }
            // Copied at every start, so a changed host /etc reaches runs after a restart (see SandboxEtc).
            if (capabilities.IsIsolated && !OperatingSystem.IsWindows() && SandboxEtc.Create(runsDirectory, logger) is { } etc)
                capabilities = capabilities with { Settings = capabilities.Settings with { EtcCopy = etc } };
            var usesRunFileSystem = capabilities.IsIsolated && capabilities.Settings.DropToUnprivilegedUser && !OperatingSystem.IsWindows() && CanMountRunFileSystems(runsDirectory);
            if (capabilities.IsIsolated && !usesRunFileSystem)
                logger.LogWarning("Runs get no per-run file system (needs root with CAP_SYS_ADMIN): /tmp and /dev/shm are capped at the disk quota each, the work dir only by the file-size limit");
            // Leftovers of a crash or restart: unmount and remove before the first run (artifacts stay).
            await sweeper.SweepLeftoversAsync(ct);
            var baseInterpreter = await InterpreterResolver.ResolveAsync(InterpreterResolver.DefaultCandidate(options.BasePython), ct);
            runner = new SandboxCodeRunner(options, logger, runsDirectory, capabilities, pathView, usesRunFileSystem, sweeper, baseInterpreter);
            // A real program, started the way users' programs are, in the real runs dir: the only proof that runs work.
            var probeFailure = capabilities.IsIsolated ? await runner.ProbeRunAsync() : null;
            runner.CompleteStart(probeFailure);
            return runner;
        }
        catch
        {
            if (runner is not null) await runner.DisposeAsync();
            else
            {
                await sweeper.DisposeAsync();
                pathView?.Dispose();
            }
            throw;
        }
    }

    private SandboxCodeRunner(SandboxOptions options, ILogger<SandboxCodeRunner> logger, string runsDirectory, IsolationCapabilities capabilities,
        SandboxPathView? pathView, bool usesRunFileSystem, RunDirectorySweeper sweeper, ResolvedInterpreter baseInterpreter)
    {
        this.options = options;
        this.logger = logger;
        this.runsDirectory = runsDirectory;
        this.capabilities = capabilities;
        this.pathView = pathView;
        UsesRunFileSystem = usesRunFileSystem;
        Sweeper = sweeper;
        BaseInterpreter = baseInterpreter;
        Info = new SandboxInfo(capabilities.Mode, false, capabilities.Reason, capabilities.BubblewrapVersion,
            baseInterpreter.Version, baseInterpreter.Path, capabilities.CgroupsAvailable, Tools.NetworkMode);
    }

    /// <summary>With the probe's verdict: the final <see cref="Info"/>, the start-up log and the warm pool.</summary>
    private void CompleteStart(string? probeFailure)
    {
        Info = new SandboxInfo(capabilities.Mode, capabilities.IsIsolated && probeFailure is null, probeFailure ?? capabilities.Reason, capabilities.BubblewrapVersion,
            BaseInterpreter.Version, BaseInterpreter.Path, capabilities.CgroupsAvailable, Tools.NetworkMode);
        if (probeFailure is not null) logger.LogError("SANDBOX BROKEN: a test program cannot run. {Reason}", probeFailure);

        if (!capabilities.IsIsolated)
            logger.LogWarning("SANDBOX NOT ISOLATED: untrusted code runs with resource limits only, on the host's file system and network. Reason: {Reason}", capabilities.Reason);
        else
            logger.LogInformation("Sandbox: {Mode} ({Version}), base python {Python} {PythonVersion}", Info.Mode, Info.BubblewrapVersion, Info.BasePythonPath, Info.PythonVersion);
        if (capabilities.Settings.SeccompProgram is null || !capabilities.Settings.DisableNestedUserNamespaces)
            logger.LogWarning("Sandbox without seccomp filter or with nested user namespaces allowed: {Reason}", capabilities.Reason);
        if (capabilities.Settings.GnuTimePath is null)
            logger.LogWarning("GNU time (Debian package 'time') not found: CPU time and peak memory of runs come from polling /proc and can miss a run's last moments");
        // Only real sandboxes are pooled: a pool member outside bwrap would share the host with everything else.
        if (Info.IsIsolated && options.WarmPool.Size + options.WarmPool.EnvironmentSize > 0)
        {
            pool = new WarmPool(options.WarmPool, BaseInterpreter.Path, StartPoolMember, DiscardAsync, logger);
            pool.Warm(KeyOf(new RunRequest { Code = "", InterpreterPath = BaseInterpreter.Path }));
        }
    }

    /// <summary>Set once by <see cref="StartAsync"/>, before the runner is handed out.</summary>
    public SandboxInfo Info { get; private set; }

    private const UnixFileMode SearchOnlyForOthers = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private readonly SandboxPathView? pathView;

    private int disposed;
    private WarmPool? pool;

    public WarmPoolStatus WarmPool => pool?.Status() ?? new WarmPoolStatus(false, 0, 0, 0, 0);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (pool is not null) await pool.DisposeAsync();
        await Sweeper.DisposeAsync();
        pathView?.Dispose();
    }

    /// <summary>For callers that can only dispose synchronously; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Runs print() in the sandbox; null when it worked, else what is wrong and how to fix it, in plain words.</summary>
    private async Task<string?> ProbeRunAsync()
    {
        try
        {
            await using var session = Start(new RunRequest
            {
                Code = "print('sandbox-ok')",
                InterpreterPath = BaseInterpreter.Path,
                Limits = new RunLimits { WallTimeout = TimeSpan.FromSeconds(20), CpuTime = TimeSpan.FromSeconds(10), MemoryMb = 256 },
                RunId = "startup-probe-" + Guid.NewGuid().ToString("N")[..8],
            });
            var output = new StringBuilder();
            await foreach (var runEvent in session.Events.ReadAllAsync()) if (runEvent is RunOutput text) output.Append(text.Text);
            var result = await session.Completion;
            return result.Status == RunStatus.Success && output.ToString().Contains("sandbox-ok", StringComparison.Ordinal)
                ? null : SandboxProbeExplanation.Explain(output.ToString(), runsDirectory, options.SandboxUid);
        }
        catch (Exception exception)
        {
            return SandboxProbeExplanation.Explain(exception.Message, runsDirectory, options.SandboxUid);
        }
    }

    /// <summary>The base interpreter (real file) runs use when the request names no environment.</summary>
    public ResolvedInterpreter BaseInterpreter { get; }

    public IsolationSettings Isolation => capabilities.Settings;

    /// <summary>Removes what runs leave behind, now or later (see <see cref="RunDirectorySweeper"/>).</summary>
    public RunDirectorySweeper Sweeper { get; }

    /// <summary>True when each run gets its own size-limited tmpfs (needs root to mount); else bwrap caps /tmp and /dev/shm only.</summary>
    public bool UsesRunFileSystem { get; }

    /// <summary>Mounts and unmounts one small tmpfs in the runs dir: root without CAP_SYS_ADMIN (a plain container) cannot.</summary>
    private static bool CanMountRunFileSystems(string runsDirectory)
    {
        var probe = Path.Combine(runsDirectory, ".mount-probe-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(probe);
            if (NativeMethods.mount("tmpfs", probe, "tmpfs", NativeMethods.MS_NOSUID | NativeMethods.MS_NODEV, "size=1m") != 0) return false;
            NativeMethods.umount2(probe, NativeMethods.MNT_DETACH);
            return true;
        }
        finally
        {
            try { Directory.Delete(probe); } catch (IOException) { }
        }
    }

    /// <summary>The sandbox of package tools (pip, conda): same isolation as runs, see <see cref="SandboxedTool"/>.</summary>
    public SandboxedTool Tools => new(capabilities, options, BaseInterpreter.Path, logger);

    public IRunSession Start(RunRequest request, CancellationToken cancellationToken = default)
    {
        var runId = request.RunId ?? Guid.NewGuid().ToString("N");
        if (!RunIdPattern().IsMatch(runId)) throw new ArgumentException($"invalid run id '{runId}'", nameof(request));
        if (!Path.IsPathFullyQualified(request.InterpreterPath)) throw new ArgumentException("the interpreter path must be absolute", nameof(request));
        if (pool is not null && FitsPoolCeiling(request.Limits) && pool.TryClaim(KeyOf(request)) is { } member && StartWarm(member, request, cancellationToken) is { } warm)
            return warm;

        var directories = RunDirectories.For(runsDirectory, runId, UsesRunFileSystem);
        if (Directory.Exists(directories.Root)) throw new InvalidOperationException($"run '{runId}' already has a directory");
        RunningProcess process;
        try
        {
            directories.Create(request.Limits, SandboxOwner);
            WriteProgramFiles(directories.Work, request);
            process = RunningProcess.Start(BuildCommand(request, directories.Work, directories.Scratch));
        }
        catch
        {
            Sweeper.ScheduleRemoval(directories, keepRoot: false);
            throw;
        }
        return NewSession(process, request, directories, cancellationToken);
    }

    // bwrap, GNU time and System.Diagnostics.Process all report a child killed by signal N as exit code 128+N.
    private SandboxRunSession NewSession(RunningProcess process, RunRequest request, RunDirectories directories, CancellationToken cancellationToken) =>
        new(process, request.Limits, directories, options, signalAsExitCode: true, capabilities.Settings, capabilities.IsIsolated, Sweeper, logger, cancellationToken);

    /// <summary>The owner of a run's files and dirs: the sandbox user when runs drop to it, else us.</summary>
    private (int Uid, int Gid)? SandboxOwner =>
        capabilities.Settings.DropToUnprivilegedUser && !OperatingSystem.IsWindows() ? (options.SandboxUid, options.SandboxGid) : null;

    /// <summary>main.py and the support files, handed to the sandbox user (ours are written under the app's umask 027).</summary>
    private void WriteProgramFiles(string workDirectory, RunRequest request)
    {
        var written = new List<string> { Path.Combine(workDirectory, ProgramFileName) };
        File.WriteAllText(written[0], request.Code, new UTF8Encoding(false));
        written.AddRange(WriteSupportFiles(workDirectory, request.SupportFiles));
        if (SandboxOwner is { } owner) foreach (var path in written) NativeMethods.chown(path, owner.Uid, owner.Gid);
    }

    /// <summary>
    /// The rlimits pool members start with. A member cannot know its run's tier, so it starts with this
    /// generous ceiling and the bootstrap lowers every rlimit to the run's own values at claim, before the
    /// program's first line (lowering is always allowed, raising a hard limit never is); a run asking for
    /// more than the ceiling in any limit starts cold. This keeps one pool for every tier instead of one
    /// per tier, and the host's own limits (memory watchdog, wall clock, output cap, disk quota) start at claim.
    /// </summary>
    private static readonly RunLimits PoolCeiling = new()
    {
        CpuTime = TimeSpan.FromHours(1),
        MemoryMb = 16 * 1024,
        MaxProcesses = 1024,
        MaxFileSizeBytes = 1L << 30,
        MaxOpenFiles = 4096,
    };

    private static bool FitsPoolCeiling(RunLimits limits) =>
        limits.CpuTime <= PoolCeiling.CpuTime && limits.MemoryMb <= PoolCeiling.MemoryMb && limits.MaxProcesses <= PoolCeiling.MaxProcesses &&
        limits.MaxFileSizeBytes <= PoolCeiling.MaxFileSizeBytes && limits.MaxOpenFiles <= PoolCeiling.MaxOpenFiles;

    /// <summary>With a per-run tmpfs the quota is set at claim, so one member fits every quota; bwrap's own tmpfs is sized at start.</summary>
    private PoolKey KeyOf(RunRequest request) => new(request.InterpreterPath,
        Path.GetFullPath(request.EnvironmentPrefix ?? Execution.WarmPool.BasePrefix(request.InterpreterPath)), UsesRunFileSystem ? 0 : request.Limits.DiskQuotaBytes);

    private PoolMember StartPoolMember(PoolKey key)
    {
        var directories = RunDirectories.For(runsDirectory, "pool-" + Guid.NewGuid().ToString("N")[..20], UsesRunFileSystem);
        var limits = key.DiskQuotaBytes > 0 ? PoolCeiling with { DiskQuotaBytes = key.DiskQuotaBytes } : PoolCeiling;
        try
        {
            directories.Create(limits, SandboxOwner);
            var request = new RunRequest { Code = "", InterpreterPath = key.InterpreterPath, EnvironmentPrefix = key.EnvironmentPrefix, Limits = limits };
            return new PoolMember(key, RunningProcess.Start(BuildCommand(request, directories.Work, directories.Scratch, PoolBootstrap.Arguments)), directories);
        }
        catch
        {
            Sweeper.ScheduleRemoval(directories, keepRoot: false);
            throw;
        }
    }

    private async Task DiscardAsync(PoolMember member)
    {
        await member.Process.DisposeAsync();
        Sweeper.ScheduleRemoval(member.Directories, keepRoot: false);
    }

    /// <summary>Hands the run to a started member: quota, files, then the header (limits, environment) and stdin. Null = start cold.</summary>
    private SandboxRunSession? StartWarm(PoolMember member, RunRequest request, CancellationToken cancellationToken)
    {
        try
        {
            if (member.Directories.IsMounted) member.Directories.Resize(request.Limits);
            WriteProgramFiles(member.Directories.Work, request);
            var interpreterDirectory = Path.GetDirectoryName(request.InterpreterPath)!;
            var header = PoolBootstrap.Header(request.Limits, capabilities.Settings.AddressSpaceAllowanceMb,
                EnvironmentOf(request, BubblewrapIsolation.SandboxWorkDirectory, interpreterDirectory));
            // The run's wall clock starts now, not when its sandbox was started.
            member.Process.RestartWallClock();
            _ = member.Process.WriteStdinAsync(header + (request.Stdin ?? ""));
            return NewSession(member.Process, request, member.Directories, cancellationToken);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "A warm sandbox could not take the run; it starts cold");
            _ = DiscardAsync(member);
            return null;
        }
    }

    /// <summary>The full command of a run (exposed for tests and diagnostics); a pool member runs <paramref name="programArguments"/> instead of main.py.</summary>
    public ProcessCommand BuildCommand(RunRequest request, string hostWorkDirectory, ScratchDirectories? scratch = null, IReadOnlyList<string>? programArguments = null)
    {
        var interpreterDirectory = Path.GetDirectoryName(request.InterpreterPath)!;
        var prefix = request.EnvironmentPrefix ?? Path.GetDirectoryName(interpreterDirectory)!;
        var isolated = capabilities.IsIsolated;
        var home = isolated ? BubblewrapIsolation.SandboxWorkDirectory : hostWorkDirectory;
        var launch = new SandboxLaunch(hostWorkDirectory, request.InterpreterPath, [Path.GetFullPath(prefix)], request.Limits, programArguments ?? ["-u", ProgramFileName]) { Scratch = scratch };
        var commandLine = BubblewrapIsolation.BuildCommandLine(launch, capabilities.Settings);
        return commandLine.ToProcessCommand(hostWorkDirectory)
            .WithEnvironment(EnvironmentOf(request, home, interpreterDirectory))
            .WithStdin(request.Stdin);
    }

    private static Dictionary<string, string> EnvironmentOf(RunRequest request, string home, string interpreterDirectory)
    {
        var environment = new Dictionary<string, string>(SandboxEnvironmentVariables.For(home, interpreterDirectory), StringComparer.Ordinal);
        foreach (var (name, value) in request.EnvironmentVariables ?? new Dictionary<string, string>()) environment[name] = value;
        return environment;
    }

    /// <summary>Writes the helper files; returns every file and directory it created.</summary>
    private static List<string> WriteSupportFiles(string workDirectory, IReadOnlyDictionary<string, string>? files)
    {
        var created = new List<string>();
        foreach (var (relative, text) in files ?? new Dictionary<string, string>())
        {
            var target = Path.GetFullPath(Path.Combine(workDirectory, relative));
            if (!target.StartsWith(workDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ArgumentException($"support file '{relative}' is outside the work dir");
            for (var directory = Path.GetDirectoryName(target)!; directory.Length > workDirectory.Length && !Directory.Exists(directory); directory = Path.GetDirectoryName(directory)!)
                created.Add(directory);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, text, new UTF8Encoding(false));
            created.Add(target);
        }
        return created;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex RunIdPattern();
}
