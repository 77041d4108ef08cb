using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>Runner, isolation and environments, configured from the "Sandbox" section.</summary>
    public static IServiceCollection AddCodeRunnerSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        // Files and dirs the app creates (database, logs, keys, artifacts) are not readable by other local users.
        if (!OperatingSystem.IsWindows()) Processes.NativeMethods.umask(0b_000_010_111);
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName));
        services.AddSingleton<SandboxCodeRunner>();
        services.AddSingleton<ICodeRunner>(provider => provider.GetRequiredService<SandboxCodeRunner>());
        services.AddSingleton<IEnvironmentManager>(provider => EnvironmentManagerFactory.Create(
            provider.GetRequiredService<IOptions<SandboxOptions>>().Value,
            provider.GetRequiredService<SandboxCodeRunner>().BaseInterpreter.Path,
            provider.GetRequiredService<SandboxCodeRunner>().Tools,
            provider.GetRequiredService<ILoggerFactory>()));
        return services;
    }
}
