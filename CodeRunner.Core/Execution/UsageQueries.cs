using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Tiers;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Execution;

/// <summary>Runs of one quota day (<see cref="QuotaDay"/>), by status name.</summary>
public sealed record DailyRunCounts(DateOnly Day, IReadOnlyDictionary<string, int> ByStatus)
{
    public int Total => ByStatus.Values.Sum();
}

public sealed record UsageSummary(
    int Level,
    string TierName,
    QuotaStatus Runs,
    QuotaStatus ApiCalls,
    int TotalRuns,
    int TotalApiRuns,
    int SuccessfulRuns,
    int FinishedRuns,
    long TotalCpuMs,
    IReadOnlyList<DailyRunCounts> LastDays)
{
    /// <summary>Share of finished runs that succeeded, 0–1; null before the first finished run.</summary>
    public double? SuccessRate => FinishedRuns == 0 ? null : (double)SuccessfulRuns / FinishedRuns;
}

/// <summary>A user's own usage: today's quotas, totals, and runs per day.</summary>
public sealed class UsageQueries(ReadContexts reads, QuotaService quotas, QuotaDay quotaDay)
{
    public async Task<UsageSummary> GetAsync(UserRef actor, int days = 30, CancellationToken cancellationToken = default)
    {
        var runs = await quotas.GetStatusAsync(actor, QuotaKind.Runs, cancellationToken);
        var apiCalls = await quotas.GetStatusAsync(actor, QuotaKind.ApiCalls, cancellationToken);
        await using var db = reads.Open();
        var mine = db.CodeExecutions.AsNoTracking().Where(e => e.UserId == actor.Id);

        var byStatus = await mine.GroupBy(e => new { e.Status, e.IsApiCall })
            .Select(g => new { g.Key.Status, g.Key.IsApiCall, Count = g.Count(), Cpu = g.Sum(e => e.CpuMs) })
            .ToListAsync(cancellationToken);
        var total = byStatus.Sum(s => s.Count);
        var finished = byStatus.Where(s => s.Status != ExecutionStatus.Running).Sum(s => s.Count);
        var succeeded = byStatus.Where(s => s.Status == ExecutionStatus.Success).Sum(s => s.Count);

        var today = quotaDay.Today().Day;
        var first = today.AddDays(-(days - 1));
        var since = quotaDay.StartUtc(first);
        var recent = await mine.Where(e => e.CreatedAt >= since)
            .Select(e => new { e.CreatedAt, e.Status })
            .ToListAsync(cancellationToken);
        var perDay = Enumerable.Range(0, days).Select(i => first.AddDays(i)).Select(day => new DailyRunCounts(day,
            recent.Where(r => quotaDay.DayOf(r.CreatedAt) == day)
                .GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count()))).ToList();

        return new UsageSummary(actor.Level, quotas.LimitsFor(actor).Name, runs, apiCalls, total, byStatus.Where(s => s.IsApiCall).Sum(s => s.Count),
            succeeded, finished, byStatus.Sum(s => s.Cpu), perDay);
    }
}
