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
    /// <summary>Extra descriptors the child inherits (bwrap's --seccomp); each one's number is written into the argument it names.</summary>
    public ImmutableArray<InheritedFile> InheritedFiles { get; init; } = [];

    /// <summary>Start the child as this user (uid, primary gid and groups from the passwd and group files); null = as we are.</summary>
    public string? UserName { get; init; }

    public ProcessCommand WithUserName(string? userName) => this with { UserName = userName };
    public ProcessCommand WithArguments(params IEnumerable<string> arguments) => this with { Arguments = [.. arguments] };
    public ProcessCommand WithWorkingDirectory(string? directory) => this with { WorkingDirectory = directory };
    public ProcessCommand WithEnvironment(IReadOnlyDictionary<string, string>? environment) =>
        this with { Environment = environment?.ToImmutableDictionary(StringComparer.Ordinal) };
    public ProcessCommand WithInheritedFiles(params IEnumerable<InheritedFile> files)
    {
        ImmutableArray<InheritedFile> list = [.. files];
        if (list.FirstOrDefault(f => f.ArgumentIndex < 1 || f.ArgumentIndex > Arguments.Length) is { } misplaced)
            throw new ArgumentException($"inherited file for argument {misplaced.ArgumentIndex}: the command has arguments 1..{Arguments.Length}", nameof(files));
        return this with { InheritedFiles = list };
    }
    public ProcessCommand WithStdin(string? text, bool closeAfter = false) => this with { Stdin = text, CloseStdinAfterInput = closeAfter };

    /// <summary>
    /// The CliWrap command (no exit-code validation: callers read the code). <paramref name="descriptors"/> are the
    /// numbers the inherited files have in this process right now (see <see cref="InheritedFile.OpenForChild"/>):
    /// System.Diagnostics.Process hands every descriptor without close-on-exec to the child under the same number,
    /// so each number is written into the argument its file names, and the program is started directly (no shell).
    /// </summary>
    public Command ToCliCommand(IReadOnlyList<int>? descriptors = null)
    {
        if ((descriptors?.Count ?? 0) != InheritedFiles.Length)
            throw new ArgumentException($"{InheritedFiles.Length} inherited files need as many open descriptors", nameof(descriptors));
        var arguments = Arguments.ToArray();
        for (var i = 0; i < InheritedFiles.Length; i++)
            arguments[InheritedFiles[i].ArgumentIndex - 1] = descriptors![i].ToString(CultureInfo.InvariantCulture);
        var command = Cli.Wrap(Program).WithArguments(arguments).WithValidation(CommandResultValidation.None);
        return WorkingDirectory is { } directory ? command.WithWorkingDirectory(directory) : command;
    }

    /// <summary>Replaces the inherited environment with <see cref="Environment"/> when one is set (CliWrap only adds to it).</summary>
    public void ConfigureStartInfo(ProcessStartInfo startInfo)
    {
        if (UserName is not null) startInfo.UserName = UserName;
        if (Environment is not { } environment) return;
        startInfo.Environment.Clear();
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;
    }

    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? value : "'" + value.Replace("'", "'\\''") + "'";
}

/// <summary>
/// A descriptor handed to the child: in-memory data (a sealed memfd of this process), opened read-only for each start
/// (its own file offset, so concurrent starts never read each other's position) and closed here once the child has it.
/// </summary>
public abstract record InheritedFile
{
    /// <summary>What the argument that receives the descriptor number shows until the start (diagnostics, tests).</summary>
    public const string Placeholder = "<fd>";

    private InheritedFile() { }

    /// <summary>The position in the full argument vector (the program is 0) whose text becomes the descriptor number.</summary>
    public int ArgumentIndex { get; init; }

    /// <summary>A fresh read-only descriptor without close-on-exec; the caller closes it right after the start.</summary>
    public abstract int OpenForChild();

    /// <summary>Constant data (the seccomp program): one sealed memfd per distinct content, made once and reused by every start.</summary>
    public sealed record Data(byte[] Content) : InheritedFile
    {
        public override int OpenForChild() => MemoryFiles.OpenReadOnly(Content);
    }
}
