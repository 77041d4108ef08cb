using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Web.Execution;

/// <summary>
/// Builds the sandbox singletons at start-up. Their constructors probe the machine synchronously; done lazily
/// inside a Blazor circuit (whose dispatcher has a synchronization context) that probe deadlocks the render.
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
