using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Environments;

public static class EnvironmentsFeature
{
    /// <summary>Services of the Environments feature; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddEnvironmentsFeature(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }
}
