using CodeRunner.Core.Common;
using CodeRunner.Core.Coordination;

namespace CodeRunner.Core.Environments;

/// <summary>
/// One long operation per environment at a time (create, install, uninstall, upgrade, delete), across all circuits and
/// every web node on the database: each lock is a database lease (<see cref="ILeaseStore"/>). Names are case-insensitive.
/// </summary>
public sealed class EnvironmentOperationLocks(ILeaseStore leases)
{
    public async Task<bool> IsBusyAsync(string key, CancellationToken cancellationToken = default) =>
        (await BusyAsync([key], cancellationToken)).Count > 0;

    /// <summary>Those of <paramref name="keys"/> an operation holds right now.</summary>
    public async Task<IReadOnlySet<string>> BusyAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        var byLeaseKey = keys.Distinct(StringComparer.OrdinalIgnoreCase).ToDictionary(LeaseKey, k => k, StringComparer.Ordinal);
        var held = await leases.HeldAsync(byLeaseKey.Keys, cancellationToken);
        return held.Select(k => byLeaseKey[k]).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Takes the lock or throws <see cref="ConflictError"/> "environments.busy"; dispose to release.</summary>
    public async Task<IAsyncDisposable> AcquireAsync(string key, CancellationToken cancellationToken = default) =>
        await leases.TryAcquireAsync(LeaseKey(key), cancellationToken)
        ?? throw new ConflictError("environments.busy", $"Another operation is running on environment '{key}'.", key);

    private static string LeaseKey(string key) => "env:" + key.ToLowerInvariant();
}
