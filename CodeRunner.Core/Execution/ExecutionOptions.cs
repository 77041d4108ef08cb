using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CodeRunner.Core.Execution;

/// <summary>Caps and retention of runs, bound from the "Execution" configuration section.</summary>
public sealed class ExecutionOptions
{
    public const string Section = "Execution";

    /// <summary>Largest program accepted, in UTF-8 bytes.</summary>
    public int MaxCodeBytes { get; set; } = 64 * 1024;
    /// <summary>Largest stdin given before the run, in UTF-8 bytes.</summary>
    public int MaxStdinBytes { get; set; } = 64 * 1024;
    /// <summary>Output kept in the CodeExecution row (characters); the live stream and the API result are capped by the sandbox.</summary>
    public int StoredOutputChars { get; set; } = 64 * 1024;
    /// <summary>Output the sandbox lets a program write before it is stopped with output_limit.</summary>
    public long MaxOutputBytes { get; set; } = 1024 * 1024;
    /// <summary>Artifacts of a run are deleted this long after the run.</summary>
    public double ArtifactRetentionHours { get; set; } = 24;
    public double ArtifactCleanupIntervalMinutes { get; set; } = 30;
    /// <summary>Sandboxes running at once on this machine; more runs wait in a queue fair between users.</summary>
    public int MaxConcurrentRuns { get; set; } = Math.Max(2, Environment.ProcessorCount * 2);
    /// <summary>Runs allowed to wait for a slot; beyond it callers get 429 with Retry-After.</summary>
    public int MaxQueuedRuns { get; set; } = 50;
    /// <summary>The Retry-After (seconds) sent when the queue is full or the per-user cap is reached.</summary>
    public int QueueRetryAfterSeconds { get; set; } = 5;
    private static readonly int[] DefaultParallelApiRunsByLevel = [1, 2, 4, 8];

    /// <summary>
    /// API runs one user may have running or queued on this node at once, by tier level 1-4 (admins: the last entry).
    /// Configured per index (<c>Execution:ParallelApiRunsByLevel:0</c> is level 1): see <see cref="ParallelApiRunsFrom"/>.
    /// </summary>
    public int[] ParallelApiRunsByLevel { get; set; } = [.. DefaultParallelApiRunsByLevel];
    /// <summary>One disk quota over a run's work dir, /tmp and /dev/shm (a tmpfs: also counted as the run's memory).</summary>
    public int DiskQuotaMb { get; set; } = 64;
    /// <summary>Files and directories a run may create in that quota.</summary>
    public int MaxFiles { get; set; } = 10_000;

    /// <summary>
    /// The defaults with each configured index in place of the default of that level (an index past the end adds a level).
    /// The configuration binder alone adds a configured array's entries after the defaults: ":0=3" gave [1, 2, 4, 8, 3].
    /// </summary>
    public static int[] ParallelApiRunsFrom(IConfigurationSection section)
    {
        var levels = DefaultParallelApiRunsByLevel.ToList();
        foreach (var entry in section.GetChildren())
        {
            if (string.IsNullOrWhiteSpace(entry.Value)) continue;
            if (!int.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index > 15
                || !int.TryParse(entry.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 1)
                throw new InvalidOperationException($"{entry.Path} = '{entry.Value}': use {section.Path}:<0-15> = a whole number of runs, at least 1.");
            while (levels.Count <= index) levels.Add(levels[^1]);
            levels[index] = value;
        }
        return [.. levels];
    }
}
