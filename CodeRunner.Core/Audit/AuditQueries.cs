using System.Globalization;
using System.Text;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Audit;

/// <summary>
/// Filter of the audit log. <see cref="Search"/> matches action, user name or an exact resource id; the other fields are
/// exact except <see cref="Action"/> (a prefix: "admin." finds every admin action) and <see cref="UserName"/> (contains).
/// Dates are UTC, <see cref="ToUtc"/> exclusive.
/// </summary>
public sealed record AuditQuery(string? Search = null, string? Status = null, int Page = 1, int PageSize = 20)
{
    public string? Action { get; init; }
    public string? ResourceType { get; init; }
    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public string? IpAddress { get; init; }
    public DateTime? FromUtc { get; init; }
    public DateTime? ToUtc { get; init; }
}

public sealed record AuditDayCounts(DateOnly Day, int Success, int Warning, int Error)
{
    public int Total => Success + Warning + Error;
}

public sealed record AuditCount(string Key, int Count);

/// <summary>A period of the audit log in numbers: per-day counts by status, the busiest actions and users, failed sign-ins by IP.</summary>
public sealed record AuditStatistics(DateOnly FirstDay, DateOnly LastDay, int Total, IReadOnlyList<AuditDayCounts> PerDay,
    IReadOnlyList<AuditCount> TopActions, IReadOnlyList<AuditCount> TopUsers, IReadOnlyList<AuditCount> FailedSignInsByIp);

/// <summary>Reads the audit log: everything for admins, their own rows for everyone (我的活动).</summary>
public sealed class AuditQueries(ReadContexts reads, TimeProvider clock)
{
    public const int MaxStatisticsDays = 366;
    public const int TopCount = 10;
    /// <summary>The export stops here; a filter narrows it.</summary>
    public const int MaxExportRows = 200_000;

