using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Common;

/// <summary>
/// A cleanup pass at start and then every <see cref="Interval"/>; a failed pass is logged and retried at the next tick,
/// so one bad moment (a locked database, a busy disk) never stops the cleaning for good.
/// </summary>
public abstract class PeriodicCleanup(TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    protected abstract TimeSpan Interval { get; }

    /// <summary>What the log says when a pass fails.</summary>
    protected abstract string FailureMessage { get; }

    /// <summary>One pass; returns how many things it removed.</summary>
    protected abstract Task<int> RunPassAsync(CancellationToken cancellationToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, Clock);
        do
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
#pragma warning disable CA2254 // the message is a constant of each subclass
                logger.LogWarning(exception, FailureMessage);
#pragma warning restore CA2254
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
