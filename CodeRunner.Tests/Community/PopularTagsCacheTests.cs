using CodeRunner.Tests.Tiers;
using CodeRunner.Web.Community;

namespace CodeRunner.Tests.Community;

/// <summary>The feed's tag row is shared for a minute, then recomputed (so new tags show up without a restart).</summary>
public class PopularTagsCacheTests
{
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
    private int computed;

    private Func<Task<IReadOnlyList<string>>> Compute(params string[] tags) => () =>
    {
        computed++;
        return Task.FromResult<IReadOnlyList<string>>(tags);
    };

    [Fact]
    public async Task Viewers_within_a_minute_share_one_computation_and_the_next_minute_sees_new_tags()
    {
        var cache = new PopularTagsCache(clock);
        Assert.Equal(["python"], await cache.GetAsync(Compute("python")));

        clock.Now += PopularTagsCache.MaxAge - TimeSpan.FromSeconds(1);
        Assert.Equal(["python"], await cache.GetAsync(Compute("numpy")));
        Assert.Equal(1, computed);

        clock.Now += TimeSpan.FromSeconds(1);
        Assert.Equal(["numpy"], await cache.GetAsync(Compute("numpy")));
        Assert.Equal(2, computed);
    }

    [Fact]
    public async Task A_clock_set_back_recomputes_instead_of_keeping_the_row_longer()
    {
        var cache = new PopularTagsCache(clock);
        await cache.GetAsync(Compute("python"));
        clock.Now -= TimeSpan.FromHours(1);
        Assert.Equal(["web"], await cache.GetAsync(Compute("web")));
        Assert.Equal(2, computed);
    }
}
