using System.Collections.Concurrent;
using System.Globalization;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// Removes what runs leave behind without ever blocking a run's result: a run's file system is
/// unmounted (one syscall, whatever it holds) or, without one, removed by GNU rm (fts: any depth,
/// any byte in a name, after granting us the modes a program took away). Finished runs are queued
/// (<see cref="ScheduleRemoval"/>) and removed by one thread of the sweeper's own: an unmount waits
/// for the kernel's RCU grace period, measured at 1–90 ms, which a run's result must not wait for.
/// What cannot be removed now is retried every minute and at start-up, and counted for the admin console and logs.
/// </summary>
public sealed class RunDirectorySweeper : IAsyncDisposable
{
    private static readonly TimeSpan RemoveTimeout = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, byte> pending = new(StringComparer.Ordinal);
    private readonly string runsDirectory;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task retryLoop;
    private readonly BlockingCollection<(RunDirectories Directories, bool KeepRoot)> queued = [];
    private readonly Thread remover;
    private int queuedCount;

    public RunDirectorySweeper(string runsDirectory, ILogger logger, TimeSpan? retryInterval = null)
    {
        this.runsDirectory = Path.GetFullPath(runsDirectory);
        this.logger = logger;
        retryLoop = RetryAsync(retryInterval ?? TimeSpan.FromMinutes(1));
        remover = new Thread(RemoveQueued) { IsBackground = true, Name = "run directory remover" };
        remover.Start();
    }

    /// <summary>Directories waiting for another removal attempt.</summary>
    public int PendingCount => pending.Count;

    /// <summary>Finished runs whose directories are queued and not removed yet.</summary>
    public int QueuedCount => Volatile.Read(ref queuedCount);

    /// <summary>Removes a finished run's directories soon, on the sweeper's thread; returns at once.</summary>
    internal void ScheduleRemoval(RunDirectories directories, bool keepRoot)
    {
        Interlocked.Increment(ref queuedCount);
        try
        {
            queued.Add((directories, keepRoot));
        }
        catch (InvalidOperationException)
        {
            // Shutting down: remove it here rather than leave it mounted.
            Interlocked.Decrement(ref queuedCount);
            RemoveRunAsync(directories, keepRoot).GetAwaiter().GetResult();
        }
    }

    /// <summary>Waits until every removal queued so far is done (tests; shutdown drains the queue itself).</summary>
    public async Task WhenQueueEmptyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (QueuedCount > 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
    }

    private void RemoveQueued()
    {
        foreach (var (directories, keepRoot) in queued.GetConsumingEnumerable())
        {
            // Never throws; a plain work dir (no mount) is removed by rm, which this thread may wait for.
            RemoveRunAsync(directories, keepRoot).GetAwaiter().GetResult();
            Interlocked.Decrement(ref queuedCount);
        }
    }

    /// <summary>Leftovers found at start-up (a crash or restart during runs): unmounts run file systems and removes work dirs, keeps artifacts.</summary>
    public async Task<int> SweepLeftoversAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var mountPoint in MountPointsUnder(runsDirectory))
        {
            NativeMethods.umount2(mountPoint, NativeMethods.MNT_DETACH);
            count++;
        }
        if (!Directory.Exists(runsDirectory)) return count;
        foreach (var run in Directory.EnumerateDirectories(runsDirectory))
        {
            foreach (var leftover in new[] { RunDirectories.FileSystemName, "work" }.Select(name => Path.Combine(run, name)).Where(Directory.Exists))
            {
                count++;
                await RemoveAsync(leftover, cancellationToken);
            }
            // A run of this process may finish (and be removed by the sweeper's thread) meanwhile.
            try
            {
                if (!Directory.EnumerateFileSystemEntries(run).Any()) TryDeleteEmpty(run);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        if (count > 0) logger.LogWarning("Removed {Count} leftover run directories under {RunsDirectory}", count, runsDirectory);
        return count;
    }

    /// <summary>Removes a run's file system or work dir; never throws. False (and queued for retry) when something is left.</summary>
    internal async Task<bool> RemoveRunAsync(RunDirectories directories, bool keepRoot)
    {
        try
        {
            var removed = false;
            if (directories.IsMounted)
            {
                if (NativeMethods.umount2(directories.FileSystem, NativeMethods.MNT_DETACH) == 0)
                {
                    Directory.Delete(directories.FileSystem);
                    removed = true;
                }
                else logger.LogWarning("Could not unmount the file system of run {RunDirectory}", directories.Root);
            }
            if (!removed) removed = await RemoveAsync(directories.FileSystem, CancellationToken.None);
            if (removed && !keepRoot) TryDeleteEmpty(directories.Root);
            return removed;
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Cleanup of run {RunDirectory} failed; it will be retried", directories.Root);
            pending.TryAdd(directories.FileSystem, 0);
            return false;
        }
    }

    /// <summary>rm -rf with a time limit; on failure the path is queued for the retry loop.</summary>
    public async Task<bool> RemoveAsync(string path, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            pending.TryRemove(path, out _);
            return true;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RemoveTimeout);
        try
        {
            // A program may have taken our search or write permission away (non-root hosts): give it back, never following links.
            if (NativeMethods.geteuid() != 0)
                await CommandRunner.ExecuteBufferedAsync(new ProcessCommand("chmod", ["-R", "u+rwx", "--", path]), timeout.Token);
            var result = await CommandRunner.ExecuteBufferedAsync(new ProcessCommand("rm", ["-rf", "--one-file-system", "--", path]), timeout.Token);
            if (result.Status.Succeeded && !Directory.Exists(path))
            {
                pending.TryRemove(path, out _);
                return true;
            }
            logger.LogWarning("Could not remove {Path}: {Error}", path, result.StandardError.Trim());
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not remove {Path}", path);
        }
        pending.TryAdd(path, 0);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        queued.CompleteAdding();
        await Task.Run(remover.Join);
        queued.Dispose();
        await stopping.CancelAsync();
        try { await retryLoop; } catch (OperationCanceledException) { }
        stopping.Dispose();
    }

    private async Task RetryAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token))
            {
                foreach (var path in pending.Keys.ToList()) await RemoveAsync(path, stopping.Token);
                if (!pending.IsEmpty) logger.LogWarning("{Count} run directories could not be removed yet: {Paths}", pending.Count, string.Join(", ", pending.Keys.Take(5)));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void TryDeleteEmpty(string directory)
    {
        try { Directory.Delete(directory); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Mount points under <paramref name="root"/>, deepest first (from /proc/self/mountinfo, octal escapes decoded).</summary>
    private static IEnumerable<string> MountPointsUnder(string root)
    {
        if (!File.Exists("/proc/self/mountinfo")) return [];
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]))
            .Where(mountPoint => mountPoint.StartsWith(root + "/", StringComparison.Ordinal))
            .OrderByDescending(mountPoint => mountPoint.Length)
            .ToList();
    }

    private static string Unescape(string value)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 3 < value.Length && int.TryParse(value.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                builder.Append((char)Convert.ToInt32(value.Substring(i + 1, 3), 8));
                i += 3;
            }
            else builder.Append(value[i]);
        }
        return builder.ToString();
    }
}
