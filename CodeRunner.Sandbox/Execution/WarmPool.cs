using System.Collections.Concurrent;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Execution;

/// <summary>Configuration section "Sandbox:WarmPool".</summary>
public sealed class WarmPoolOptions
{
    /// <summary>Sandboxes kept started ahead for the base environment (0 = no pool: every run is a cold start).</summary>
    public int Size { get; set; } = 2;
    /// <summary>Sandboxes kept ahead for each other environment, from its first run on (0 = cold starts only).</summary>
    public int EnvironmentSize { get; set; }
    /// <summary>At most this many environments keep a pool at once (the first ones used).</summary>
    public int MaxEnvironments { get; set; } = 8;
}

/// <summary>What a pool member was started for: runs with another interpreter, prefix or fixed disk quota start cold.</summary>
/// <param name="DiskQuotaBytes">0 when the run's file system is resized at claim (a per-run tmpfs); else the quota bwrap's own tmpfs got at start.</param>
internal sealed record PoolKey(string InterpreterPath, string EnvironmentPrefix, long DiskQuotaBytes);

/// <summary>A started sandbox waiting for its program (see <see cref="PoolBootstrap"/>), and its run directories.</summary>
internal sealed record PoolMember(PoolKey Key, RunningProcess Process, RunDirectories Directories);

/// <summary>Counts for the admin console: members ready now, their resident memory, runs served warm and cold.</summary>
public sealed record WarmPoolStatus(bool Enabled, int Ready, long IdleMemoryBytes, long WarmRuns, long ColdRuns);

/// <summary>
/// Sandboxes started ahead of demand, per environment: bwrap, rlimits and the interpreter are up and
/// blocked waiting for a program, so a run skips the interpreter start. Each member serves exactly one
/// run and is then thrown away with its directories, so nothing can pass from one run to the next.
/// A background loop refills what runs take, one start at a time (a refill never competes with the
/// run that triggered it for more than one core). An empty pool means a cold start, never a wait.
/// </summary>
internal sealed class WarmPool : IAsyncDisposable
{
    private readonly WarmPoolOptions options;
    private readonly string baseInterpreter;
    private readonly Func<PoolKey, PoolMember> startMember;
    private readonly Func<PoolMember, Task> discard;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<PoolKey, ConcurrentQueue<PoolMember>> members = new();
    private readonly SemaphoreSlim refill = new(0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task refillLoop;
    private long warmRuns;
    private long coldRuns;

    public WarmPool(WarmPoolOptions options, string baseInterpreter, Func<PoolKey, PoolMember> startMember, Func<PoolMember, Task> discard, ILogger logger)
    {
        this.options = options;
        this.baseInterpreter = baseInterpreter;
        this.startMember = startMember;
        this.discard = discard;
        this.logger = logger;
        refillLoop = Task.Run(RefillAsync);
    }

    /// <summary>Starts keeping members for <paramref name="key"/> (the base environment at start-up).</summary>
    public void Warm(PoolKey key)
    {
        if (TargetOf(key) == 0 || (!members.ContainsKey(key) && members.Count >= options.MaxEnvironments)) return;
        members.TryAdd(key, new ConcurrentQueue<PoolMember>());
        refill.Release();
    }

    /// <summary>A live member for <paramref name="key"/>, or null (cold start). Either way the pool refills in the background.</summary>
    public PoolMember? TryClaim(PoolKey key)
    {
        Warm(key);
        if (members.TryGetValue(key, out var queue))
        {
            while (queue.TryDequeue(out var member))
            {
                refill.Release();
                if (!member.Process.Completion.IsCompleted)
                {
                    Interlocked.Increment(ref warmRuns);
                    return member;
                }
                _ = discard(member);
            }
        }
        Interlocked.Increment(ref coldRuns);
        return null;
    }

    public WarmPoolStatus Status()
    {
        var ready = members.Values.SelectMany(q => q).Where(m => !m.Process.Completion.IsCompleted).ToList();
        // Every process of each member (bwrap, GNU time, the interpreter), file-backed pages counted once per member.
        var memory = ready.Sum(m => ProcessTree.ResidentBytes(ProcessTree.Sample(m.Process.Pid)));
        return new WarmPoolStatus(true, ready.Count, memory, Interlocked.Read(ref warmRuns), Interlocked.Read(ref coldRuns));
    }

    private int TargetOf(PoolKey key) => key.InterpreterPath == baseInterpreter && key.EnvironmentPrefix == BasePrefix(baseInterpreter)
        ? options.Size : options.EnvironmentSize;

    public static string BasePrefix(string interpreter) => Path.GetDirectoryName(Path.GetDirectoryName(interpreter)!)!;

    private async Task RefillAsync()
    {
        try
        {
            while (true)
            {
                await refill.WaitAsync(stopping.Token);
                foreach (var (key, queue) in members)
                {
                    while (!stopping.IsCancellationRequested && queue.Count(m => !m.Process.Completion.IsCompleted) < TargetOf(key))
                    {
                        try
                        {
                            queue.Enqueue(startMember(key));
                        }
                        catch (Exception exception)
                        {
                            logger.LogWarning(exception, "Could not start a warm sandbox for {Interpreter}; runs start cold", key.InterpreterPath);
                            await Task.Delay(TimeSpan.FromSeconds(5), stopping.Token);
                            break;
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await refillLoop;
        foreach (var queue in members.Values)
            while (queue.TryDequeue(out var member)) await discard(member);
        stopping.Dispose();
        refill.Dispose();
    }
}
