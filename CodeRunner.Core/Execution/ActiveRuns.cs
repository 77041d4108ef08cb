using System.Collections.Concurrent;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Core.Execution;

/// <summary>A run in progress as the admin console sees it; usage is read live from the sandbox.</summary>
/// <remarks><see cref="Node"/> is set for runs of another web node (shared database): their CPU and memory are not visible from here.</remarks>
public sealed record LiveRunInfo(long ExecutionId, string UserId, string UserName, ExecutionOrigin Origin, string EnvironmentName,
    DateTime StartedAtUtc, TimeSpan Elapsed, TimeSpan Cpu, double MemoryMb, string? Node = null);

/// <summary>
/// Runs in progress on this node. Singleton, in memory: every live run of either origin with a handle to its sandbox
/// session (for the admin's live view and 停止). "One page run per user" is a database lease (ExecutionService), so it holds across nodes.
/// </summary>
public sealed class ActiveRuns(TimeProvider clock)
{
    private readonly ConcurrentDictionary<long, LiveRun> live = new();

    /// <summary>Number of sandboxes running right now.</summary>
    public int LiveCount => live.Count;

    /// <summary>Makes a started run visible to the live view until <see cref="Unregister"/>.</summary>
    internal void Register(long executionId, string userId, string userName, ExecutionOrigin origin, string environmentName, IRunSession session) =>
        live[executionId] = new LiveRun(executionId, userId, userName, origin, environmentName, clock.GetUtcNow().UtcDateTime, session);

    internal void Unregister(long executionId) => live.TryRemove(executionId, out _);

    /// <summary>Every live run, oldest first, with its current CPU time and resident memory.</summary>
    public IReadOnlyList<LiveRunInfo> Snapshot()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return live.Values.OrderBy(r => r.StartedAtUtc).ThenBy(r => r.ExecutionId).Select(r =>
        {
            var usage = r.Session.CurrentUsage;
            return new LiveRunInfo(r.ExecutionId, r.UserId, r.UserName, r.Origin, r.EnvironmentName, r.StartedAtUtc,
                now - r.StartedAtUtc, usage?.Cpu ?? TimeSpan.Zero, Math.Round((usage?.ResidentBytes ?? 0) / (1024.0 * 1024.0), 1));
        }).ToList();
    }

    /// <summary>Kills a live run's process tree (it ends as cancelled). False when it is no longer running.</summary>
    internal bool TryCancel(long executionId)
    {
        if (!live.TryGetValue(executionId, out var run)) return false;
        run.Session.Cancel();
        return true;
    }

    /// <summary>Ids of the runs live on this node.</summary>
    internal IReadOnlyList<long> Ids => live.Keys.ToList();

    internal LiveRunInfo? Find(long executionId) => Snapshot().FirstOrDefault(r => r.ExecutionId == executionId);

    private sealed record LiveRun(long ExecutionId, string UserId, string UserName, ExecutionOrigin Origin, string EnvironmentName, DateTime StartedAtUtc, IRunSession Session);
}
