using CodeRunner.Sandbox.Environments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CodeRunner.Core.Environments;

/// <summary>
/// Builds the environment backend (and with it the sandbox runner) at start-up on a pool thread. Their
/// constructors probe tools synchronously; done lazily inside a Blazor render (which has a single-threaded
/// synchronization context) that blocking wait deadlocked the first page that asked for them.
/// </summary>
public sealed class EnvironmentBackendWarmup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        Task.Run(() => services.GetRequiredService<IEnvironmentManager>(), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
