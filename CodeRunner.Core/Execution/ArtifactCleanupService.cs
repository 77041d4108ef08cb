using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Execution;

/// <summary>Deletes kept artifacts once they are older than Execution:ArtifactRetentionHours.</summary>
public sealed class ArtifactCleanupService(IServiceScopeFactory scopes, IOptions<ExecutionOptions> options, TimeProvider clock, ILogger<ArtifactCleanupService> logger)
    : PeriodicCleanup(clock, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(Math.Max(1, options.Value.ArtifactCleanupIntervalMinutes));
    protected override string FailureMessage => "Artifact cleanup failed; it will be retried";
    protected override Task<int> RunPassAsync(CancellationToken cancellationToken) => CleanAsync(cancellationToken);

    /// <summary>One cleanup pass; returns how many runs lost their artifacts.</summary>
    public async Task<int> CleanAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var cutoff = Clock.GetUtcNow().UtcDateTime.AddHours(-options.Value.ArtifactRetentionHours);
        var expired = await db.CodeExecutions
            .Where(e => e.ArtifactDirectory != null && e.CreatedAt < cutoff && e.Status != ExecutionStatus.Running)
            .OrderBy(e => e.Id)     // oldest first, in batches
            .Take(500)
            .ToListAsync(cancellationToken);
        foreach (var row in expired)
        {
            DeleteRunDirectory(row.ArtifactDirectory!);
            row.ArtifactDirectory = null;
        }
        await db.SaveChangesAsync(cancellationToken);
        if (expired.Count > 0) logger.LogInformation("Deleted the artifacts of {Count} runs older than {Hours} h", expired.Count, options.Value.ArtifactRetentionHours);
        return expired.Count;
    }

    private void DeleteRunDirectory(string artifactDirectory)
    {
        try
        {
            if (Directory.Exists(artifactDirectory)) Directory.Delete(artifactDirectory, recursive: true);
            // runs/<id>/artifacts: the run's own dir goes too once nothing else is left in it.
            var runDirectory = Path.GetDirectoryName(Path.GetFullPath(artifactDirectory));
            if (runDirectory is not null && Directory.Exists(runDirectory) && !Directory.EnumerateFileSystemEntries(runDirectory).Any())
                Directory.Delete(runDirectory);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Could not delete artifacts at {Directory}", artifactDirectory);
        }
    }
}
