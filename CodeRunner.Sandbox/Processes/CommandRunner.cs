using System.Runtime.CompilerServices;
using System.Text;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// Runs a <see cref="ProcessCommand"/> with CliWrap (through <see cref="RunningProcess"/>). Every
/// variant kills the process tree when cancelled and waits for the child, so no zombie remains.
/// </summary>
public static class CommandRunner
{
    /// <summary>Starts the command; the caller owns the returned process and must dispose it.</summary>
    public static RunningProcess Start(ProcessCommand command) => RunningProcess.Start(command);

    /// <summary>Events as they happen: Started, output chunks, Exited. Stopping the enumeration early kills the process.</summary>
    public static async IAsyncEnumerable<CommandEvent> StreamAsync(ProcessCommand command, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var process = RunningProcess.Start(command);
        await using var registration = cancellationToken.Register(process.Kill);
        await foreach (var commandEvent in process.Events.ReadAllAsync(CancellationToken.None))
            yield return commandEvent;
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Runs to the end and returns all output; throws <see cref="OperationCanceledException"/> after killing the tree on cancellation.</summary>
    public static async Task<BufferedCommandResult> ExecuteBufferedAsync(ProcessCommand command, CancellationToken cancellationToken = default)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        CommandExitStatus? status = null;
        await foreach (var commandEvent in StreamAsync(command, cancellationToken))
        {
            switch (commandEvent)
            {
                case CommandOutput { Stream: OutputStream.Stdout } output: stdout.Append(output.Text); break;
                case CommandOutput output: stderr.Append(output.Text); break;
                case CommandExited exited: status = exited.Status; break;
            }
        }
        return new BufferedCommandResult(status!, stdout.ToString(), stderr.ToString());
    }
}
