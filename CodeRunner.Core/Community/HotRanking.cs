namespace CodeRunner.Core.Community;

/// <summary>
/// The 热门 order. Reddit's "hot" formula: score = log10(max(1, engagement)) + age / 45000 s, where
/// engagement = likes + 2 × comments + 2 × favorites (a comment or a bookmark costs the reader more than a click).
/// The time term grows with the creation time, not with "now", so a post's score only changes when its counters
/// change: it can be stored and indexed, and the feed is an index range scan. Ten times the engagement buys
/// 12.5 hours of freshness: a post needs 10× the likes of one posted half a day later to rank above it.
/// </summary>
public static class HotRanking
{
    private static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public const double SecondsPerDecade = 45_000;

    public static double Score(int likes, int comments, int favorites, DateTime createdAtUtc)
    {
        var engagement = Math.Max(1, likes + 2 * comments + 2 * favorites);
        return Math.Log10(engagement) + (createdAtUtc - Epoch).TotalSeconds / SecondsPerDecade;
    }
}
