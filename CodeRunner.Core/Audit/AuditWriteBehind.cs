using System.Threading.Channels;
using CodeRunner.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Audit;

/// <summary>
/// Audit rows that are a usage record, not a security event (one per API call), written after the caller has its
/// answer: queued in memory and written in batches, all rows waiting at that moment in one commit. Rows still queued
/// when the process dies are lost (at most the calls of the last moment); the queue is drained when the app stops.
/// Security-relevant actions (sign-ins, failed keys, permission changes, deletions) keep <see cref="AuditService.RecordAsync(CodeRunner.Core.Common.UserRef?, string, string?, object?, object?, string, CancellationToken)"/>,
/// which commits before the action returns. Singleton.
/// </summary>
public sealed class AuditWriteBehind
{
    private const int MaxQueued = 10_000;
    private readonly Channel<object> queue = Channel.CreateBounded<object>(new BoundedChannelOptions(MaxQueued)
    {
        SingleReader = true,
        // A flood of calls must not grow memory without bound: past the cap the oldest usage rows give way.
        FullMode = BoundedChannelFullMode.DropOldest,
    });

    internal void Enqueue(AuditLog row) => queue.Writer.TryWrite(row);

    /// <summary>Completes when every row queued before this call is written (tests, shutdown).</summary>
    public Task FlushAsync()
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!queue.Writer.TryWrite(written)) written.TrySetResult();
        return written.Task;
    }

    internal ChannelReader<object> Reader => queue.Reader;
}

/// <summary>Writes what <see cref="AuditWriteBehind"/> queued, one batch per commit, as soon as rows arrive.</summary>
public sealed class AuditWriteBehindWriter(AuditWriteBehind queue, IServiceScopeFactory scopes, ILogger<AuditWriteBehindWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken)) await WriteAvailableAsync();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await WriteAvailableAsync();
    }

    private async Task WriteAvailableAsync()
    {
        var rows = new List<AuditLog>();
        var flushed = new List<TaskCompletionSource>();
        while (rows.Count < MaxBatchSize && queue.Reader.TryRead(out var item))
        {
            if (item is AuditLog row) rows.Add(row);
            else if (item is TaskCompletionSource marker) flushed.Add(marker);
        }
        try
        {
            if (rows.Count > 0)
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
                db.AuditLogs.AddRange(rows);
                await db.SaveChangesAsync(CancellationToken.None);
            }
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "{Count} queued audit rows could not be written", rows.Count);
        }
        finally
        {
            flushed.ForEach(f => f.TrySetResult());
        }
    }

    private const int MaxBatchSize = 500;
}
