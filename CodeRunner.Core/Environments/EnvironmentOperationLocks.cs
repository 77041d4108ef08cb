using System.Collections.Concurrent;
using CodeRunner.Core.Common;

namespace CodeRunner.Core.Environments;

/// <summary>One long operation per environment at a time (create, install, uninstall, upgrade, delete), across all circuits.</summary>
public sealed class EnvironmentOperationLocks
{
    private readonly ConcurrentDictionary<string, byte> busy = new(StringComparer.OrdinalIgnoreCase);

    public bool IsBusy(string key) => busy.ContainsKey(key);

    /// <summary>Takes the lock or throws <see cref="ConflictError"/> "environments.busy"; dispose to release.</summary>
    public IDisposable Acquire(string key)
    {
        if (!busy.TryAdd(key, 0))
            throw new ConflictError("environments.busy", $"Another operation is running on environment '{key}'.", key);
        return new Release(this, key);
    }

    private sealed class Release(EnvironmentOperationLocks owner, string key) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) owner.busy.TryRemove(key, out _);
        }
    }
}
