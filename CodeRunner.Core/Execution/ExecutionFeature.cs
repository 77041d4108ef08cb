using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Execution;

public static class ExecutionFeature
{
    /// <summary>Services of the Execution feature; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddExecutionFeature(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(ExecutionOptions.Section);
        services.Configure<ExecutionOptions>(section);
        services.Configure<ExecutionOptions>(options =>
            options.ParallelApiRunsByLevel = ExecutionOptions.ParallelApiRunsFrom(section.GetSection(nameof(ExecutionOptions.ParallelApiRunsByLevel))));
        services.AddSingleton<ActiveRuns>();
        services.AddSingleton<RunAdmission>();
        services.AddScoped<IExecutionService, ExecutionService>();
        services.AddScoped<ExecutionQueries>();
        services.AddScoped<UsageQueries>();
        services.AddSingleton<ArtifactCleanupService>();
        services.AddHostedService(provider => provider.GetRequiredService<ArtifactCleanupService>());
        return services;
    }
}
