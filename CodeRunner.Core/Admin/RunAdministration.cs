using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Coordination;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Admin;

/// <summary>Filter of the admin run list. Dates are UTC; <see cref="ToUtc"/> is exclusive.</summary>
public sealed record AdminRunFilter
{
    public string? UserId { get; init; }
    /// <summary>Part of a user name (when no <see cref="UserId"/>).</summary>
    public string? UserName { get; init; }
    public string? Status { get; init; }
    public string? EnvironmentName { get; init; }
    public ExecutionOrigin? Origin { get; init; }
    public DateTime? FromUtc { get; init; }
    public DateTime? ToUtc { get; init; }
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 20;
}

/// <summary>Everyone's runs for admins: the filtered list, totals per day, the live view and 停止.</summary>
public sealed class RunAdministration(ReadContexts reads, ActiveRuns activeRuns, RemoteRunStops remoteStops, AuditService audit, TimeProvider clock)
{
    public const int MaxChartDays = 366;

    public async Task<PagedResult<ExecutionSummary>> SearchAsync(UserRef actor, AdminRunFilter filter, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        await using var db = reads.Open();
        var query = Filter(db, filter);
        return await ExecutionQueries.PageAsync(db, query, filter.Page, filter.PageSize, cancellationToken);
    }

    /// <summary>
    /// Runs per UTC day by status for the filter's period (default: the last 30 days; at most <see cref="MaxChartDays"/>),
    /// one entry for every day including empty ones, so a chart has no gaps.
    /// </summary>
    public async Task<IReadOnlyList<DailyRunCounts>> DailyTotalsAsync(UserRef actor, AdminRunFilter filter, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        var (first, last) = DayRange(filter.FromUtc, filter.ToUtc, clock);
        var since = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var until = last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var db = reads.Open();
        var query = Filter(db, filter with { FromUtc = null, ToUtc = null }).Where(e => e.CreatedAt >= since && e.CreatedAt < until);
        // Grouped in SQL (DateTime.Date translates to SQLite's 'start of day'), not row by row in memory.
        var counts = await query.GroupBy(e => new { Day = e.CreatedAt.Date, e.Status })
            .Select(g => new { g.Key.Day, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(first.AddDays).Select(day => new DailyRunCounts(day,
            counts.Where(c => DateOnly.FromDateTime(c.Day) == day).ToDictionary(c => c.Status, c => c.Count))).ToList();
    }

    /// <summary>
    /// Runs in progress right now (both origins), with elapsed time, CPU and memory; on a shared database also the runs of
    /// the other web nodes, read from the database (with their node's name; their CPU and memory show on their node).
    /// </summary>
    public async Task<IReadOnlyList<LiveRunInfo>> LiveRunsAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        var local = activeRuns.Snapshot();
        if (!remoteStops.Enabled) return local;
        var now = clock.GetUtcNow().UtcDateTime;
        var localIds = local.Select(r => r.ExecutionId).ToList();
        await using var db = reads.Open();
        var others = await (from e in db.CodeExecutions.AsNoTracking()
                            where e.Status == ExecutionStatus.Running && e.Node != remoteStops.NodeName && !localIds.Contains(e.Id)
                            join u in db.Users on e.UserId equals u.Id
                            select new { e.Id, e.UserId, u.UserName, e.IsApiCall, e.EnvironmentName, e.CreatedAt, e.Node }).ToListAsync(cancellationToken);
        return local.Concat(others.Select(o => new LiveRunInfo(o.Id, o.UserId, o.UserName ?? "", o.IsApiCall ? ExecutionOrigin.Api : ExecutionOrigin.Web,
                o.EnvironmentName, o.CreatedAt, now - o.CreatedAt, TimeSpan.Zero, 0, o.Node ?? "")))
            .OrderBy(r => r.StartedAtUtc).ThenBy(r => r.ExecutionId).ToList();
    }

    /// <summary>Stops anyone's run (it ends as cancelled and is recorded so). False when it had already ended.</summary>
    public async Task<bool> StopAsync(UserRef actor, long executionId, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        var run = activeRuns.Find(executionId);
        if (run is null)
        {
            // Another node's run: that node stops it when it sees the request (within a few seconds).
            run = (await LiveRunsAsync(actor, cancellationToken)).FirstOrDefault(r => r.ExecutionId == executionId && r.Node is not null);
            if (run is null || !await remoteStops.RequestAsync(executionId, cancellationToken)) return false;
        }
        else if (!activeRuns.TryCancel(executionId)) return false;
        await audit.RecordAsync(actor, "admin.run_stop", "execution", executionId,
            new { owner = run.UserName, elapsedMs = (long)run.Elapsed.TotalMilliseconds, origin = run.Origin.ToString().ToLowerInvariant() },
            cancellationToken: cancellationToken);
        return true;
    }

    private static IQueryable<CodeExecution> Filter(CodeRunnerDbContext db, AdminRunFilter filter)
    {
        var query = db.CodeExecutions.AsNoTracking();
        if (!string.IsNullOrEmpty(filter.UserId)) query = query.Where(e => e.UserId == filter.UserId);
        else if (!string.IsNullOrWhiteSpace(filter.UserName))
        {
            var term = filter.UserName.Trim();
            query = query.Where(e => db.Users.Any(u => u.Id == e.UserId && u.UserName!.Contains(term)));
        }
        if (!string.IsNullOrEmpty(filter.Status)) query = query.Where(e => e.Status == filter.Status);
        if (!string.IsNullOrEmpty(filter.EnvironmentName)) query = query.Where(e => e.EnvironmentName == filter.EnvironmentName);
        if (filter.Origin is { } origin)
        {
            var api = origin == ExecutionOrigin.Api;
            query = query.Where(e => e.IsApiCall == api);
        }
        if (filter.FromUtc is { } from) query = query.Where(e => e.CreatedAt >= from);
        if (filter.ToUtc is { } to) query = query.Where(e => e.CreatedAt < to);
        return query;
    }

    /// <summary>First and last UTC day of a period; defaults to the last 30 days and is capped at <see cref="MaxChartDays"/>.</summary>
    internal static (DateOnly First, DateOnly Last) DayRange(DateTime? fromUtc, DateTime? toUtc, TimeProvider clock)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        // ToUtc is exclusive: a period ending at midnight does not include that day.
        var last = toUtc is { } to ? DateOnly.FromDateTime(to.AddTicks(-1)) : today;
        var first = fromUtc is { } from ? DateOnly.FromDateTime(from) : last.AddDays(-29);
        if (first > last) first = last;
        if (last.DayNumber - first.DayNumber + 1 > MaxChartDays) first = last.AddDays(-(MaxChartDays - 1));
        return (first, last);
    }
}
