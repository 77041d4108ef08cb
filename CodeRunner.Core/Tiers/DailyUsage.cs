namespace CodeRunner.Core.Tiers;

/// <summary>Per-user counters for one UTC day; incremented atomically so racing runs cannot pass the quota.</summary>
public class DailyUsage
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    /// <summary>UTC day the counters belong to.</summary>
    public DateOnly Day { get; set; }
    public int Runs { get; set; }
    public int ApiCalls { get; set; }
    /// <summary>Assistant requests served by the team's default AI provider.</summary>
    public int AiRequests { get; set; }
}
