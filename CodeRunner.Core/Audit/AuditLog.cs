namespace CodeRunner.Core.Audit;

public static class AuditStatus
{
    public const string Success = "success";
    public const string Error = "error";
    public const string Warning = "warning";
}

/// <summary>One recorded action (the seed's SystemLog).</summary>
public class AuditLog
{
    public long Id { get; set; }
    /// <summary>Null for anonymous actions (e.g. a failed sign-in for an unknown name).</summary>
    public string? UserId { get; set; }
    public string? UserName { get; set; }
    public required string Action { get; set; }
    public string? ResourceType { get; set; }
    public string? ResourceId { get; set; }
    /// <summary>JSON object with action-specific details; never secrets.</summary>
    public string? Details { get; set; }
    public string? IpAddress { get; set; }
    public string? UserAgent { get; set; }
    public string Status { get; set; } = AuditStatus.Success;
    public DateTime CreatedAt { get; set; }
}
