using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Ai;

public static class AiFeature
{
    /// <summary>Services of the AI assistant feature; called from AddCodeRunnerCore. Needs Data Protection (the web host adds it).</summary>
    public static IServiceCollection AddAiFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AiOptions>(configuration.GetSection(AiOptions.Section));
        services.AddSingleton<AiKeyProtector>();
        services.AddSingleton<AiChatClientFactory>();
        services.AddScoped<AiUsageRecorder>();
        services.AddScoped<AiConnectionTester>();
        services.AddScoped<AiProviderService>();
        services.AddScoped<AssistantService>();
        services.AddScoped<AiUsageQueries>();
        return services;
    }
}
