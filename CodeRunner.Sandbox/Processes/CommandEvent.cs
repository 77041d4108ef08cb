using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Sandbox.Processes;

/// <summary>What a running command did, in order: one Started, output chunks, one Exited.</summary>
public abstract record CommandEvent;
public sealed record CommandStarted(int Pid) : CommandEvent;
public sealed record CommandOutput(OutputStream Stream, string Text) : CommandEvent;
public sealed record CommandExited(CommandExitStatus Status) : CommandEvent;

/// <summary>How a process ended and what it (with every descendant it reaped) consumed.</summary>
public sealed record CommandExitStatus(int? ExitCode, int? Signal, TimeSpan WallTime, ResourceUsage Usage, bool Killed)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// User + system CPU of a process tree and the largest resident set in it. From wait4's rusage this
/// is only the tree the child reaped, and its peak RSS is at least the host's own (posix_spawn execs
/// from the host's address space): the sandbox replaces both with the program's (Isolation.UsageReport).
/// </summary>
public sealed record ResourceUsage(TimeSpan UserCpu, TimeSpan SystemCpu, long PeakRssBytes)
{
    public TimeSpan TotalCpu => UserCpu + SystemCpu;
    public static ResourceUsage None { get; } = new(TimeSpan.Zero, TimeSpan.Zero, 0);
}

/// <summary>The buffered result of <see cref="CommandRunner.ExecuteBufferedAsync"/>.</summary>
public sealed record BufferedCommandResult(CommandExitStatus Status, string StandardOutput, string StandardError);

/// <summary>The program could not be started (not found, not executable, bad working directory).</summary>
public sealed class CommandStartException(string message) : Exception(message);
