namespace CodeRunner.Core.ApiKeys;

/// <summary>A key for the REST API. Only the SHA-256 hash of the secret is stored; the secret is shown once.</summary>
public class ApiKey
{
    public int Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }
    /// <summary>First characters of the secret, shown in lists so people can tell keys apart.</summary>
    public required string Prefix { get; set; }
    /// <summary>Lower-case hex SHA-256 of the whole secret.</summary>
    public required string SecretHash { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime? LastUsedAt { get; set; }
    public long UsageCount { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
}
