using System.Security.Cryptography;
using System.Text;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Tiers;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.ApiKeys;

/// <summary>A key as the list shows it; never the secret.</summary>
public sealed record ApiKeyView(int Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt, long UsageCount,
    DateTime? ExpiresAt, bool IsEnabled)
{
    public bool IsExpiredAt(DateTime utcNow) => ExpiresAt is { } e && e <= utcNow;
}

/// <summary>A key just created: <see cref="Secret"/> exists only in this object and is shown to the user once.</summary>
public sealed record CreatedApiKey(ApiKeyView Key, string Secret);

/// <summary>Who a valid secret belongs to.</summary>
/// <param name="MustChangePassword">The owner has a temporary password: the API refuses the call until it is changed.</param>
public sealed record ApiKeyIdentity(UserRef User, int KeyId, string KeyName, bool MustChangePassword);

/// <summary>API keys: the secret is `sk-` + 43 url-safe random characters; only its SHA-256 is stored.</summary>
public sealed class ApiKeyService(CodeRunnerDbContext db, ReadContexts reads, QuotaService quotas, TierLimitGate limitGate, AuditService audit, ApiKeyUsageBuffer usage, TimeProvider clock)
{
    public const string SecretPrefix = "sk-";
    public const int MaxNameLength = 100;
    private const int DisplayPrefixLength = 8;

    public async Task<CreatedApiKey> CreateAsync(UserRef actor, string name, DateTime? expiresAtUtc = null, CancellationToken cancellationToken = default)
    {
        name = (name ?? "").Trim();
        if (name.Length == 0) throw new ValidationError("apikey.name_required", "name", "A name is required.");
        if (name.Length > MaxNameLength) throw new ValidationError("apikey.name_too_long", "name", $"The name is longer than {MaxNameLength} characters.", MaxNameLength);
        var now = clock.GetUtcNow().UtcDateTime;
        if (expiresAtUtc is { } expiry && expiry <= now) throw new ValidationError("apikey.expiry_in_past", "expiresAt", "The expiry must be in the future.");

        await using var gate = await limitGate.EnterAsync("api-keys", actor.Id, cancellationToken);
        var (count, limit) = await UsageOnAsync(db, actor, cancellationToken);
        if (limit is { } max && count >= max)
            throw new QuotaExceededError("apikey.limit_reached", $"At most {max} API keys on this tier.", max, count, DateTime.MaxValue);

        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new ApiKey
        {
            UserId = actor.Id,
            Name = name,
            Prefix = secret[..DisplayPrefixLength],
            SecretHash = Hash(secret),
            CreatedAt = now,
            ExpiresAt = expiresAtUtc,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "apikey.create", "apikey", key.Id, new { key.Name, key.ExpiresAt }, cancellationToken: cancellationToken);
        return new CreatedApiKey(ToView(key), secret);
    }

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == actor.Id).OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id)
            .ToListAsync(cancellationToken);
        return keys.Select(WithPendingUse).ToList();
    }

    public async Task<(int Count, int? Limit)> GetUsageAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var reading = reads.Open();
        return await UsageOnAsync(reading, actor, cancellationToken);
    }

    private async Task<(int Count, int? Limit)> UsageOnAsync(CodeRunnerDbContext context, UserRef actor, CancellationToken cancellationToken)
    {
        var count = await context.ApiKeys.CountAsync(k => k.UserId == actor.Id, cancellationToken);
        return (count, actor.IsAdmin ? null : quotas.LimitsFor(actor).MaxApiKeys);
    }

    public async Task<ApiKeyView> SetEnabledAsync(UserRef actor, int id, bool enabled, CancellationToken cancellationToken = default)
    {
        var key = await FindOwnedAsync(actor, id, cancellationToken);
        key.IsActive = enabled;
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, enabled ? "apikey.enable" : "apikey.disable", "apikey", id, new { key.Name }, cancellationToken: cancellationToken);
        return ToView(key);
    }

    public async Task DeleteAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var key = await FindOwnedAsync(actor, id, cancellationToken);
        db.ApiKeys.Remove(key);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "apikey.delete", "apikey", id, new { key.Name }, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The owner of a presented secret, or null when it is malformed, unknown, disabled, expired or its user is inactive.
    /// Records the use (last used, usage count; written at most once a minute per key, see <see cref="ApiKeyUsageBuffer"/>) on success. Looked up on every request, so disabling takes effect at once.
    /// </summary>
    public async Task<ApiKeyIdentity?> AuthenticateAsync(string? secret, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal) || secret.Length > 200) return null;
        var hash = Hash(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        // One statement for the key, its owner and the owner's admin role: every API call runs it before anything else.
        var found = await (from k in db.ApiKeys.AsNoTracking()
                           join u in db.Users.AsNoTracking() on k.UserId equals u.Id
                           where k.SecretHash == hash
                           select new
                           {
                               Key = k, u.UserName, u.IsActive, u.Level, u.MustChangePassword,
                               IsAdmin = (from ur in db.UserRoles
                                          join r in db.Roles on ur.RoleId equals r.Id
                                          where ur.UserId == u.Id && r.Name == UserRef.AdminRole
                                          select ur).Any(),
                           }).FirstOrDefaultAsync(cancellationToken);
        if (found is null || !found.Key.IsActive || !found.IsActive || (found.Key.ExpiresAt is { } e && e <= now)) return null;

        if (usage.Record(found.Key.Id, now) is { } due) await ApiKeyUsageBuffer.WriteAsync(db, due, cancellationToken);
        return new ApiKeyIdentity(new UserRef(found.Key.UserId, found.UserName ?? "", found.IsAdmin, found.Level), found.Key.Id, found.Key.Name, found.MustChangePassword);
    }

    /// <summary>Lower-case hex SHA-256 of the whole secret, as stored.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private async Task<ApiKey> FindOwnedAsync(UserRef actor, int id, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.FindAsync([id], cancellationToken);
        if (key is null || (key.UserId != actor.Id && !actor.IsAdmin)) throw new NotFoundError("apikey", id);
        return key;
    }

    /// <summary>The stored counters plus the uses not yet written.</summary>
    private ApiKeyView WithPendingUse(ApiKey k)
    {
        var pending = usage.Pending(k.Id);
        var view = ToView(k);
        return pending.Count == 0 ? view : view with { UsageCount = k.UsageCount + pending.Count, LastUsedAt = pending.LastUsedAt };
    }

    private static ApiKeyView ToView(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.UsageCount, k.ExpiresAt, k.IsActive);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
