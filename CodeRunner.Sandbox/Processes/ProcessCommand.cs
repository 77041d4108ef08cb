using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using CliWrap;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// An immutable description of a process to start: program, argument vector (never a shell
/// string), working directory, environment and up-front stdin. Change it with the With* methods;
/// <see cref="ToCliCommand"/> turns it into the CliWrap command that runs it.
/// </summary>
public sealed record ProcessCommand
{
    public ProcessCommand(string program, IEnumerable<string>? arguments = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(program);
        Program = program;
        Arguments = arguments?.ToImmutableArray() ?? [];
    }

    public string Program { get; init; }
    public ImmutableArray<string> Arguments { get; init; }
    public string? WorkingDirectory { get; init; }
    /// <summary>The complete environment of the child; null inherits this process's environment.</summary>
    public ImmutableDictionary<string, string>? Environment { get; init; }
    /// <summary>Written to stdin right after start; stdin then stays open for <see cref="RunningProcess.WriteStdinAsync"/>.</summary>
    public string? Stdin { get; init; }
    /// <summary>Close stdin after the up-front text so programs reading to EOF finish.</summary>
    public bool CloseStdinAfterInput { get; init; }
    /// <summary>Extra descriptors the child inherits, the i-th as fd 3+i (bwrap's --seccomp).</summary>
    public ImmutableArray<InheritedFile> InheritedFiles { get; init; } = [];

    public ProcessCommand WithArguments(params IEnumerable<string> arguments) => this with { Arguments = [.. arguments] };
    public ProcessCommand WithWorkingDirectory(string? directory) => this with { WorkingDirectory = directory };
    public ProcessCommand WithEnvironment(IReadOnlyDictionary<string, string>? environment) =>
        this with { Environment = environment?.ToImmutableDictionary(StringComparer.Ordinal) };
    public ProcessCommand WithInheritedFiles(params IEnumerable<InheritedFile> files) => this with { InheritedFiles = [.. files] };
    public ProcessCommand WithStdin(string? text, bool closeAfter = false) => this with { Stdin = text, CloseStdinAfterInput = closeAfter };

    /// <summary>
    /// The CliWrap command (no exit-code validation: callers read the code). System.Diagnostics.Process
    /// hands a child only stdin/stdout/stderr, so inherited files go through /bin/sh, which opens each
    /// (a memfd of ours, by its /proc path) at fd 3, 4, ... and then execs the program in its own pid.
    /// </summary>
    public Command ToCliCommand()
    {
        var command = InheritedFiles.IsEmpty
            ? Cli.Wrap(Program).WithArguments(Arguments)
            : Cli.Wrap("/bin/sh").WithArguments(["-c", "exec \"$0\" \"$@\"" + string.Concat(InheritedFiles.Select((file, i) =>
                  string.Create(CultureInfo.InvariantCulture, $" {InheritedFile.FirstDescriptor + i}<{file.HostPath}"))), Program, .. Arguments]);
        command = command.WithValidation(CommandResultValidation.None);
        return WorkingDirectory is { } directory ? command.WithWorkingDirectory(directory) : command;
    }

    /// <summary>Replaces the inherited environment with <see cref="Environment"/> when one is set (CliWrap only adds to it).</summary>
    public void ConfigureStartInfo(ProcessStartInfo startInfo)
    {
        if (Environment is not { } environment) return;
        startInfo.Environment.Clear();
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;
    }

    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? value : "'" + value.Replace("'", "'\\''") + "'";
}

/// <summary>A descriptor handed to the child: in-memory data (a memfd of this process, kept open for its lifetime).</summary>
public abstract record InheritedFile
{
    /// <summary>The first descriptor number inherited files get in the child.</summary>
    public const int FirstDescriptor = 3;

    private InheritedFile() { }

    /// <summary>A path the child's shell can open (before any privilege drop).</summary>
    public abstract string HostPath { get; }

    /// <summary>Constant data (the seccomp program): one memfd per distinct content, made once and reused by every start.</summary>
    public sealed record Data(byte[] Content) : InheritedFile
    {
        public override string HostPath => MemoryFiles.PathOf(Content);
    }
}
