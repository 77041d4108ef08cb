using System.Threading.Channels;
using CodeRunner.Core.Common;
using CodeRunner.Sandbox.Execution;

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

/// <summary>How a finished run ended, with its recorded row id.</summary>
public sealed record ExecutionOutcome(long ExecutionId, RunResult Result, string Stdout, string Stderr, string StatusName);

/// <summary>A run in progress, as the run page sees it.</summary>
public interface IExecutionRun : IAsyncDisposable
{
    long ExecutionId { get; }
    /// <summary>Sandbox events (output chunks, then one exit); completes when the run is recorded.</summary>
    ChannelReader<RunEvent> Events { get; }
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
