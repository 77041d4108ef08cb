using System.Text.Json;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Audit;

/// <summary>Writes audit rows. Every mutating action of every feature goes through here.</summary>
public sealed class AuditService(CodeRunnerDbContext db, RequestContext request, AuditWriteBehind writeBehind, TimeProvider clock, ILogger<AuditService> logger)
{
    public async Task RecordAsync(UserRef? actor, string action, string? resourceType = null, object? resourceId = null,
        object? details = null, string status = AuditStatus.Success, CancellationToken cancellationToken = default)
    {
        await RecordAsync(actor?.Id, actor?.UserName, action, resourceType, resourceId, details, status, cancellationToken);
    }

    public async Task RecordAsync(string? userId, string? userName, string action, string? resourceType = null, object? resourceId = null,
        object? details = null, string status = AuditStatus.Success, CancellationToken cancellationToken = default)
    {
        var row = BuildRow(userId, userName, action, resourceType, resourceId, details, status);
        db.AuditLogs.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        Log(row);
    }

    /// <summary>
    /// A usage record that is not a security event (an API call): queued and written in a batch after the caller has
    /// its answer (<see cref="AuditWriteBehind"/>), so it costs the request no commit.
    /// </summary>
    public void RecordUsage(UserRef? actor, string action, string? resourceType = null, object? resourceId = null,
        object? details = null, string status = AuditStatus.Success)
    {
        var row = BuildRow(actor?.Id, actor?.UserName, action, resourceType, resourceId, details, status);
        writeBehind.Enqueue(row);
        Log(row);
    }

    private AuditLog BuildRow(string? userId, string? userName, string action, string? resourceType, object? resourceId, object? details, string status) =>
        // Everything is cut to its column before it is stored or logged: callers pass what strangers typed.
        new()
        {
            UserId = userId,
            UserName = Truncate(userName, AuditLog.MaxUserNameLength),
            Action = Truncate(action, AuditLog.MaxActionLength)!,
            ResourceType = Truncate(resourceType, AuditLog.MaxResourceTypeLength),
            ResourceId = Truncate(resourceId?.ToString(), AuditLog.MaxResourceIdLength),
            Details = BoundedDetails(details),
            IpAddress = Truncate(request.IpAddress, AuditLog.MaxIpAddressLength),
            UserAgent = Truncate(request.UserAgent, AuditLog.MaxUserAgentLength),
            Status = Truncate(status, AuditLog.MaxStatusLength)!,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };

    private void Log(AuditLog row) =>
        logger.LogInformation("audit {Action} by {User} on {ResourceType}/{ResourceId}: {Status}",
            row.Action, row.UserName ?? "-", row.ResourceType, row.ResourceId, row.Status);

    private static string? BoundedDetails(object? details)
    {
        if (details is null) return null;
        var json = JsonSerializer.Serialize(details);
        return json.Length <= AuditLog.MaxDetailsLength ? json : JsonSerializer.Serialize(new { truncated = true, length = json.Length });
    }

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
