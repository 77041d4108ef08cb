using System.Globalization;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Backup;
using CodeRunner.Core.Common;
using CodeRunner.Web.Accounts;

namespace CodeRunner.Web.Admin;

/// <summary>Downloads of the admin console that are plain HTTP (a browser download shows its own progress): backups and audit CSV.</summary>
public static class AdminEndpoints
{
    public const string BackupDownloadPath = "/admin/backups/download/";
    public const string AuditExportPath = "/admin/audit/export.csv";
    public const string OwnActivityExportPath = "/account/activity/export.csv";

    public static IEndpointRouteBuilder MapAdminDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet(BackupDownloadPath + "{name}", async (string name, HttpContext http, BackupService backups, CancellationToken cancellationToken) =>
            {
                var actor = UserRef.FromPrincipal(http.User)!;
                try
                {
                    var stream = await backups.OpenReadAsync(actor, name, cancellationToken);
                    return Results.Stream(stream, "application/zip", fileDownloadName: name, enableRangeProcessing: true);
                }
                catch (NotFoundError)
                {
                    return Results.NotFound();
                }
            })
            .RequireAuthorization(Policies.Admin);

        app.MapGet(AuditExportPath, (HttpContext http, AuditQueries audit) =>
                CsvAsync(http, $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv", (actor, query, body, token) => audit.ExportCsvAsync(actor, query, body, token)))
            .RequireAuthorization(Policies.Admin);

        app.MapGet(OwnActivityExportPath, (HttpContext http, AuditQueries audit) =>
                CsvAsync(http, $"my-activity-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv", (actor, query, body, token) => audit.ExportOwnCsvAsync(actor, query, body, token)))
            .RequireAuthorization();
        return app;
    }

    /// <summary>The audit filter from the query string (the same names the pages put in their export links).</summary>
    public static AuditQuery QueryFrom(IQueryCollection query) => new(Search: query["q"], Status: query["status"])
    {
        Action = query["action"],
        ResourceType = query["type"],
        UserName = query["user"],
        IpAddress = query["ip"],
        FromUtc = Day(query["from"]),
        // "to" is a day, included: rows before the next midnight.
        ToUtc = Day(query["to"])?.AddDays(1),
    };

    /// <summary>The query string an export link carries for a filter (inverse of <see cref="QueryFrom"/>).</summary>
    public static string QueryString(AuditQuery query)
    {
        var pairs = new Dictionary<string, string?>
        {
            ["q"] = query.Search, ["status"] = query.Status, ["action"] = query.Action, ["type"] = query.ResourceType,
            ["user"] = query.UserName, ["ip"] = query.IpAddress,
            ["from"] = query.FromUtc?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to"] = query.ToUtc?.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        return Microsoft.AspNetCore.Http.QueryString.Create(pairs.Where(p => !string.IsNullOrWhiteSpace(p.Value))).ToUriComponent();
    }

    private static async Task CsvAsync(HttpContext http, string fileName, Func<UserRef, AuditQuery, Stream, CancellationToken, Task> write)
    {
        var actor = UserRef.FromPrincipal(http.User)!;
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        http.Response.Headers.CacheControl = "no-store";
        await write(actor, QueryFrom(http.Request.Query), http.Response.Body, http.RequestAborted);
    }

    private static DateTime? Day(string? value) =>
        DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day)
            ? DateTime.SpecifyKind(day, DateTimeKind.Utc) : null;
}
