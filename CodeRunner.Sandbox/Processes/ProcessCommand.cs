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

    public ProcessCommand WithArguments(params IEnumerable<string> arguments) => this with { Arguments = [.. arguments] };
    public ProcessCommand WithWorkingDirectory(string? directory) => this with { WorkingDirectory = directory };
    public ProcessCommand WithEnvironment(IReadOnlyDictionary<string, string>? environment) =>
        this with { Environment = environment?.ToImmutableDictionary(StringComparer.Ordinal) };
    public ProcessCommand WithStdin(string? text, bool closeAfter = false) => this with { Stdin = text, CloseStdinAfterInput = closeAfter };

    public override string ToString() => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? value : "'" + value.Replace("'", "'\\''") + "'";
}
