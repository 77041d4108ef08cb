using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Backup;

public static class BackupFeature
{
    /// <summary>Backups, restore and the schedule; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddBackupFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<BackupOptions>(configuration.GetSection(BackupOptions.Section));
        services.AddSingleton<BackupCoordinator>();
        services.AddScoped<BackupService>();
        services.AddScoped<BackupRestoreService>();
        services.AddHostedService<BackupScheduler>();
        return services;
    }
}
