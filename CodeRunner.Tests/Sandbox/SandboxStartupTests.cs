using CodeRunner.Sandbox;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeRunner.Tests.Sandbox;

/// <summary>The sandbox singletons come from an awaited start (no blocking constructor): before it they refuse, after it they are the started ones.</summary>
public sealed class SandboxStartupTests
{
    [Fact]
    public async Task The_runner_is_refused_in_plain_words_before_the_start_and_is_the_started_one_after_it()
    {
        var root = Path.Combine(Path.GetTempPath(), "coderunner-startup-" + Guid.NewGuid().ToString("N")[..8]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:RunsDirectory"] = Path.Combine(root, "runs"),
            ["Sandbox:EnvironmentsDirectory"] = Path.Combine(root, "envs"),
            ["Sandbox:PreferVenv"] = "true",
        }).Build();
        var services = new ServiceCollection().AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddCodeRunnerSandbox(configuration);
        var provider = services.BuildServiceProvider();
        try
        {
            var early = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ICodeRunner>());
            Assert.Contains("not started", early.Message);
            Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IEnvironmentManager>());

            var startup = provider.GetRequiredService<SandboxStartup>();
            await startup.StartAsync(CancellationToken.None);
            await startup.StartAsync(CancellationToken.None);   // a second start is a no-op, not a second probe

            Assert.Same(startup.Runner, provider.GetRequiredService<ICodeRunner>());
            Assert.Same(startup.Runner, provider.GetRequiredService<SandboxCodeRunner>());
            var environments = provider.GetRequiredService<IEnvironmentManager>();
            Assert.Equal("venv", environments.Backend.Kind);
            Assert.StartsWith("Python 3", environments.Backend.Version);
            // The start-up probe's verdict and the warm pool come with the started runner.
            Assert.True(startup.Runner.Info.IsIsolated, $"start-up probe: {startup.Runner.Info.Reason}");
            Assert.True(startup.Runner.WarmPool.Enabled);
        }
        finally
        {
            await provider.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }
}
