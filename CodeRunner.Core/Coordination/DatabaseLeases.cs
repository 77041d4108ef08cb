using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Coordination;

/// <summary>A held lease; disposing it releases it (once).</summary>
public interface ILease : IAsyncDisposable
{
    string Key { get; }
}

/// <summary>
/// Named locks shared by every web node on the database ("one run at a time per user", "one operation per
/// environment"). A lease lives until it is released or, when its node dies, until it expires.
/// </summary>
public interface ILeaseStore
{
    /// <summary>The lease, or null when another holder has it.</summary>
    Task<ILease?> TryAcquireAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>The keys (of <paramref name="keys"/>) someone holds right now.</summary>
    Task<IReadOnlySet<string>> HeldAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default);
}

/// <summary>"Leases" configuration section.</summary>
public sealed class LeaseOptions
{
    public const string Section = "Leases";

    /// <summary>How long a lease outlives a node that stopped renewing it (it is renewed every third of this while held).</summary>
    public int ExpirySeconds { get; set; } = 60;
}

/// <summary>
/// <see cref="ILeaseStore"/> on the app's own database (SQLite or PostgreSQL, the same SQL): taking a lease deletes
/// an expired one with that key and inserts a new row; the primary key makes the insert succeed for exactly one holder.
/// Held leases are renewed by a timer, so a long run or install keeps its lock, and a crashed node's locks free themselves.
/// </summary>
public sealed class DatabaseLeases(IServiceScopeFactory scopes, NodeIdentity node, IOptions<LeaseOptions> options, TimeProvider clock,
    ILogger<DatabaseLeases> logger) : ILeaseStore
{
    private readonly TimeProvider clock = clock;
    private readonly ILogger logger = logger;

    private TimeSpan Expiry => TimeSpan.FromSeconds(Math.Max(5, options.Value.ExpirySeconds));

    public async Task<ILease?> TryAcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        if (key.Length > Lease.MaxKeyLength) throw new ArgumentException($"Lease keys are at most {Lease.MaxKeyLength} characters.", nameof(key));
        var holder = $"{node.Name}/{Guid.NewGuid():N}";
        if (holder.Length > Lease.MaxHolderLength) holder = holder[^Lease.MaxHolderLength..];
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now + Expiry;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        await db.Leases.Where(l => l.Key == key && l.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "Leases" ("Key", "Holder", "ExpiresAt") VALUES ({key}, {holder}, {expires}) ON CONFLICT ("Key") DO NOTHING""",
            cancellationToken);
        return inserted == 1 ? new HeldLease(this, key, holder) : null;
    }

    public async Task<IReadOnlySet<string>> HeldAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        if (keys.Count == 0) return new HashSet<string>();
        var wanted = keys.ToList();
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var held = await db.Leases.AsNoTracking().Where(l => wanted.Contains(l.Key) && l.ExpiresAt >= now).Select(l => l.Key).ToListAsync(cancellationToken);
        return held.ToHashSet(StringComparer.Ordinal);
    }

    private async Task<bool> RenewAsync(string key, string holder)
    {
        var expires = clock.GetUtcNow().UtcDateTime + Expiry;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        return await db.Leases.Where(l => l.Key == key && l.Holder == holder)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, expires)) == 1;
    }

    private async Task ReleaseAsync(string key, string holder)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        await db.Leases.Where(l => l.Key == key && l.Holder == holder).ExecuteDeleteAsync();
    }

    private sealed class HeldLease : ILease
    {
        private readonly DatabaseLeases owner;
        private readonly string holder;
        private readonly ITimer renewal;
        private readonly SemaphoreSlim renewing = new(1, 1);
        private int released;

        public HeldLease(DatabaseLeases owner, string key, string holder)
        {
            this.owner = owner;
            this.holder = holder;
            Key = key;
            var period = owner.Expiry / 3;
            renewal = owner.clock.CreateTimer(_ => _ = RenewAsync(), null, period, period);
        }

        public string Key { get; }

        private async Task RenewAsync()
        {
            if (!await renewing.WaitAsync(0)) return;
            try
            {
                if (Volatile.Read(ref released) == 0 && !await owner.RenewAsync(Key, holder))
                    owner.logger.LogWarning("Lease {Key} was lost (expired and taken by another holder) while still held", Key);
            }
            catch (Exception exception)
            {
                owner.logger.LogWarning(exception, "Could not renew lease {Key}; it expires unless a later renewal succeeds", Key);
            }
            finally
            {
                renewing.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) != 0) return;
            await renewal.DisposeAsync();
            try
            {
                await owner.ReleaseAsync(Key, holder);
            }
            catch (Exception exception)
            {
                // The lease then ends at its expiry; never fail the work that held it.
                owner.logger.LogWarning(exception, "Could not release lease {Key}; it frees itself at its expiry", Key);
            }
        }
    }
}
