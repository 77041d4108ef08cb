using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Coordination;

/// <summary>
/// 停止 for a run on another web node: the admin's node leaves a "stop:&lt;id&gt;" lease in the database, and the node
/// running it, which looks every two seconds for requests naming its live runs, kills the run (it ends as cancelled).
/// Only on a shared database; with one SQLite node every run is local and stopped directly.
/// </summary>
public sealed class RemoteRunStops(ILeaseStore leases, ActiveRuns activeRuns, NodeIdentity node, DatabaseSelection database,
    ILogger<RemoteRunStops> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    public bool Enabled => database.IsShared;
    public string NodeName => node.Name;

    /// <summary>Leaves the request; false when one is already pending. The request lease expires by itself.</summary>
    public async Task<bool> RequestAsync(long executionId, CancellationToken cancellationToken) =>
        await leases.TryAcquireAsync(Key(executionId), cancellationToken) is not null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var ids = activeRuns.Ids;
                if (ids.Count == 0) continue;
                var requested = await leases.HeldAsync(ids.Select(Key).ToList(), stoppingToken);
                foreach (var id in ids.Where(id => requested.Contains(Key(id))))
                    if (activeRuns.TryCancel(id)) logger.LogInformation("Run {ExecutionId} stopped at the request of another node", id);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not read stop requests from the database; retrying");
            }
        }
    }

    private static string Key(long executionId) => "stop:" + executionId;
}
