using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Environments;

/// <summary>Runs environment tools (venv, pip, conda) and turns their output into log lines.</summary>
internal static class EnvironmentToolRunner
{
    /// <summary>Runs <paramref name="operation"/> in the background and yields the lines it logs; its exception surfaces at the end.</summary>
    public static async IAsyncEnumerable<EnvironmentLogLine> StreamAsync(
        Func<ChannelWriter<EnvironmentLogLine>, CancellationToken, Task> operation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<EnvironmentLogLine>(new UnboundedChannelOptions { SingleReader = true });
        var work = Task.Run(async () =>
        {
            try
            {
                await operation(channel.Writer, cancellationToken);
                channel.Writer.TryComplete();
            }
            catch (Exception exception)
            {
                channel.Writer.TryComplete(exception);
            }
        }, CancellationToken.None);
        await foreach (var line in channel.Reader.ReadAllAsync(CancellationToken.None)) yield return line;
        await work;
    }

    /// <summary>Runs one tool, logging each output line; throws on a non-zero exit or after killing it on cancellation.</summary>
    public static async Task<string> RunAsync(ProcessCommand command, ChannelWriter<EnvironmentLogLine> log, CancellationToken cancellationToken, bool captureStdout = false)
    {
        log.TryWrite(new EnvironmentLogLine("$ " + command));
        var stdout = new StringBuilder();
        var pending = new Dictionary<OutputStream, StringBuilder> { [OutputStream.Stdout] = new(), [OutputStream.Stderr] = new() };
        CommandExitStatus? status = null;
        await foreach (var commandEvent in CommandRunner.StreamAsync(command, cancellationToken))
        {
            switch (commandEvent)
            {
                case CommandOutput output:
                    if (captureStdout && output.Stream == OutputStream.Stdout) { stdout.Append(output.Text); break; }
                    EmitLines(pending[output.Stream], output.Text, output.Stream, log, flush: false);
                    break;
                case CommandExited exited:
                    status = exited.Status;
                    break;
            }
        }
        foreach (var (stream, buffer) in pending) EmitLines(buffer, "", stream, log, flush: true);
        if (status is null || !status.Succeeded)
            throw new EnvironmentOperationException($"{Path.GetFileName(command.Program)} failed with exit code {status?.ExitCode?.ToString() ?? "none"}", status?.ExitCode);
        return stdout.ToString();
    }

    /// <summary>The install's network (null = none); refused destinations go to <paramref name="log"/>.</summary>
    public static InstallNetworkProxy? OpenNetwork(SandboxedTool tools, PackageIndexAllowlist allowlist, ChannelWriter<EnvironmentLogLine> log) =>
        tools.OpenNetwork(allowlist, refusal => log.TryWrite(EnvironmentLogLine.NetworkRefused(refusal)));

    private static void EmitLines(StringBuilder buffer, string text, OutputStream stream, ChannelWriter<EnvironmentLogLine> log, bool flush)
    {
        buffer.Append(text);
        var content = buffer.ToString();
        var lines = content.Split('\n');
        var complete = flush ? lines.Length : lines.Length - 1;
        for (var i = 0; i < complete; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length > 0) log.TryWrite(new EnvironmentLogLine(line, stream == OutputStream.Stderr && IsError(line) ? LogLevelKind.Error : LogLevelKind.Info));
        }
        buffer.Clear();
        if (!flush) buffer.Append(lines[^1]);
    }

    private static bool IsError(string line) =>
        line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("failed", StringComparison.OrdinalIgnoreCase);
}
