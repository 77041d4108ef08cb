namespace CodeRunner.Core.Execution;

/// <summary>Caps and retention of runs, bound from the "Execution" configuration section.</summary>
public sealed class ExecutionOptions
{
    public const string Section = "Execution";

    /// <summary>Largest program accepted, in UTF-8 bytes.</summary>
    public int MaxCodeBytes { get; set; } = 64 * 1024;
    /// <summary>Largest stdin given before the run, in UTF-8 bytes.</summary>
    public int MaxStdinBytes { get; set; } = 64 * 1024;
    /// <summary>Output kept in the CodeExecution row (characters); the live stream and the API result are capped by the sandbox.</summary>
    public int StoredOutputChars { get; set; } = 64 * 1024;
    /// <summary>Output the sandbox lets a program write before it is stopped with output_limit.</summary>
    public long MaxOutputBytes { get; set; } = 1024 * 1024;
    /// <summary>Artifacts of a run are deleted this long after the run.</summary>
    public double ArtifactRetentionHours { get; set; } = 24;
    public double ArtifactCleanupIntervalMinutes { get; set; } = 30;
}
