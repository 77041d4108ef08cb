using System.Threading.Channels;
using CodeRunner.Core.Common;

namespace CodeRunner.Core.Execution;

/// <summary>Where a run was asked for: the run page counts against runs/day, the REST API against API calls/day (taken by the API layer).</summary>
public enum ExecutionOrigin { Web, Api }

/// <summary>What a user asks to run. Either Code or SnippetId.</summary>
public sealed record ExecutionRequest
{
    public string? Code { get; init; }
    public int? SnippetId { get; init; }
    /// <summary>Environment name; null or "base" = the base interpreter.</summary>
    public string? EnvironmentName { get; init; }
    public string? Stdin { get; init; }
}

/// <summary>How a finished run ended, with its recorded row id. <see cref="StatusName"/> is one of <see cref="ExecutionStatus"/>.</summary>
public sealed record ExecutionOutcome(long ExecutionId, ExecutionResult Result, string Stdout, string Stderr, string StatusName);

/// <summary>What a finished run measured and left behind.</summary>
public sealed record ExecutionResult
{
    public int? ExitCode { get; init; }
    public long WallMs { get; init; }
    public long CpuMs { get; init; }
    public double PeakMemoryMb { get; init; }
    /// <summary>The sandbox stopped the output at its cap.</summary>
    public bool OutputTruncated { get; init; }
    public IReadOnlyList<ExecutionArtifact> Artifacts { get; init; } = [];
}

/// <summary>A file the program left in its work dir (served by the artifact endpoint by name).</summary>
public sealed record ExecutionArtifact(string Name, long SizeBytes, string ContentType);

/// <summary>What a running program does, as the run page sees it: started, output chunks as they arrive, then one exit.</summary>
public abstract record ExecutionEvent;
public sealed record ExecutionStarted : ExecutionEvent;
public sealed record ExecutionOutput(string Text, bool IsStderr) : ExecutionEvent;
public sealed record ExecutionExited(ExecutionResult Result) : ExecutionEvent;

/// <summary>A run in progress, as the run page sees it.</summary>
public interface IExecutionRun : IAsyncDisposable
{
    long ExecutionId { get; }
    /// <summary>Started, output chunks, then one exit; completes when the run is recorded.</summary>
    ChannelReader<ExecutionEvent> Events { get; }
    ValueTask WriteStdinAsync(string text, CancellationToken cancellationToken = default);
    void Cancel();
    Task<ExecutionOutcome> Completion { get; }
}

/// <summary>quota → environment → sandbox → record. Used by the run page and the REST API.</summary>
public interface IExecutionService
{
    /// <summary>Checks quota and limits, records the run as running, and starts it.</summary>
    Task<IExecutionRun> StartAsync(UserRef actor, ExecutionRequest request, ExecutionOrigin origin, CancellationToken cancellationToken);

    /// <summary>Runs to the end and returns the full result (the REST API's shape).</summary>
    Task<ExecutionOutcome> RunAsync(UserRef actor, ExecutionRequest request, ExecutionOrigin origin, CancellationToken cancellationToken);
}
