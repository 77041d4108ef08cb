using CodeRunner.Core.Common;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Execution;

/// <summary>
/// Who may start a sandbox now. A machine-wide cap on running sandboxes (Execution:MaxConcurrentRuns)
/// with a bounded queue that is fair between users: each user's runs wait in their own FIFO, and a
/// freed slot goes to the next user in turn, so one user's burst cannot starve everyone else. API
/// runs are also capped per user (running + queued, per tier: Execution:ParallelApiRunsByLevel).
/// A full queue or the per-user cap refuses at once with a 429-style <see cref="QuotaExceededError"/>
/// whose reset time is the Retry-After the API sends. Singleton, in memory.
/// </summary>
public sealed class RunAdmission(IOptions<ExecutionOptions> options, TimeProvider clock)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Queue<Waiter>> queues = new(StringComparer.Ordinal);
    /// <summary>Users with waiting runs, in the order their turn comes (round robin).</summary>
    private readonly LinkedList<string> turns = new();
    private readonly Dictionary<string, int> apiRunsByUser = new(StringComparer.Ordinal);
    private int running;
    private int queued;

    public int Running { get { lock (gate) return running; } }
    public int Queued { get { lock (gate) return queued; } }

    /// <summary>
    /// Waits for a sandbox slot (FIFO per user, round robin between users) and returns it; dispose it when the run has ended.
    /// <paramref name="apiParallelLimit"/> applies to API runs only (null = no per-user cap).
    /// </summary>
    public async Task<IDisposable> EnterAsync(string userId, bool isApi, int? apiParallelLimit, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        Waiter waiter;
        lock (gate)
        {
            if (isApi && apiParallelLimit is { } limit && apiRunsByUser.GetValueOrDefault(userId) >= limit)
                throw new QuotaExceededError("execution.parallel_limit", $"At most {limit} API runs at once on this tier.", limit, limit, RetryAt(settings));
            if (queued == 0 && running < Math.Max(1, settings.MaxConcurrentRuns))
            {
                running++;
                if (isApi) apiRunsByUser[userId] = apiRunsByUser.GetValueOrDefault(userId) + 1;
                return new Slot(this, userId, isApi);
            }
            if (queued >= settings.MaxQueuedRuns)
                throw new QuotaExceededError("execution.queue_full", "The run queue is full.", settings.MaxQueuedRuns, queued, RetryAt(settings));
            waiter = new Waiter(userId, isApi);
            if (isApi) apiRunsByUser[userId] = apiRunsByUser.GetValueOrDefault(userId) + 1;
            if (!queues.TryGetValue(userId, out var queue))
            {
                queues[userId] = queue = new Queue<Waiter>();
                turns.AddLast(userId);
            }
            queue.Enqueue(waiter);
            queued++;
        }
        await using var registration = cancellationToken.Register(() => Abandon(waiter));
        return await waiter.Granted.Task;
    }

    private DateTime RetryAt(ExecutionOptions settings) => clock.GetUtcNow().UtcDateTime.AddSeconds(Math.Max(1, settings.QueueRetryAfterSeconds));

    private void Abandon(Waiter waiter)
    {
        lock (gate)
        {
            if (waiter.Granted.Task.IsCompleted) return;
            var queue = queues[waiter.UserId];
            var remaining = queue.Where(w => w != waiter).ToList();
            queue.Clear();
            foreach (var other in remaining) queue.Enqueue(other);
            queued--;
            if (waiter.IsApi) DecrementApi(waiter.UserId);
            if (queue.Count == 0)
            {
                queues.Remove(waiter.UserId);
                turns.Remove(waiter.UserId);
            }
        }
        waiter.Granted.TrySetCanceled();
    }

    private void Release(string userId, bool isApi)
    {
        Waiter? next = null;
        lock (gate)
        {
            running--;
            if (isApi) DecrementApi(userId);
            if (turns.First is { } turn && running < Math.Max(1, options.Value.MaxConcurrentRuns))
            {
                var user = turn.Value;
                var queue = queues[user];
                next = queue.Dequeue();
                queued--;
                running++;
                turns.RemoveFirst();
                if (queue.Count > 0) turns.AddLast(user);
                else queues.Remove(user);
            }
        }
        next?.Granted.TrySetResult(new Slot(this, next.UserId, next.IsApi));
    }

    private void DecrementApi(string userId)
    {
        if (apiRunsByUser.TryGetValue(userId, out var count) && count > 1) apiRunsByUser[userId] = count - 1;
        else apiRunsByUser.Remove(userId);
    }

    private sealed class Waiter(string userId, bool isApi)
    {
        public string UserId { get; } = userId;
        public bool IsApi { get; } = isApi;
        public TaskCompletionSource<IDisposable> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Slot(RunAdmission owner, string userId, bool isApi) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.Release(userId, isApi);
        }
    }
}
