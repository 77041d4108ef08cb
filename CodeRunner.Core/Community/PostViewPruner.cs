using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Community;

/// <summary>
/// Deletes PostViews rows of past days, hourly. A row only decides whether today's view by that viewer still counts
/// (the count itself lives on Post.ViewCount), so without this the table grows by one row per viewer, post and day forever.
/// </summary>
public sealed class PostViewPruner(IServiceScopeFactory scopes, TimeProvider clock, ILogger<PostViewPruner> logger) : PeriodicCleanup(clock, logger)
{
    /// <summary>Rows deleted per statement, so the write lock is held for moments, not for the whole backlog.</summary>
    private const int BatchSize = 5000;

    protected override TimeSpan Interval => TimeSpan.FromHours(1);
    protected override string FailureMessage => "Pruning old post views failed; it will be retried";
    protected override Task<int> RunPassAsync(CancellationToken cancellationToken) => PruneAsync(cancellationToken);

    /// <summary>One pass: deletes every view row of a UTC day before today; returns how many.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var today = DateOnly.FromDateTime(Clock.GetUtcNow().UtcDateTime);
        var total = 0;
        int deleted;
        do
        {
            deleted = await db.PostViews.Where(v => v.Day < today).OrderBy(v => v.Id).Take(BatchSize).ExecuteDeleteAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == BatchSize);
        if (total > 0) logger.LogInformation("Deleted {Count} post view rows of past days", total);
        return total;
    }
}
