using System.Text;
using System.Threading.Channels;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// One run in progress: forwards the process's output as <see cref="RunEvent"/>s, enforces the
/// wall timeout, the memory watchdog and the output cap, then classifies the outcome, keeps
/// artifacts and deletes the work dir.
/// </summary>
internal sealed class SandboxRunSession : IRunSession
{
    private const int StderrTailChars = 4096;

    private readonly Channel<RunEvent> events = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly RunningProcess process;
    private readonly RunLimits limits;
    private readonly RunDirectories directories;
    private readonly SandboxOptions options;
    private readonly bool signalAsExitCode;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopped = new();
    private readonly CancellationTokenRegistration callerRegistration;
    private readonly StringBuilder stderrTail = new();
    private readonly IsolationSettings isolation;
    private readonly bool isolated;
    private readonly RunDirectorySweeper sweeper;
    private readonly Dictionary<int, TimeSpan> cpuByPid = [];
    private bool diskFull;
    private long polledPeakResidentBytes;
    private RunUsageSnapshot? currentUsage;
    private int stopReason = -1;

    /// <param name="isolated">bwrap runs the program in its own pid namespace: every process in it but the wrappers is measured.</param>
    public SandboxRunSession(RunningProcess process, RunLimits limits, RunDirectories directories, SandboxOptions options, bool signalAsExitCode,
        IsolationSettings isolation, bool isolated, RunDirectorySweeper sweeper, ILogger logger, CancellationToken cancellationToken)
    {
        this.isolation = isolation;
        this.isolated = isolated;
        this.sweeper = sweeper;
        this.process = process;
        this.limits = limits;
        this.directories = directories;
        this.options = options;
        this.signalAsExitCode = signalAsExitCode;
        this.logger = logger;
        callerRegistration = cancellationToken.Register(Cancel);
        _ = WatchWallClockAsync();
        _ = WatchTreeAsync();
        Completion = PumpAsync();
    }

    public ChannelReader<RunEvent> Events => events.Reader;

    public Task<RunResult> Completion { get; }

    public ValueTask WriteStdinAsync(string text, CancellationToken cancellationToken = default) => process.WriteStdinAsync(text, cancellationToken);

    public void CloseStdin() => process.CloseStdin();

    public void Cancel() => Stop(RunStatus.Cancelled);

    public RunUsageSnapshot? CurrentUsage => Volatile.Read(ref currentUsage);

