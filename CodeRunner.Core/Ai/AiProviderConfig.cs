namespace CodeRunner.Core.Ai;

/// <summary>An OpenAI-compatible provider a user configured for code generation.</summary>
public class AiProviderConfig
{
    public int Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }
    /// <summary>qwen, openai, claude, deepseek, ollama or custom.</summary>
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public string? BaseUrl { get; set; }
    /// <summary>Encrypted with ASP.NET Core Data Protection.</summary>
    public string? EncryptedApiKey { get; set; }
    public double Temperature { get; set; } = 0.2;
    public int MaxTokens { get; set; } = 2048;
    public bool IsActive { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
