using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.ApiKeys;

public static class ApiKeysFeature
{
    /// <summary>Services of the ApiKeys feature; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddApiKeysFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<ApiKeyService>();
        services.AddSingleton<ApiKeyUsageBuffer>();
        services.AddHostedService<ApiKeyUsageFlusher>();
        return services;
    }
}
