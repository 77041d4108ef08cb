using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Environments;

public static class EnvironmentsFeature
{
    /// <summary>Services of the Environments feature; called from AddCodeRunnerCore. Needs the sandbox's IEnvironmentManager and ICodeRunner.</summary>
    public static IServiceCollection AddEnvironmentsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<EnvironmentOperationLocks>();
        services.AddSingleton<PackageSourcesStore>();
        services.AddSingleton<EnvironmentStatsCache>();
        services.AddSingleton<BaseEnvironmentCatalog>();
        services.AddScoped<EnvironmentQueries>();
        services.AddScoped<EnvironmentOperationRunner>();
        services.AddScoped<EnvironmentLifecycleService>();
        services.AddScoped<PackageOperationService>();
        services.AddScoped<PackageSourcesService>();
        return services;
    }
}
