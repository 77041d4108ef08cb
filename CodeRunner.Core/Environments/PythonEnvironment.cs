namespace CodeRunner.Core.Environments;

/// <summary>A user's Python environment under data/envs (the seed's UserEnvironment).</summary>
public class PythonEnvironment
{
    public int Id { get; set; }
    public required string OwnerId { get; set; }
    /// <summary>Unique directory name under data/envs.</summary>
    public required string Name { get; set; }
    public required string DisplayName { get; set; }
    public string? Description { get; set; }
    public required string PythonVersion { get; set; }
    /// <summary>conda yaml or requirements text the environment was created from.</summary>
    public string? Spec { get; set; }
    public bool IsPublic { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}
