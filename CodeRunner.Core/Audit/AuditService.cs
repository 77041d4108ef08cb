using System.Text.Json;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Audit;

/// <summary>Writes audit rows. Every mutating action of every feature goes through here.</summary>
public sealed class AuditService(CodeRunnerDbContext db, RequestContext request, TimeProvider clock, ILogger<AuditService> logger)
{
    public async Task RecordAsync(UserRef? actor, string action, string? resourceType = null, object? resourceId = null,
        object? details = null, string status = AuditStatus.Success, CancellationToken cancellationToken = default)
    {
        await RecordAsync(actor?.Id, actor?.UserName, action, resourceType, resourceId, details, status, cancellationToken);
    }

    public async Task RecordAsync(string? userId, string? userName, string action, string? resourceType = null, object? resourceId = null,
        object? details = null, string status = AuditStatus.Success, CancellationToken cancellationToken = default)
    {
        db.AuditLogs.Add(new AuditLog
        {
            UserId = userId,
            UserName = userName,
            Action = action,
            ResourceType = resourceType,
            ResourceId = resourceId?.ToString(),
            Details = details is null ? null : JsonSerializer.Serialize(details),
            IpAddress = request.IpAddress,
            UserAgent = Truncate(request.UserAgent, 512),
            Status = status,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("audit {Action} by {User} on {ResourceType}/{ResourceId}: {Status}", action, userName ?? "-", resourceType, resourceId, status);
    }

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}
