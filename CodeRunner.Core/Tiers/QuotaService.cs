using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Tiers;

public enum QuotaKind { Runs, ApiCalls, AiRequests }

/// <summary>Today's usage against the tier's daily limits (null limit = unlimited).</summary>
public sealed record QuotaStatus(QuotaKind Kind, int Used, int? Limit, DateTime ResetsAtUtc)
{
    public int? Remaining => Limit is null ? null : Math.Max(0, Limit.Value - Used);
}

/// <summary>
/// Daily quotas per user and quota day (<see cref="QuotaDay"/>: midnight in the configured zone). Consumption is one conditional upsert, so racing runs can never
/// pass the limit (SQLite serializes writers; PostgreSQL row-locks the counter).
/// </summary>
public sealed class QuotaService(CodeRunnerDbContext db, ReadContexts reads, IOptions<TierOptions> tiers, QuotaDay quotaDay)
{
    public TierLimits LimitsFor(UserRef user) => tiers.Value.For(user.Level);

    /// <summary>Takes one run from today's quota or throws <see cref="QuotaExceededError"/>; returns what is left.</summary>
    public Task<QuotaStatus> TryConsumeRunAsync(UserRef user, CancellationToken cancellationToken = default) =>
        ConsumeAsync(user, QuotaKind.Runs, cancellationToken);

    /// <summary>Takes one API call from today's quota or throws <see cref="QuotaExceededError"/>; returns what is left.</summary>
    public Task<QuotaStatus> TryConsumeApiCallAsync(UserRef user, CancellationToken cancellationToken = default) =>
        ConsumeAsync(user, QuotaKind.ApiCalls, cancellationToken);

    /// <summary>Takes one request on the team's default AI provider from today's quota or throws <see cref="QuotaExceededError"/>.</summary>
    public Task<QuotaStatus> TryConsumeAiRequestAsync(UserRef user, CancellationToken cancellationToken = default) =>
        ConsumeAsync(user, QuotaKind.AiRequests, cancellationToken);

    public async Task<QuotaStatus> GetStatusAsync(UserRef user, QuotaKind kind, CancellationToken cancellationToken = default)
    {
        var (day, resets) = quotaDay.Today();
        await using var db = reads.Open();
        var usage = await db.DailyUsages.AsNoTracking().FirstOrDefaultAsync(u => u.UserId == user.Id && u.Day == day, cancellationToken);
        var used = usage is null ? 0 : kind switch { QuotaKind.Runs => usage.Runs, QuotaKind.ApiCalls => usage.ApiCalls, _ => usage.AiRequests };
        return new QuotaStatus(kind, used, LimitOf(user, kind), resets);
    }

    /// <summary>
    /// One statement, so one commit: creates today's row with this use, or adds it when the counter is under the limit.
    /// No row comes back when the limit is reached (the conditional update did nothing); the count that comes back is exact.
    /// </summary>
    private async Task<QuotaStatus> ConsumeAsync(UserRef user, QuotaKind kind, CancellationToken cancellationToken)
    {
        var (day, resets) = quotaDay.Today();
        var limit = LimitOf(user, kind);
        var code = kind switch { QuotaKind.Runs => "quota.runs_exhausted", QuotaKind.ApiCalls => "quota.api_calls_exhausted", _ => "quota.ai_requests_exhausted" };
        var exhausted = () => new QuotaExceededError(code, $"Daily {kind} quota of {limit} is used up; it resets at {resets:u}.", limit!.Value, limit.Value, resets);
        // A limit of 0 would be passed by the insert of a first row.
        if (limit <= 0) throw exhausted();

        // Unlimited = a cap no counter reaches, so the statement is the same on both databases (PostgreSQL cannot type a bare NULL parameter).
        var cap = limit ?? int.MaxValue;
        var (runs, apiCalls, aiRequests) = kind switch { QuotaKind.Runs => (1, 0, 0), QuotaKind.ApiCalls => (0, 1, 0), _ => (0, 0, 1) };
        var used = await db.Database.SqlQueryRaw<int>(ConsumeStatements[kind], user.Id, day, runs, apiCalls, aiRequests, cap).ToListAsync(cancellationToken);
        if (used.Count == 1) return new QuotaStatus(kind, used[0], limit, resets);
        throw exhausted();
    }

    /// <summary>
    /// The consume statement per counter, built once from our own column names (never from input); every value is a
    /// parameter ({0} user, {1} day, {2}–{4} the new row's counters, {5} the cap).
    /// </summary>
    private static readonly Dictionary<QuotaKind, string> ConsumeStatements = new[] { (QuotaKind.Runs, "Runs"), (QuotaKind.ApiCalls, "ApiCalls"), (QuotaKind.AiRequests, "AiRequests") }
        .ToDictionary(k => k.Item1, k => $$"""INSERT INTO "DailyUsages" ("UserId", "Day", "Runs", "ApiCalls", "AiRequests") VALUES ({0}, {1}, {2}, {3}, {4}) ON CONFLICT ("UserId", "Day") DO UPDATE SET "{{k.Item2}}" = "DailyUsages"."{{k.Item2}}" + 1 WHERE "DailyUsages"."{{k.Item2}}" < {5} RETURNING "{{k.Item2}}" AS "Value" """);

    /// <summary>Admins are unlimited whatever their level.</summary>
    private int? LimitOf(UserRef user, QuotaKind kind)
    {
        if (user.IsAdmin) return null;
        var limits = LimitsFor(user);
        return kind switch { QuotaKind.Runs => limits.RunsPerDay, QuotaKind.ApiCalls => limits.ApiCallsPerDay, _ => limits.AiRequestsPerDay };
    }
}
