using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Admin;

public static class AdminFeature
{
    /// <summary>Services of the admin console (users, runs, system, user levels); called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddAdminFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SystemOptions>(configuration.GetSection(SystemOptions.Section));
        services.AddSingleton<ActiveAdminGuard>();
        services.AddSingleton<OpenCircuitCounter>();
        services.AddSingleton<SystemInfoService>();
        services.AddScoped<UserAdministrationService>();
        services.AddScoped<UserDetailQueries>();
        services.AddScoped<RunAdministration>();
        services.AddSingleton<UserLevelsQuery>();
        return services;
    }
}
