using System.Collections.Immutable;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// An immutable description of a process to start: program, argument vector (never a shell
/// string), working directory, environment and up-front stdin. Change it with the With* methods.
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
    /// <summary>Extra descriptors the child inherits, the i-th as fd 3+i (bwrap's --seccomp, --bind-fd ...).</summary>
    public ImmutableArray<InheritedFile> InheritedFiles { get; init; } = [];

    public ProcessCommand WithArguments(params IEnumerable<string> arguments) => this with { Arguments = [.. arguments] };
    public ProcessCommand WithWorkingDirectory(string? directory) => this with { WorkingDirectory = directory };
    public ProcessCommand WithEnvironment(IReadOnlyDictionary<string, string>? environment) =>
        this with { Environment = environment?.ToImmutableDictionary(StringComparer.Ordinal) };
    public ProcessCommand WithInheritedFiles(params IEnumerable<InheritedFile> files) => this with { InheritedFiles = [.. files] };
    public ProcessCommand WithStdin(string? text, bool closeAfter = false) => this with { Stdin = text, CloseStdinAfterInput = closeAfter };

    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? value : "'" + value.Replace("'", "'\\''") + "'";
}

/// <summary>A descriptor handed to the child: in-memory data (a sealed memfd) or a directory opened by us (O_PATH).</summary>
public abstract record InheritedFile
{
    /// <summary>The first descriptor number inherited files get in the child.</summary>
    public const int FirstDescriptor = 3;

    private InheritedFile() { }

    public sealed record Data(byte[] Content) : InheritedFile;
    /// <summary>Opened by this process, so the child needs no search permission on the path's parents (a 0700 data dir).</summary>
    public sealed record Directory(string Path) : InheritedFile;
}
