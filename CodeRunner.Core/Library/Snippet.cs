namespace CodeRunner.Core.Library;

/// <summary>Saved code in a user's library (the seed's CodeLibrary).</summary>
public class Snippet
{
    public int Id { get; set; }
    public required string UserId { get; set; }
    public required string Title { get; set; }
    public string? Description { get; set; }
    public required string Code { get; set; }
    public string Language { get; set; } = "python";
    public bool IsPublic { get; set; }
    /// <summary>Comma-separated, lower-case tags.</summary>
    public string Tags { get; set; } = "";
    public string? EnvironmentName { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
