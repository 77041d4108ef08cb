using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using CliWrap;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// A child process started with CliWrap: stdout/stderr delivered as events while it runs (raw
/// chunks, so a prompt without a newline shows at once), a stdin that stays writable while it
/// runs, and cancellation that kills it with its descendants (CliWrap's Process.Kill(entireProcessTree)).
/// A sandboxed run needs nothing more: killing bwrap's outer process makes its --die-with-parent
/// init die, and the kernel then kills every process of the run's pid namespace, orphans included.
/// CPU time and peak memory come from GNU time and /proc (see SandboxRunSession), not from the exit.
/// Dispose kills it if it is still running.
/// </summary>
public sealed class RunningProcess : IAsyncDisposable
{
    /// <summary>
    /// How long output may keep arriving after the process exited (a leftover writer outside a sandbox cannot hold a
    /// run open; inside one the pid namespace dies with the run, so the pipes close at once). Seconds, not
    /// milliseconds: on a loaded machine the reading loop itself can be that late, and what is in the pipe must not be lost.
    /// </summary>
    private static readonly TimeSpan DrainAfterExit = TimeSpan.FromSeconds(5);

    private readonly Channel<CommandEvent> events = Channel.CreateUnbounded<CommandEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<byte[]> stdin = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource kill = new();
    private readonly CancellationTokenSource drain = new();
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch wallClock = Stopwatch.StartNew();
    private TimeSpan wallTime;
    private int? exitCode;
    private volatile bool killed;

    private RunningProcess(ProcessCommand command)
    {
        if (command.Stdin is { } text) stdin.Writer.TryWrite(Encoding.UTF8.GetBytes(text));
        if (command.CloseStdinAfterInput) stdin.Writer.TryComplete();
        try
        {
            // CliWrap starts the process synchronously inside ExecuteAsync: on the spawn thread (see SpawnThread), which
            // also opens the inherited files just before and closes them right after, so no other start of ours gets them.
            var task = SpawnThread.Run(() =>
            {
                var descriptors = new List<int>();
                try
                {
                    foreach (var file in command.InheritedFiles) descriptors.Add(file.OpenForChild());
                    return command.ToCliCommand(descriptors)
                        .WithStandardInputPipe(PipeSource.Create(CopyStdinAsync))
                        .WithStandardOutputPipe(PipeTarget.Create((stream, _) => PumpAsync(stream, OutputStream.Stdout)))
                        .WithStandardErrorPipe(PipeTarget.Create((stream, _) => PumpAsync(stream, OutputStream.Stderr)))
                        .ExecuteAsync(command.ConfigureStartInfo, OnStarted, kill.Token);
                }
                finally
                {
                    foreach (var descriptor in descriptors) NativeMethods.close(descriptor);
                }
            });
            Pid = task.ProcessId;
            Completion = FinishAsync(task);
        }
        catch (Win32Exception exception)
        {
            throw new CommandStartException($"cannot start {command.Program}: {exception.InnerException?.Message ?? exception.Message}");
        }
        events.Writer.TryWrite(new CommandStarted(Pid));
        started.TrySetResult();
    }

    public int Pid { get; }

    /// <summary>Started, output chunks as they arrive, exactly one Exited; then the channel completes.</summary>
    public ChannelReader<CommandEvent> Events => events.Reader;

    public Task<CommandExitStatus> Completion { get; }

    /// <summary>Starts <paramref name="command"/>; throws <see cref="CommandStartException"/> when it cannot run.</summary>
    public static RunningProcess Start(ProcessCommand command)
    {
        if (command.WorkingDirectory is { } directory && !Directory.Exists(directory))
            throw new CommandStartException($"working directory does not exist: {directory}");
        return new RunningProcess(command);
    }

    /// <summary>Writes text to the program's stdin; silently dropped once stdin is closed or the program ended.</summary>
    public ValueTask WriteStdinAsync(string text, CancellationToken cancellationToken = default)
    {
        stdin.Writer.TryWrite(Encoding.UTF8.GetBytes(text));
        return ValueTask.CompletedTask;
    }

