namespace CodeRunner.Web.Community;

/// <summary>
/// The feed page's tag filter row, shared by every viewer (it counts public posts only) and recomputed at most once per
/// <see cref="MaxAge"/>. Reading and counting the tags of the newest 1000 public posts was a third of the feed page's
/// server time (bench/ community, profiled); the row changes slowly, so a minute-old answer shows the same tags.
/// </summary>
public sealed class PopularTagsCache(TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private sealed record Entry(IReadOnlyList<string> Tags, DateTimeOffset ComputedAt);

    private volatile Entry? current;

    /// <summary>The cached tags while fresh, else <paramref name="compute"/>'s answer (kept for the next viewers).</summary>
    public async Task<IReadOnlyList<string>> GetAsync(Func<Task<IReadOnlyList<string>>> compute)
    {
        var now = clock.GetUtcNow();
        if (current is { } entry && now - entry.ComputedAt < MaxAge && now >= entry.ComputedAt) return entry.Tags;
        // Two viewers arriving together may both compute once; that is cheaper than making either wait on a lock.
        var tags = await compute();
        current = new Entry(tags, now);
        return tags;
    }
}
