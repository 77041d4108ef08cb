using System.Collections.Concurrent;

namespace CodeRunner.Core.Execution;

/// <summary>Which users have a run going from the run page (one at a time per user). Singleton, in memory.</summary>
public sealed class ActiveRuns
{
    private readonly ConcurrentDictionary<string, long> byUser = new(StringComparer.Ordinal);

    /// <summary>False when the user already has a run going.</summary>
    public bool TryEnter(string userId) => byUser.TryAdd(userId, 0);

    public void Attach(string userId, long executionId) => byUser[userId] = executionId;

    public void Leave(string userId) => byUser.TryRemove(userId, out _);

    public bool IsRunning(string userId) => byUser.ContainsKey(userId);
}
