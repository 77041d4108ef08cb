using CodeRunner.Sandbox.Environments;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Sandbox;

public static class SandboxServiceCollectionExtensions
{
    /// <summary>Runner, isolation and environments, configured from the "Sandbox" section.</summary>
    public static IServiceCollection AddCodeRunnerSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        // Files and dirs the app creates (database, logs, keys, artifacts) are not readable by other local users.
        if (!OperatingSystem.IsWindows()) Processes.NativeMethods.umask(0b_000_010_111);
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName));
        // Built asynchronously when the host starts (SandboxStartup.StartAsync); the registrations hand out what it built.
        services.AddSingleton<SandboxStartup>();
        services.AddSingleton(provider => provider.GetRequiredService<SandboxStartup>().Runner);
        services.AddSingleton<ICodeRunner>(provider => provider.GetRequiredService<SandboxStartup>().Runner);
        services.AddSingleton(provider => provider.GetRequiredService<SandboxStartup>().Environments);
        return services;
    }
}
