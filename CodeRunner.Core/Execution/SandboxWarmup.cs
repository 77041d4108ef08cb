using CodeRunner.Sandbox;
using Microsoft.Extensions.Hosting;

namespace CodeRunner.Core.Execution;

/// <summary>
/// Starts the sandbox when the host starts (probe, leftover sweep, environment backend), awaited before the server
/// takes requests: the sandbox mode is logged at start-up and no page or API call waits for the probe or sees no runner.
/// </summary>
public sealed class SandboxWarmup(SandboxStartup sandbox) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => sandbox.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
