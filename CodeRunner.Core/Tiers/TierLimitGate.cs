using System.Collections.Concurrent;
using CodeRunner.Core.Common;
using CodeRunner.Core.Coordination;
using CodeRunner.Core.Data;

namespace CodeRunner.Core.Tiers;

/// <summary>
/// Serializes one user's limit-checked creations (count, then insert), so two racing requests cannot both pass a tier
/// limit such as the snippet or API key count. Inside a node a semaphore queues them; when several nodes share the
/// database (PostgreSQL) the holder also takes a database lease, waiting for it, so requests on other nodes queue too.
/// </summary>
public sealed class TierLimitGate(ILeaseStore leases, DatabaseSelection database)
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new();

    public async Task<IAsyncDisposable> EnterAsync(string limit, string userId, CancellationToken cancellationToken)
    {
        var key = limit + ":" + userId;
        var local = await gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1)).LeaseAsync(cancellationToken);
        if (!database.IsShared) return new Held(local, null);
        try
        {
            return new Held(local, await WaitForLeaseAsync("limit:" + key, cancellationToken));
        }
        catch
        {
            local.Dispose();
            throw;
        }
    }

    private async Task<ILease> WaitForLeaseAsync(string key, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + MaxWait;
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (await leases.TryAcquireAsync(key, cancellationToken) is { } lease) return lease;
            if (DateTime.UtcNow > deadline) throw new ConflictError("limits.busy", "Another request of this user is still being checked; try again.");
            await Task.Delay(pause, cancellationToken);
            pause = TimeSpan.FromMilliseconds(Math.Min(250, pause.TotalMilliseconds * 2));
        }
    }

    private sealed class Held(IDisposable local, ILease? shared) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (shared is not null) await shared.DisposeAsync();
            }
            finally
            {
                local.Dispose();
            }
        }
    }
}
