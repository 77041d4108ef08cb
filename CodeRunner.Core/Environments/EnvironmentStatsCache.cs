using System.Collections.Concurrent;
using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Core.Environments;

/// <summary>Package count and disk size per environment, computed on first view and dropped after every change.</summary>
public sealed class EnvironmentStatsCache(IEnvironmentManager manager)
{
    public sealed record Stats(int PackageCount, long DiskBytes);

    private readonly ConcurrentDictionary<string, Stats> cache = new(StringComparer.OrdinalIgnoreCase);

    public async Task<Stats?> GetAsync(string name, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(name, out var stats)) return stats;
        if (!manager.Exists(name)) return null;
        try
        {
            var packages = await manager.ListPackagesAsync(name, cancellationToken);
            var bytes = await manager.GetDiskSizeBytesAsync(name, cancellationToken);
            return cache[name] = new Stats(packages.Count, bytes);
        }
        catch (Exception exception) when (exception is EnvironmentOperationException or EnvironmentNotFoundException or IOException)
        {
            return null;
        }
    }

    public void Invalidate(string name) => cache.TryRemove(name, out _);
}
