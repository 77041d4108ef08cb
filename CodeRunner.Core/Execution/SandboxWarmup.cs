using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CodeRunner.Core.Execution;

/// <summary>
/// Builds the sandbox singletons at start-up, so the sandbox mode is logged when the app starts and the first page
/// that needs them does not wait for the probe (a few short process starts).
/// </summary>
public sealed class SandboxWarmup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<ICodeRunner>();
        services.GetRequiredService<IEnvironmentManager>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
