using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Foundation;

/// <summary>Two instances of the real app (each its own process state and data dir) on one PostgreSQL database.</summary>
public sealed class TwoWebNodesFixture : IAsyncLifetime
{
    private PostgresTestDatabase? database;

    public CodeRunnerAppFactory NodeA { get; private set; } = null!;
    public CodeRunnerAppFactory NodeB { get; private set; } = null!;

    public Task InitializeAsync()
    {
        database = new PostgresTestDatabase("twonodes");
        NodeA = Node("node-a");
        NodeB = Node("node-b");
        // Started one after the other, as a rolling start would (the first applies the migrations).
        _ = NodeA.Services;
        _ = NodeB.Services;
        return Task.CompletedTask;
    }

    private CodeRunnerAppFactory Node(string name) => new RaceNodeFactory()
        .WithSetting("Database:Provider", "postgres")
        .WithSetting("ConnectionStrings:Default", database!.ConnectionString)
        .WithSetting("Node:Name", name)
        // A 10-a-day API tier; the per-user parallel cap and the per-key rate are raised so only the daily quota decides.
        .WithSetting("Tiers:Levels:1:ApiCallsPerDay", "10")
        .WithSetting("Execution:MaxQueuedRuns", "40")
        .WithSetting("Api:RateLimitPerMinute", "100");

    public async Task DisposeAsync()
    {
        await NodeA.DisposeAsync();
        await NodeB.DisposeAsync();
        database?.Dispose();
    }
}

/// <summary>A node whose per-user API parallel cap is out of the way (config binding appends to arrays, so it is set in code).</summary>
public sealed class RaceNodeFactory : CodeRunnerAppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.PostConfigure<ExecutionOptions>(o => o.ParallelApiRunsByLevel = [20, 20, 20, 20]));
    }
}

public class TwoWebNodesTests(TwoWebNodesFixture nodes) : IClassFixture<TwoWebNodesFixture>
{
    [Fact]
    public async Task Twenty_API_runs_raced_across_two_nodes_on_a_ten_a_day_tier_run_exactly_ten()
    {
        var user = await nodes.NodeA.CreateUserAsync(level: 1);
        var secret = (await nodes.NodeA.CreateKeyAsync(user, "race")).Secret;
        var clients = new[] { nodes.NodeA.BearerClient(secret), nodes.NodeB.BearerClient(secret) };
        foreach (var client in clients) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 20).Select(async i =>
        {
            await start.WaitAsync();
            return await clients[i % 2].PostAsJsonAsync("/api/v1/execute", new { code = $"print({i} * 2)" });
        }).ToList();
        start.Release(20);
        var responses = await Task.WhenAll(requests);

        var outcomes = new List<string>();
        foreach (var response in responses)
            outcomes.Add(response.StatusCode == HttpStatusCode.OK ? "200" : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var ok = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        Assert.True(ok == 10, string.Join("\n", outcomes));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(10, ok);
        Assert.Equal(10, refused.Count);
        foreach (var response in refused)
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("quota.api_calls_exhausted", problem.RootElement.GetProperty("code").GetString());
        }