    public async ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted) Cancel();
        try
        {
            await Completion;
        }
        finally
        {
            await callerRegistration.DisposeAsync();
            await process.DisposeAsync();
            stopped.Dispose();
        }
    }

    private void Stop(RunStatus reason)
    {
        // The first reason wins: a run killed at the timeout stays a timeout even if cancelled afterwards.
        if (Interlocked.CompareExchange(ref stopReason, (int)reason, -1) == -1) process.Kill();
    }

    private async Task WatchWallClockAsync()
    {
        try
        {
            await Task.Delay(limits.WallTimeout, stopped.Token);
            Stop(RunStatus.Timeout);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Polls every process of the run's pid namespace but the wrappers (double-forked orphans
    /// included) and the run's file system, and enforces the memory limit on the same quantity the
    /// run reports as its peak: the resident memory of those processes (<see cref="ProcessTree.ResidentBytes"/>)
    /// plus the tmpfs pages of its work dir, /tmp and /dev/shm (RAM too), or one process's high-water
    /// mark (VmHWM) if that is larger, so a spike between two polls counts too. A full file system
    /// (bytes or files) stops the run as disk_limit. Also records CPU per process for the run's CPU total.
    /// </summary>
    private async Task WatchTreeAsync()
    {
        var limitBytes = limits.MemoryMb * 1024L * 1024L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.MemoryPollMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stopped.Token))
            {
                var samples = SampleProgram();
                var disk = directories.Usage();
                var peak = Math.Max(ProcessTree.ResidentBytes(samples) + (disk?.UsedBytes ?? 0), samples.Select(s => s.PeakResidentBytes).DefaultIfEmpty().Max());
                lock (cpuByPid)
                {
                    foreach (var sample in samples) cpuByPid[sample.Pid] = sample.Cpu;
                    polledPeakResidentBytes = Math.Max(polledPeakResidentBytes, peak);
                    Volatile.Write(ref currentUsage, new RunUsageSnapshot(cpuByPid.Values.Aggregate(TimeSpan.Zero, (sum, cpu) => sum + cpu), ProcessTree.ResidentBytes(samples)));
                }
                if (peak > limitBytes)
                {
                    Stop(RunStatus.MemoryLimit);
                    return;
                }
                if (IsFull(disk))
                {
                    diskFull = true;
                    Stop(RunStatus.DiskLimit);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private IReadOnlyList<ProcessSample> SampleProgram()
    {
        if (!isolated) return ProcessTree.Sample(process.Pid, isolation.GnuTimePath is not null ? 1 : 0);
        return ProcessTree.SampleNamespaceOf(process.Pid, isolation.WrapperPidsInNamespace);
    }

    // A tmpfs never reports exactly zero when small files fill it: a block's worth of room left is full.
    private static bool IsFull((long UsedBytes, long FreeBytes, long FreeFiles)? disk) => disk is { } d && (d.FreeBytes < 64 * 1024 || d.FreeFiles < 4);

    private async Task<RunResult> PumpAsync()
    {
        long outputBytes = 0;
        var truncated = false;
        CommandExitStatus? exit = null;
        await foreach (var commandEvent in process.Events.ReadAllAsync())
        {
            switch (commandEvent)
            {
                case CommandStarted started:
                    events.Writer.TryWrite(new RunStarted(started.Pid));
                    break;
                case CommandOutput output when !truncated:
                    if (output.Stream == OutputStream.Stderr) RememberStderr(output.Text);
                    var size = Encoding.UTF8.GetByteCount(output.Text);
                    if (outputBytes + size <= limits.MaxOutputBytes)
                    {
                        outputBytes += size;
                        events.Writer.TryWrite(new RunOutput(output.Stream, output.Text));
                        break;
                    }
                    truncated = true;
                    var head = PrefixWithinBytes(output.Text, limits.MaxOutputBytes - outputBytes);
                    if (head.Length > 0) events.Writer.TryWrite(new RunOutput(output.Stream, head));
                    events.Writer.TryWrite(new RunOutput(OutputStream.Stderr, $"\n[output limit of {limits.MaxOutputBytes} bytes reached: output truncated, program stopped]\n"));
                    Stop(RunStatus.OutputLimit);
                    break;
                case CommandExited exited:
                    exit = exited.Status;
                    break;
            }
        }
        await stopped.CancelAsync();

        // From here on nothing may keep the run from ending: whatever fails, the result is written,
        // the channel completes (so the caller's gate is released) and the directories go to the sweeper.
        IReadOnlyList<RunArtifact> artifacts = [];
        RunResult result;
        try
        {
            var reason = stopReason == -1 ? (RunStatus?)null : (RunStatus)stopReason;
            exit = WithProgramUsage(exit ?? new CommandExitStatus(null, null, TimeSpan.Zero, ResourceUsage.None, true), UsageReport.TryRead(directories.Work));
            diskFull |= IsFull(directories.Usage());
            var (status, signal) = RunOutcome.Classify(reason, exit, stderrTail.ToString(), limits, signalAsExitCode, diskFull);
            artifacts = KeepArtifacts();
            result = new RunResult
            {
                Status = status,
                ExitCode = signal is null ? exit.ExitCode : null,
                Signal = signal,
                WallMs = (long)exit.WallTime.TotalMilliseconds,
                CpuMs = (long)exit.Usage.TotalCpu.TotalMilliseconds,
                PeakMemoryMb = Math.Round(exit.Usage.PeakRssBytes / (1024.0 * 1024.0), 1),
                OutputTruncated = truncated,
                ArtifactDirectory = artifacts.Count > 0 ? directories.Artifacts : null,
                Artifacts = artifacts,
            };
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Finishing run {RunDirectory} failed; it is reported as an error", directories.Root);
            result = new RunResult { Status = RunStatus.Error, ExitCode = exit?.ExitCode, WallMs = (long)(exit?.WallTime.TotalMilliseconds ?? 0), OutputTruncated = truncated };
        }
        sweeper.ScheduleRemoval(directories, keepRoot: artifacts.Count > 0);
        events.Writer.TryWrite(new RunExited(result));
        events.Writer.TryComplete();
        return result;
    }

    /// <summary>
    /// Replaces wait4's usage (which under bwrap covers only the wrappers, and whose peak RSS is
    /// the host's own: see <see cref="UsageReport"/>) with the program's: GNU time's report when
    /// there is one, raised to what polling saw (a report cannot be trusted to be lower).
    /// </summary>
    private CommandExitStatus WithProgramUsage(CommandExitStatus exit, ResourceUsage? reported)
    {
        lock (cpuByPid)
        {
            var polledCpu = cpuByPid.Values.Aggregate(TimeSpan.Zero, (sum, cpu) => sum + cpu);
            var peak = Math.Max(polledPeakResidentBytes, reported?.PeakRssBytes ?? 0);
            var usage = reported is { } program && program.TotalCpu >= polledCpu
                ? program with { PeakRssBytes = peak }
                : polledCpu >= exit.Usage.TotalCpu
                    ? new ResourceUsage(polledCpu, TimeSpan.Zero, peak)
                    : exit.Usage with { PeakRssBytes = peak };
            return exit with { Usage = usage };
        }
    }

    private IReadOnlyList<RunArtifact> KeepArtifacts()
    {
        try
        {
            return ArtifactCollector.Collect(directories.Work, directories.Artifacts, options.ArtifactMaxFiles, options.ArtifactMaxBytes,
                new HashSet<string>(StringComparer.Ordinal) { SandboxCodeRunner.ProgramFileName }, logger);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not keep the artifacts of run {RunDirectory}", directories.Root);
            return [];
        }
    }

    private void RememberStderr(string text)
    {
        stderrTail.Append(text);
        if (stderrTail.Length > StderrTailChars) stderrTail.Remove(0, stderrTail.Length - StderrTailChars);
    }

    private static string PrefixWithinBytes(string text, long maxBytes)
    {
        var length = 0;
        long bytes = 0;
        while (length < text.Length)
        {
            var step = char.IsHighSurrogate(text[length]) && length + 1 < text.Length ? 2 : 1;
            var stepBytes = Encoding.UTF8.GetByteCount(text.AsSpan(length, step));
            if (bytes + stepBytes > maxBytes) break;
            bytes += stepBytes;
            length += step;
        }
        return text[..length];
    }
}
