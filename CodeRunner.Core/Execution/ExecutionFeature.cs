using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Execution;

public static class ExecutionFeature
{
    /// <summary>Services of the Execution feature; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddExecutionFeature(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }
}
