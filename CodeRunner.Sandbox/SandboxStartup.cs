using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Sandbox;

/// <summary>
/// Holds the sandbox singletons, built once by <see cref="StartAsync"/> (awaited by a hosted service when the host starts,
/// before the server takes requests); the DI registrations of the runner and the environment manager return them.
/// Resolving them before the start fails with a message that says so, instead of blocking on the probe.
/// </summary>
public sealed class SandboxStartup(IOptions<SandboxOptions> options, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private Started? started;

    private sealed record Started(SandboxCodeRunner Runner, IEnvironmentManager Environments);

    public SandboxCodeRunner Runner => Require().Runner;

    public IEnvironmentManager Environments => Require().Environments;

    /// <summary>Probes the sandbox and picks the environment backend; once (later calls return at once).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (started is not null) return;
            var runner = await SandboxCodeRunner.StartAsync(options.Value, loggerFactory.CreateLogger<SandboxCodeRunner>(), cancellationToken);
            try
            {
                var environments = await EnvironmentManagerFactory.CreateAsync(options.Value, runner.BaseInterpreter.Path, runner.Tools, loggerFactory, cancellationToken);
                Volatile.Write(ref started, new Started(runner, environments));
            }
            catch
            {
                await runner.DisposeAsync();
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private Started Require() => Volatile.Read(ref started) ?? throw new InvalidOperationException(
        "The sandbox is not started yet: resolve ICodeRunner, SandboxCodeRunner and IEnvironmentManager only after the host has started " +
        "(a hosted service awaits SandboxStartup.StartAsync, SandboxWarmup in the web app), or await SandboxStartup.StartAsync first.");

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref started) is { } current) await current.Runner.DisposeAsync();
    }
}
