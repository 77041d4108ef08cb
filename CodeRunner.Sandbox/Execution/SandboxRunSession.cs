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
    private readonly int wrapperDepth;
    private readonly Dictionary<int, TimeSpan> cpuByPid = [];
    private long polledPeakResidentBytes;
    private RunUsageSnapshot? currentUsage;
    private int stopReason = -1;

    /// <param name="wrapperDepth">How many wrapper processes (bwrap, its init, GNU time) sit above the program; they are never measured.</param>
    public SandboxRunSession(RunningProcess process, RunLimits limits, RunDirectories directories, SandboxOptions options, bool signalAsExitCode, int wrapperDepth, ILogger logger, CancellationToken cancellationToken)
    {
        this.wrapperDepth = wrapperDepth;
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
    /// Polls the program's processes (below the wrappers) and enforces the memory limit on the
    /// same quantity the run reports as its peak: the resident memory of the program's processes
    /// (<see cref="ProcessTree.ResidentBytes"/>; one process's VmRSS), or one process's high-water
    /// mark (VmHWM) if that is larger, so a spike between two polls counts too. Also records CPU per process for runs without a usage report.
    /// </summary>
    private async Task WatchTreeAsync()
    {
        var limitBytes = limits.MemoryMb * 1024L * 1024L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.MemoryPollMilliseconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stopped.Token))
            {
                var samples = ProcessTree.Sample(process.Pid, wrapperDepth);
                var peak = Math.Max(ProcessTree.ResidentBytes(samples), samples.Select(s => s.PeakResidentBytes).DefaultIfEmpty().Max());
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
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

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

        var reason = stopReason == -1 ? (RunStatus?)null : (RunStatus)stopReason;
        exit = WithProgramUsage(exit!, UsageReport.TryRead(directories.Work));
        var (status, signal) = RunOutcome.Classify(reason, exit, stderrTail.ToString(), limits, signalAsExitCode);
        var artifacts = KeepArtifacts();
        var result = new RunResult
        {
            Status = status,
            ExitCode = signal is null ? exit!.ExitCode : null,
            Signal = signal,
            WallMs = (long)exit!.WallTime.TotalMilliseconds,
            CpuMs = (long)exit.Usage.TotalCpu.TotalMilliseconds,
            PeakMemoryMb = Math.Round(exit.Usage.PeakRssBytes / (1024.0 * 1024.0), 1),
            OutputTruncated = truncated,
            ArtifactDirectory = artifacts.Count > 0 ? directories.Artifacts : null,
            Artifacts = artifacts,
        };
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
        IReadOnlyList<RunArtifact> artifacts = [];
        try
        {
            artifacts = ArtifactCollector.Collect(directories.Work, directories.Artifacts, options.ArtifactMaxFiles, options.ArtifactMaxBytes,
                new HashSet<string>(StringComparer.Ordinal) { SandboxCodeRunner.ProgramFileName });
        }
        catch (IOException exception)
        {
            logger.LogWarning(exception, "Could not keep the artifacts of run {RunDirectory}", directories.Root);
        }
        finally
        {
            directories.DeleteWork(keepRoot: artifacts.Count > 0, logger);
        }
        return artifacts;
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
