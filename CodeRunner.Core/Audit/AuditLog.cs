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
    // Column widths (the model reads them from here; AuditService enforces them because SQLite does not).
    public const int MaxUserNameLength = 256;
    public const int MaxActionLength = 64;
    public const int MaxResourceTypeLength = 64;
    public const int MaxResourceIdLength = 64;
    public const int MaxIpAddressLength = 64;
    public const int MaxUserAgentLength = 512;
    public const int MaxStatusLength = 16;
    /// <summary>Details JSON longer than this is replaced by a marker with its length.</summary>
    public const int MaxDetailsLength = 4096;

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
