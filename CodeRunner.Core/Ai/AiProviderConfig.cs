namespace CodeRunner.Core.Ai;

/// <summary>
/// An OpenAI-compatible provider the assistant talks to. A user owns at most a few (one active);
/// the row without a user is the team's default provider, which admins configure.
/// </summary>
public class AiProviderConfig
{
    public int Id { get; set; }
    /// <summary>The owner; null for the team's default provider.</summary>
    public string? UserId { get; set; }
    public required string Name { get; set; }
    /// <summary>One of <see cref="AiProviderKinds"/>: qwen, deepseek, openai, claude, ollama or custom.</summary>
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public string? BaseUrl { get; set; }
    /// <summary>Encrypted with ASP.NET Core Data Protection (<see cref="AiKeyProtector"/>); never leaves Core in clear.</summary>
    public string? EncryptedApiKey { get; set; }
    /// <summary>The key's last 4 characters, the only part a page may show.</summary>
    public string? ApiKeyHint { get; set; }
    public double Temperature { get; set; } = 0.2;
    public int MaxTokens { get; set; } = 2048;
    public bool IsActive { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>One assistant request, for usage pages and the admin console. Never holds the prompt or the key.</summary>
public class AiUsageRecord
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    /// <summary>The provider row used (null once it is deleted).</summary>
    public int? ProviderConfigId { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    /// <summary>generate, fix, explain_code, explain_error, optimize or test.</summary>
    public required string Action { get; set; }
    /// <summary>True when the team's default provider served it (and the daily AI quota was used).</summary>
    public bool UsedTeamDefault { get; set; }
    /// <summary>Token counts as the provider reported them; null when it did not.</summary>
    public int? TokensIn { get; set; }
    public int? TokensOut { get; set; }
    public long DurationMs { get; set; }
    public bool Succeeded { get; set; }
    /// <summary>The failure's error code (ai.unauthorized ...), or "cancelled".</summary>
    public string? ErrorCode { get; set; }
    public DateTime CreatedAt { get; set; }
}
