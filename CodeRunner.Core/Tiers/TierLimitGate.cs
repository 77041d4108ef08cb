using System.Collections.Concurrent;
using CodeRunner.Core.Common;

namespace CodeRunner.Core.Tiers;

/// <summary>
/// Serializes one user's limit-checked creations (count, then insert) inside this process, so two racing
/// requests cannot both pass a tier limit such as the snippet or API key count. One web node per database is
/// the supported deployment; several nodes would need a database-side check instead.
/// </summary>
public sealed class TierLimitGate
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new();

    public Task<IDisposable> EnterAsync(string limit, string userId, CancellationToken cancellationToken) =>
        gates.GetOrAdd(limit + ":" + userId, _ => new SemaphoreSlim(1, 1)).LeaseAsync(cancellationToken);
}
