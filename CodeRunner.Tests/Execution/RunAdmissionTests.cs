using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CodeRunner.Core.Common;
using CodeRunner.Core.Execution;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CodeRunner.Tests.Execution;

/// <summary>The machine-wide cap on sandboxes, its queue fair between users, and the per-user cap on API runs.</summary>
public sealed class RunAdmissionTests
{
    private static RunAdmission Admission(int maxRunning, int maxQueued) =>
        new(Options.Create(new ExecutionOptions { MaxConcurrentRuns = maxRunning, MaxQueuedRuns = maxQueued, QueueRetryAfterSeconds = 7 }), TimeProvider.System);

    [Fact]
    public async Task A_freed_slot_goes_to_the_next_user_in_turn_not_to_the_user_with_the_most_queued_runs()
    {
        var admission = Admission(maxRunning: 1, maxQueued: 10);
        var first = await admission.EnterAsync("alice", false, null, CancellationToken.None);
        var order = new List<string>();
        var waiting = new List<Task>();
        foreach (var user in new[] { "alice", "alice", "alice", "bob" })
            waiting.Add(admission.EnterAsync(user, false, null, CancellationToken.None).ContinueWith(t =>
            {
                lock (order) order.Add(user);
                t.Result.Dispose();
            }, TaskScheduler.Default));

        Assert.Equal(4, admission.Queued);
        first.Dispose();
        await Task.WhenAll(waiting);

        // alice queued three runs before bob's one: bob still goes second, not fourth.
        Assert.Equal(["alice", "bob", "alice", "alice"], order);
        Assert.Equal(0, admission.Running);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_with_a_retry_time()
    {
        var admission = Admission(maxRunning: 1, maxQueued: 1);
        using var running = await admission.EnterAsync("alice", false, null, CancellationToken.None);
        var queued = admission.EnterAsync("bob", false, null, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<QuotaExceededError>(() => admission.EnterAsync("carol", false, null, CancellationToken.None));

        Assert.Equal("execution.queue_full", refused.Code);
        Assert.True(refused.ResetsAtUtc > DateTime.UtcNow);
        Assert.False(queued.IsCompleted);
    }

    [Fact]
    public async Task Api_runs_of_one_user_are_capped_running_and_queued_together()
    {
        var admission = Admission(maxRunning: 10, maxQueued: 10);
        using var one = await admission.EnterAsync("alice", true, 2, CancellationToken.None);
        var two = await admission.EnterAsync("alice", true, 2, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<QuotaExceededError>(() => admission.EnterAsync("alice", true, 2, CancellationToken.None));
        Assert.Equal("execution.parallel_limit", refused.Code);
        using var otherUser = await admission.EnterAsync("bob", true, 2, CancellationToken.None);
        two.Dispose();
        using var again = await admission.EnterAsync("alice", true, 2, CancellationToken.None);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue()
    {
        var admission = Admission(maxRunning: 1, maxQueued: 5);
        var running = await admission.EnterAsync("alice", false, null, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = admission.EnterAsync("bob", false, null, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, admission.Queued);
        running.Dispose();
        Assert.Equal(0, admission.Running);
    }

    [Fact]
    public async Task An_api_caller_over_the_parallel_cap_gets_429_with_retry_after_and_a_stable_code()
    {
        await using var app = new CodeRunnerAppFactory().WithSetting("Execution:ParallelApiRunsByLevel:0", "1").WithSetting("Execution:QueueRetryAfterSeconds", "9");
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user);
        using var client = app.BearerClient(key.Secret);
        var slow = client.PostAsJsonAsync("/api/v1/execute", new { code = "import time\ntime.sleep(6)" });
        var admission = app.Services.GetRequiredService<RunAdmission>();
        while (admission.Running == 0 && !slow.IsCompleted) await Task.Delay(50);

        var response = await client.PostAsJsonAsync("/api/v1/execute", new { code = "print(1)" });

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("execution.parallel_limit", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
    }
}
