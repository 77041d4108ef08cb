namespace CodeRunner.Core.Tiers;

/// <summary>Limits of one user level. A null count means unlimited.</summary>
public sealed class TierLimits
{
    public string Name { get; set; } = "";
    public int? RunsPerDay { get; set; }
    public int? ApiCallsPerDay { get; set; }
    public int TimeoutSeconds { get; set; } = 30;
    public int MemoryMb { get; set; } = 128;
    public int? MaxSnippets { get; set; }
    public int? MaxApiKeys { get; set; }
    /// <summary>Assistant requests a day on the team's default AI provider (a user's own provider is not counted).</summary>
    public int? AiRequestsPerDay { get; set; }
}

/// <summary>Tiers by level (1–4), bound from the "Tiers" configuration section; defaults from DESIGN.md.</summary>
public sealed class TierOptions
{
    public const string Section = "Tiers";

    public Dictionary<int, TierLimits> Levels { get; set; } = new()
    {
        [1] = new() { Name = "Free", RunsPerDay = 10, ApiCallsPerDay = 20, TimeoutSeconds = 30, MemoryMb = 128, MaxSnippets = 5, MaxApiKeys = 2, AiRequestsPerDay = 5 },
        [2] = new() { Name = "Basic", RunsPerDay = 50, ApiCallsPerDay = 100, TimeoutSeconds = 60, MemoryMb = 256, MaxSnippets = 20, MaxApiKeys = 5, AiRequestsPerDay = 30 },
        [3] = new() { Name = "Premium", RunsPerDay = 200, ApiCallsPerDay = 500, TimeoutSeconds = 120, MemoryMb = 512, MaxSnippets = 100, MaxApiKeys = 10, AiRequestsPerDay = 100 },
        [4] = new() { Name = "Enterprise", RunsPerDay = null, ApiCallsPerDay = null, TimeoutSeconds = 300, MemoryMb = 1024, MaxSnippets = null, MaxApiKeys = null, AiRequestsPerDay = null },
    };

    /// <summary>Limits for a level; unknown levels get the lowest tier.</summary>
    public TierLimits For(int level) =>
        Levels.TryGetValue(level, out var limits) ? limits : Levels[Levels.Keys.Min()];
}
