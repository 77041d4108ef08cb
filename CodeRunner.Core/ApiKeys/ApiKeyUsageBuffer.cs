using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.ApiKeys;

/// <summary>
/// A key's "last used" and usage count, kept in memory and written at most once per <see cref="WriteInterval"/> per key,
/// so an API call does not pay a database commit for bookkeeping. The key list adds what is still pending, so the
/// owner sees exact numbers; the database lags by at most the interval (lost on a crash or power cut: the stamp is
/// then up to a minute stale and the count short by the uses of that minute). Singleton.
/// </summary>
public sealed class ApiKeyUsageBuffer(TimeProvider clock)
{
    public static readonly TimeSpan WriteInterval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<int, Entry> keys = new();

    /// <summary>Uses of one key not yet written.</summary>
    public readonly record struct PendingUse(int KeyId, long Count, DateTime LastUsedAt);

    private sealed class Entry
    {
        public long Count;
        public DateTime LastUsedAt;
        public DateTimeOffset? WrittenAt;
    }

    /// <summary>Counts one use; returns the uses to write now when the key's last write is older than the interval.</summary>
    public PendingUse? Record(int keyId, DateTime usedAtUtc)
    {
        var now = clock.GetUtcNow();
        lock (keys)
        {
            if (!keys.TryGetValue(keyId, out var entry)) keys[keyId] = entry = new Entry();
            entry.Count++;
            entry.LastUsedAt = usedAtUtc;
            if (entry.WrittenAt is { } written && now - written < WriteInterval) return null;
            entry.WrittenAt = now;
            return Take(keyId, entry);
        }
    }

    /// <summary>What is pending for a key (zero count when nothing is).</summary>
    public PendingUse Pending(int keyId)
    {
        lock (keys) return keys.TryGetValue(keyId, out var entry) ? new PendingUse(keyId, entry.Count, entry.LastUsedAt) : new PendingUse(keyId, 0, default);
    }

    /// <summary>Everything pending, taken out of the buffer (to be written).</summary>
    public List<PendingUse> TakeAll()
    {
        var now = clock.GetUtcNow();
        lock (keys)
        {
            var taken = new List<PendingUse>();
            foreach (var (keyId, entry) in keys)
            {
                if (entry.Count == 0) continue;
                entry.WrittenAt = now;
                taken.Add(Take(keyId, entry));
            }
            // Keys idle for a whole interval are forgotten, so the map holds only keys in use.
            foreach (var idle in keys.Where(k => k.Value.Count == 0 && now - k.Value.WrittenAt > WriteInterval).Select(k => k.Key).ToList()) keys.Remove(idle);
            return taken;
        }
    }

    private static PendingUse Take(int keyId, Entry entry)
    {
        var use = new PendingUse(keyId, entry.Count, entry.LastUsedAt);
        entry.Count = 0;
        return use;
    }

    /// <summary>Adds uses to the stored counters (one statement per key; a deleted key matches nothing).</summary>
    public static Task WriteAsync(CodeRunnerDbContext db, PendingUse use, CancellationToken cancellationToken) =>
        db.ApiKeys.Where(k => k.Id == use.KeyId)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, use.LastUsedAt).SetProperty(k => k.UsageCount, k => k.UsageCount + use.Count), cancellationToken);
}

/// <summary>Writes the buffered key uses every <see cref="ApiKeyUsageBuffer.WriteInterval"/> and when the app stops.</summary>
public sealed class ApiKeyUsageFlusher(ApiKeyUsageBuffer buffer, IServiceScopeFactory scopes, TimeProvider clock, ILogger<ApiKeyUsageFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ApiKeyUsageBuffer.WriteInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var pending = buffer.TakeAll();
        if (pending.Count == 0) return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            foreach (var use in pending) await ApiKeyUsageBuffer.WriteAsync(db, use, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Bookkeeping only: a failed write loses these counts, never a call.
            logger.LogWarning(exception, "API key usage of {Count} keys could not be written", pending.Count);
        }
    }
}
