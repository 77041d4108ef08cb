using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Library;

public static class LibraryFeature
{
    /// <summary>Services of the Library feature; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddLibraryFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<SnippetService>();
        services.AddScoped<SnippetQueries>();
        return services;
    }
}
