using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Execution;

/// <summary>runs/&lt;id&gt;/work is the sandbox's only writable dir; runs/&lt;id&gt;/artifacts is kept after the run.</summary>
internal sealed record RunDirectories(string Root, string Work, string Artifacts)
{
    public static RunDirectories For(string runsDirectory, string runId)
    {
        var root = Path.Combine(runsDirectory, runId);
        return new RunDirectories(root, Path.Combine(root, "work"), Path.Combine(root, "artifacts"));
    }

    public void DeleteWork(bool keepRoot, ILogger logger)
    {
        try
        {
            Directory.Delete(keepRoot ? Work : Root, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Could not delete the work dir of run {RunDirectory}", Root);
        }
    }
}
