using CodeRunner.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Backup;

/// <summary>
/// Takes an automatic backup every <see cref="BackupOptions.IntervalHours"/> (none when 0) into data/backups and keeps
/// the newest <see cref="BackupOptions.Keep"/>. The next one is due one interval after the newest existing automatic backup,
/// so restarts do not pile them up; with none yet, the first comes an hour after the start (or one interval, if shorter).
/// </summary>
public sealed class BackupScheduler(IServiceScopeFactory scopes, IOptions<BackupOptions> options, DatabaseSelection database, TimeProvider clock,
    ILogger<BackupScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var hours = options.Value.IntervalHours;
        if (database.Provider != DatabaseProvider.Sqlite)
        {
            logger.LogInformation("Automatic backups are of the SQLite file; on PostgreSQL back up with pg_dump");
            return;
        }
        if (hours <= 0)
        {
            logger.LogInformation("Automatic backups are off (Backup:IntervalHours = {Hours})", hours);
            return;
        }
        var interval = TimeSpan.FromHours(hours);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(await DelayUntilDueAsync(interval), clock, stoppingToken);
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<BackupService>().CreateScheduledAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // A failed backup (disk full, PostgreSQL) must not stop the app; try again next interval.
                logger.LogError(exception, "Automatic backup failed");
                await Task.Delay(interval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<TimeSpan> DelayUntilDueAsync(TimeSpan interval)
    {
        await using var scope = scopes.CreateAsyncScope();
        var newest = scope.ServiceProvider.GetRequiredService<BackupService>().ListFiles().FirstOrDefault(b => b.Kind == BackupService.Automatic);
        if (newest is null) return interval < TimeSpan.FromHours(1) ? interval : TimeSpan.FromHours(1);
        var due = newest.CreatedAtUtc + interval - clock.GetUtcNow().UtcDateTime;
        return due < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : due;
    }
}