        var (usage, runsByNode) = await nodes.NodeB.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            var used = await db.DailyUsages.Where(u => u.UserId == user.Id).SumAsync(u => u.ApiCalls);
            var byNode = await db.CodeExecutions.Where(e => e.UserId == user.Id && e.Status == ExecutionStatus.Success)
                .GroupBy(e => e.Node).Select(g => new { Node = g.Key, Count = g.Count() }).ToListAsync();
            return (used, byNode.ToDictionary(g => g.Node ?? "", g => g.Count));
        });
        Assert.Equal(10, usage);
        Assert.Equal(10, runsByNode.Values.Sum());
        Console.WriteLine($"two-node race: {ok} of 20 ran, {refused.Count} refused; runs by node: " +
            string.Join(", ", runsByNode.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
    }

    [Fact]
    public async Task A_page_run_going_on_one_node_refuses_a_second_run_of_that_user_on_the_other()
    {
        var user = CodeRunnerAppFactory.RefOf(await nodes.NodeA.CreateUserAsync(level: 2));
        await using var scopeA = nodes.NodeA.Services.CreateAsyncScope();
        var running = await scopeA.ServiceProvider.GetRequiredService<IExecutionService>()
            .StartAsync(user, new ExecutionRequest { Code = "import time\ntime.sleep(30)\n" }, ExecutionOrigin.Web, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<ConflictError>(() => nodes.NodeB.WithScopeAsync(sp => sp.GetRequiredService<IExecutionService>()
            .RunAsync(user, new ExecutionRequest { Code = "print(1)" }, ExecutionOrigin.Web, CancellationToken.None)));
        Assert.Equal("execution.already_running", refused.Code);

        await running.DisposeAsync();
        var next = await nodes.NodeB.WithScopeAsync(sp => sp.GetRequiredService<IExecutionService>()
            .RunAsync(user, new ExecutionRequest { Code = "print(2)" }, ExecutionOrigin.Web, CancellationToken.None));
        Assert.Equal(ExecutionStatus.Success, next.StatusName);
    }

    [Fact]
    public async Task The_admin_live_view_of_one_node_shows_and_stops_a_run_of_the_other()
    {
        var user = CodeRunnerAppFactory.RefOf(await nodes.NodeA.CreateUserAsync(level: 2));
        var admin = CodeRunnerAppFactory.RefOf(await nodes.NodeB.CreateUserAsync(isAdmin: true), isAdmin: true);
        await using var scopeA = nodes.NodeA.Services.CreateAsyncScope();
        await using var running = await scopeA.ServiceProvider.GetRequiredService<IExecutionService>()
            .StartAsync(user, new ExecutionRequest { Code = "import time\ntime.sleep(60)\n" }, ExecutionOrigin.Web, CancellationToken.None);

        var seen = await nodes.NodeB.WithScopeAsync(sp => sp.GetRequiredService<RunAdministration>().LiveRunsAsync(admin));
        var remote = Assert.Single(seen, r => r.ExecutionId == running.ExecutionId);
        Assert.Equal("node-a", remote.Node);
        Assert.Equal(user.UserName, remote.UserName);

        Assert.True(await nodes.NodeB.WithScopeAsync(sp => sp.GetRequiredService<RunAdministration>().StopAsync(admin, running.ExecutionId)));
        var outcome = await running.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExecutionStatus.Cancelled, outcome.StatusName);
    }

    [Fact]
    public async Task An_environment_operation_on_one_node_makes_the_other_node_see_it_busy()
    {
        var name = "env-" + Guid.NewGuid().ToString("N")[..8];
        var locksA = nodes.NodeA.Services.GetRequiredService<EnvironmentOperationLocks>();
        var locksB = nodes.NodeB.Services.GetRequiredService<EnvironmentOperationLocks>();
        await using (await locksA.AcquireAsync(name))
        {
            Assert.True(await locksB.IsBusyAsync(name.ToUpperInvariant()));
            var busy = await Assert.ThrowsAsync<ConflictError>(() => locksB.AcquireAsync(name));
            Assert.Equal("environments.busy", busy.Code);
        }
        Assert.False(await locksB.IsBusyAsync(name));
        await using (await locksB.AcquireAsync(name)) { }
    }

    [Fact]
    public async Task A_sign_in_cookie_made_on_one_node_opens_pages_on_the_other()
    {
        var user = await nodes.NodeA.CreateUserAsync();
        var clientA = nodes.NodeA.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var signIn = await HttpSignIn.SignInAsync(clientA, user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("coderunner.auth="));

        var clientB = nodes.NodeB.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/run");
        request.Headers.Add("Cookie", cookie);
        var page = await clientB.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        var stranger = nodes.NodeB.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Redirect, (await stranger.GetAsync("/run")).StatusCode);
    }
}