    public async Task<PagedResult<AuditLog>> SearchAsync(UserRef actor, AuditQuery query, CancellationToken cancellationToken = default)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
        await using var db = reads.Open();
        return await PageAsync(Filter(db.AuditLogs.AsNoTracking(), query), query, cancellationToken);
    }

    /// <summary>The actor's own rows only, with the same filters (a user filter in the query cannot widen it).</summary>
    public async Task<PagedResult<AuditLog>> SearchOwnAsync(UserRef actor, AuditQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var own = db.AuditLogs.AsNoTracking().Where(a => a.UserId == actor.Id);
        return await PageAsync(Filter(own, query with { UserId = null, UserName = null }), query, cancellationToken);
    }

    /// <summary>Counts for the period of the query (default: the last 30 days), with its other filters applied.</summary>
    public async Task<AuditStatistics> StatisticsAsync(UserRef actor, AuditQuery query, CancellationToken cancellationToken = default)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var last = query.ToUtc is { } to ? DateOnly.FromDateTime(to.AddTicks(-1)) : today;
        var first = query.FromUtc is { } from ? DateOnly.FromDateTime(from) : last.AddDays(-29);
        if (first > last) first = last;
        if (last.DayNumber - first.DayNumber + 1 > MaxStatisticsDays) first = last.AddDays(-(MaxStatisticsDays - 1));
        await using var db = reads.Open();
        var rows = Filter(db.AuditLogs.AsNoTracking(), query with
        {
            FromUtc = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
            ToUtc = last.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc),
        });

        var perDayStatus = await rows.GroupBy(a => new { Day = a.CreatedAt.Date, a.Status })
            .Select(g => new { g.Key.Day, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        var perDay = Enumerable.Range(0, last.DayNumber - first.DayNumber + 1).Select(first.AddDays).Select(day =>
        {
            int Of(string status) => perDayStatus.Where(c => DateOnly.FromDateTime(c.Day) == day && c.Status == status).Sum(c => c.Count);
            return new AuditDayCounts(day, Of(AuditStatus.Success), Of(AuditStatus.Warning), Of(AuditStatus.Error));
        }).ToList();

        var topActions = await TopAsync(rows.GroupBy(a => a.Action), cancellationToken);
        var topUsers = await TopAsync(rows.Where(a => a.UserName != null).GroupBy(a => a.UserName!), cancellationToken);
        var failedSignIns = await TopAsync(rows.Where(a => a.Action == "account.signin" && a.Status != AuditStatus.Success).GroupBy(a => a.IpAddress ?? "-"), cancellationToken);
        return new AuditStatistics(first, last, perDay.Sum(d => d.Total), perDay, topActions, topUsers, failedSignIns);
    }

    /// <summary>
    /// Writes the filtered rows as CSV (UTF-8 with BOM, so Excel reads Chinese), newest first, streamed row by row from the
    /// database. Cells that a spreadsheet would run as a formula are neutralised (see <see cref="CsvCell"/>).
    /// </summary>
    public async Task ExportCsvAsync(UserRef actor, AuditQuery query, Stream output, CancellationToken cancellationToken = default)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
        await using var db = reads.Open();
        await WriteCsvAsync(Filter(db.AuditLogs.AsNoTracking(), query), output, cancellationToken);
    }

    /// <summary>The actor's own rows as CSV.</summary>
    public async Task ExportOwnCsvAsync(UserRef actor, AuditQuery query, Stream output, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        await WriteCsvAsync(Filter(db.AuditLogs.AsNoTracking().Where(a => a.UserId == actor.Id), query with { UserId = null, UserName = null }), output, cancellationToken);
    }

    /// <summary>Action names present in the log (for the filter's choices).</summary>
    public async Task<IReadOnlyList<string>> ActionsAsync(UserRef actor, bool own = false, CancellationToken cancellationToken = default)
    {
        if (!own && !actor.IsAdmin) throw new ForbiddenError();
        await using var db = reads.Open();
        var rows = db.AuditLogs.AsNoTracking();
        if (own) rows = rows.Where(a => a.UserId == actor.Id);
        return await rows.Select(a => a.Action).Distinct().OrderBy(a => a).ToListAsync(cancellationToken);
    }

    /// <summary>Resource types present in the log (for the filter's choices).</summary>
    public async Task<IReadOnlyList<string>> ResourceTypesAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
        await using var db = reads.Open();
        return await db.AuditLogs.AsNoTracking().Where(a => a.ResourceType != null).Select(a => a.ResourceType!).Distinct().OrderBy(t => t).ToListAsync(cancellationToken);
    }

    /// <summary>The <see cref="TopCount"/> biggest groups, counted and ordered in SQL.</summary>
    private static async Task<IReadOnlyList<AuditCount>> TopAsync(IQueryable<IGrouping<string, AuditLog>> groups, CancellationToken cancellationToken)
    {
        var top = await groups.Select(g => new { g.Key, Count = g.Count() })
            .OrderByDescending(c => c.Count).ThenBy(c => c.Key).Take(TopCount).ToListAsync(cancellationToken);
        return top.Select(c => new AuditCount(c.Key, c.Count)).ToList();
    }

    private static async Task<PagedResult<AuditLog>> PageAsync(IQueryable<AuditLog> rows, AuditQuery query, CancellationToken cancellationToken)
    {
        var pageSize = PagedResult<AuditLog>.ClampPageSize(query.PageSize);
        var page = Math.Max(1, query.Page);
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderByDescending(a => a.Id).Skip(PagedResult<AuditLog>.SkipFor(page, pageSize)).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<AuditLog>(items, total, page, pageSize);
    }

    private static IQueryable<AuditLog> Filter(IQueryable<AuditLog> rows, AuditQuery query)
    {
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            rows = rows.Where(a => a.Action.Contains(term) || (a.UserName != null && a.UserName.Contains(term)) || (a.ResourceId != null && a.ResourceId == term));
        }
        if (!string.IsNullOrWhiteSpace(query.Status)) rows = rows.Where(a => a.Status == query.Status);
        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            var action = query.Action.Trim();
            rows = rows.Where(a => a.Action.StartsWith(action));
        }
        if (!string.IsNullOrWhiteSpace(query.ResourceType)) rows = rows.Where(a => a.ResourceType == query.ResourceType);
        if (!string.IsNullOrWhiteSpace(query.UserId)) rows = rows.Where(a => a.UserId == query.UserId);
        if (!string.IsNullOrWhiteSpace(query.UserName))
        {
            var name = query.UserName.Trim();
            rows = rows.Where(a => a.UserName != null && a.UserName.Contains(name));
        }
        if (!string.IsNullOrWhiteSpace(query.IpAddress))
        {
            var ip = query.IpAddress.Trim();
            rows = rows.Where(a => a.IpAddress != null && a.IpAddress.StartsWith(ip));
        }
        if (query.FromUtc is { } from) rows = rows.Where(a => a.CreatedAt >= from);
        if (query.ToUtc is { } to) rows = rows.Where(a => a.CreatedAt < to);
        return rows;
    }

    private static async Task WriteCsvAsync(IQueryable<AuditLog> rows, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true), bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync("id,created_at_utc,user,user_id,action,resource_type,resource_id,status,ip,user_agent,details\r\n");
        await foreach (var row in rows.OrderByDescending(a => a.Id).Take(MaxExportRows).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await writer.WriteAsync(string.Join(',',
                row.Id.ToString(CultureInfo.InvariantCulture),
                row.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                CsvCell(row.UserName), CsvCell(row.UserId), CsvCell(row.Action), CsvCell(row.ResourceType), CsvCell(row.ResourceId),
                CsvCell(row.Status), CsvCell(row.IpAddress), CsvCell(row.UserAgent), CsvCell(row.Details)));
            await writer.WriteAsync("\r\n");
        }
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// One CSV field: quoted when needed (RFC 4180), and prefixed with ' when it starts with = + - @ (or a tab / carriage
    /// return), so a spreadsheet shows it as text instead of running it as a formula (CSV injection; OWASP's advice).
    /// </summary>
    public static string CsvCell(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
