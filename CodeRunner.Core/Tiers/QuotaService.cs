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
/// Daily quotas per user and quota day (<see cref="QuotaDay"/>: midnight in the configured zone). Consumption is one conditional UPDATE, so racing runs can never
/// pass the limit (SQLite serializes writers; PostgreSQL row-locks the counter).
/// </summary>
public sealed class QuotaService(CodeRunnerDbContext db, IOptions<TierOptions> tiers, QuotaDay quotaDay)
{
    public TierLimits LimitsFor(UserRef user) => tiers.Value.For(user.Level);

    /// <summary>Takes one run from today's quota or throws <see cref="QuotaExceededError"/>.</summary>
    public Task TryConsumeRunAsync(UserRef user, CancellationToken cancellationToken = default) =>
        ConsumeAsync(user, QuotaKind.Runs, cancellationToken);

    /// <summary>Takes one API call from today's quota or throws <see cref="QuotaExceededError"/>.</summary>
    public Task TryConsumeApiCallAsync(UserRef user, CancellationToken cancellationToken = default) =>
        ConsumeAsync(user, QuotaKind.ApiCalls, cancellationToken);

    /// <summary>Takes one request on the team's default AI provider from today's quota or throws <see cref="QuotaExceededError"/>.</summary>
    public Task TryConsumeAiRequestAsync(UserRef user, CancellationToken cancellationToken = default) =>
        ConsumeAsync(user, QuotaKind.AiRequests, cancellationToken);

    public async Task<QuotaStatus> GetStatusAsync(UserRef user, QuotaKind kind, CancellationToken cancellationToken = default)
    {
        var (day, resets) = quotaDay.Today();
        var usage = await db.DailyUsages.AsNoTracking().FirstOrDefaultAsync(u => u.UserId == user.Id && u.Day == day, cancellationToken);
        var used = usage is null ? 0 : kind switch { QuotaKind.Runs => usage.Runs, QuotaKind.ApiCalls => usage.ApiCalls, _ => usage.AiRequests };
        return new QuotaStatus(kind, used, LimitOf(user, kind), resets);
    }

    private async Task ConsumeAsync(UserRef user, QuotaKind kind, CancellationToken cancellationToken)
    {
        var (day, resets) = quotaDay.Today();
        var limit = LimitOf(user, kind);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "DailyUsages" ("UserId", "Day", "Runs", "ApiCalls", "AiRequests") VALUES ({user.Id}, {day}, 0, 0, 0) ON CONFLICT ("UserId", "Day") DO NOTHING""",
            cancellationToken);
        // Unlimited = a limit no counter reaches, so the statement is the same on both databases (PostgreSQL cannot type a bare NULL parameter).
        var cap = limit ?? int.MaxValue;
        var updated = kind switch
        {
            QuotaKind.Runs => await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE "DailyUsages" SET "Runs" = "Runs" + 1 WHERE "UserId" = {user.Id} AND "Day" = {day} AND "Runs" < {cap}""",
                cancellationToken),
            QuotaKind.ApiCalls => await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE "DailyUsages" SET "ApiCalls" = "ApiCalls" + 1 WHERE "UserId" = {user.Id} AND "Day" = {day} AND "ApiCalls" < {cap}""",
                cancellationToken),
            _ => await db.Database.ExecuteSqlInterpolatedAsync(
                $"""UPDATE "DailyUsages" SET "AiRequests" = "AiRequests" + 1 WHERE "UserId" = {user.Id} AND "Day" = {day} AND "AiRequests" < {cap}""",
                cancellationToken),
        };
        if (updated == 1) return;

        var code = kind switch { QuotaKind.Runs => "quota.runs_exhausted", QuotaKind.ApiCalls => "quota.api_calls_exhausted", _ => "quota.ai_requests_exhausted" };
        throw new QuotaExceededError(code, $"Daily {kind} quota of {limit} is used up; it resets at {resets:u}.", limit!.Value, limit.Value, resets);
    }

    /// <summary>Admins are unlimited whatever their level.</summary>
    private int? LimitOf(UserRef user, QuotaKind kind)
    {
        if (user.IsAdmin) return null;
        var limits = LimitsFor(user);
        return kind switch { QuotaKind.Runs => limits.RunsPerDay, QuotaKind.ApiCalls => limits.ApiCallsPerDay, _ => limits.AiRequestsPerDay };
    }
}