    /// <summary>Restarts the wall clock: a warm pool member's run starts when it is claimed, not when its sandbox started.</summary>
    public void RestartWallClock() => wallClock.Restart();

    /// <summary>Closes stdin after what was written so far (programs reading to EOF finish).</summary>
    public void CloseStdin() => stdin.Writer.TryComplete();

    /// <summary>Kills the process and its descendants. Safe to call at any time, any number of times.</summary>
    public void Kill()
    {
        killed = true;
        try
        {
            if (!kill.IsCancellationRequested) kill.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted) Kill();
        await Completion;
        kill.Dispose();
        drain.Dispose();
    }

    private void OnStarted(Process process) => _ = WatchExitAsync(process);

    /// <summary>The exit of the process itself (CliWrap's task also waits for its pipes), then a bounded drain.</summary>
    private async Task WatchExitAsync(Process process)
    {
        try
        {
            await process.WaitForExitAsync();
            exitCode = process.ExitCode;
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException)
        {
            // CliWrap already finished and disposed it: FinishAsync has the exit code.
        }
        MarkExited();
    }

    private void MarkExited()
    {
        lock (exited)
        {
            if (exited.Task.IsCompleted) return;
            wallTime = wallClock.Elapsed;
            exited.TrySetResult();
        }
        try
        {
            drain.CancelAfter(DrainAfterExit);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task CopyStdinAsync(Stream destination, CancellationToken cancellationToken)
    {
        await foreach (var bytes in stdin.Reader.ReadAllAsync(cancellationToken))
        {
            await destination.WriteAsync(bytes, cancellationToken);
            await destination.FlushAsync(cancellationToken);
        }
    }

    private async Task PumpAsync(Stream stream, OutputStream kind)
    {
        await started.Task;
        var decoder = new UTF8Encoding(false).GetDecoder();
        var buffer = new byte[16 * 1024];
        var chars = new char[buffer.Length + 4];
        var drained = Task.Delay(Timeout.Infinite, drain.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        try
        {
            while (true)
            {
                // Never a cancelled read: on a busy machine this loop may run late, and what the program wrote is
                // still in the pipe. Only a read that is still waiting when the drain time is up is given up.
                var read = stream.ReadAsync(buffer).AsTask();
                if (!read.IsCompleted && await Task.WhenAny(read, drained) != read && await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1))) != read)
                {
                    // A process left behind (outside a sandbox) still holds the pipe: the run has ended. The read fails once CliWrap closes the pipe.
                    _ = read.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
                    break;
                }
                var count = await read;
                if (count == 0) break;
                var charCount = decoder.GetChars(buffer, 0, count, chars, 0, flush: false);
                if (charCount > 0) events.Writer.TryWrite(new CommandOutput(kind, new string(chars, 0, charCount)));
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        var tail = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        if (tail > 0) events.Writer.TryWrite(new CommandOutput(kind, new string(chars, 0, tail)));
    }

    private async Task<CommandExitStatus> FinishAsync(CommandTask<CommandResult> task)
    {
        try
        {
            exitCode = (await task).ExitCode;
        }
        catch (OperationCanceledException)
        {
            // Killed on request: CliWrap throws once the process is gone; WatchExitAsync saw how it ended.
        }
        catch (TimeoutException)
        {
            // CliWrap could not see the process die within 3 s of the kill; the run still ends, with no exit code.
        }
        MarkExited();
        // System.Diagnostics.Process reports death by signal N as exit code 128+N, as bwrap and GNU time do.
        var status = new CommandExitStatus(exitCode, null, wallTime, ResourceUsage.None, killed);
        events.Writer.TryWrite(new CommandExited(status));
        events.Writer.TryComplete();
        stdin.Writer.TryComplete();
        return status;
    }
}
