using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Community;

/// <summary>
/// Deletes PostViews rows of past days, hourly. A row only decides whether today's view by that viewer still counts
/// (the count itself lives on Post.ViewCount), so without this the table grows by one row per viewer, post and day forever.
/// </summary>
public sealed class PostViewPruner(IServiceScopeFactory scopes, TimeProvider clock, ILogger<PostViewPruner> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Rows deleted per statement, so the write lock is held for moments, not for the whole backlog.</summary>
    private const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Pruning old post views failed; it will be retried");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: deletes every view row of a UTC day before today; returns how many.</summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
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
