using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Execution;

/// <summary>Decides the status of a finished run. Pure, so every branch is unit-tested.</summary>
public static class RunOutcome
{
    public const int SIGKILL = 9;
    public const int SIGXCPU = 24;

    private static readonly string[] OutOfMemoryMarkers = ["MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory", "memory allocation failed"];

    /// <param name="stoppedBecause">Why the runner killed the run itself (timeout, memory watchdog, output cap, cancel), if it did.</param>
    /// <param name="exit">How the outermost process ended, with the program's own CPU time and peak resident memory.</param>
    /// <param name="stderrTail">The last few KB of stderr.</param>
    /// <param name="signalAsExitCode">bwrap reports a child killed by signal N as exit code 128+N.</param>
    /// <param name="diskFull">The run's file system (work dir, /tmp, /dev/shm) ran out of bytes or files.</param>
    public static (RunStatus Status, int? Signal) Classify(RunStatus? stoppedBecause, CommandExitStatus exit, string stderrTail, RunLimits limits, bool signalAsExitCode, bool diskFull = false)
    {
        var signal = exit.Signal ?? (signalAsExitCode && exit.ExitCode is > 128 and < 128 + 65 ? exit.ExitCode - 128 : null);
        if (stoppedBecause is { } reason) return (reason, signal);
        if (signal == SIGXCPU || (signal == SIGKILL && exit.Usage.TotalCpu >= limits.CpuTime)) return (RunStatus.Timeout, signal);
        // The limit applies to the same number the run reports as its peak, even when a short spike ended before a poll saw it.
        if (exit.Usage.PeakRssBytes > limits.MemoryMb * 1024L * 1024L) return (RunStatus.MemoryLimit, signal);
        if (exit.ExitCode == 0 && signal is null) return (RunStatus.Success, null);
        // A program that fails after filling its quota failed because of it (ENOSPC/EDQUOT surface as OSError or a crash).
        if (diskFull) return (RunStatus.DiskLimit, signal);
        if (OutOfMemoryMarkers.Any(marker => stderrTail.Contains(marker, StringComparison.OrdinalIgnoreCase))) return (RunStatus.MemoryLimit, signal);
        // A SIGKILL nobody here sent, with the tree near its memory limit: the kernel's OOM killer.
        if (signal == SIGKILL && exit.Usage.PeakRssBytes >= limits.MemoryMb * 1024L * 1024L * 9 / 10) return (RunStatus.MemoryLimit, signal);
        return (RunStatus.Error, signal);
    }
}
