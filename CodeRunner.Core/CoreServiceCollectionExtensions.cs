using CodeRunner.Core.Accounts;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Ai;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Community;
using CodeRunner.Core.Backup;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Coordination;
using CodeRunner.Core.Data;
using CodeRunner.Core.Tiers;
using CodeRunner.Sandbox;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>Database, Identity stores, options and the domain services.</summary>
    public static IServiceCollection AddCodeRunnerCore(this IServiceCollection services, IConfiguration configuration)
    {
        var dataDirectory = new DataDirectory(DataDirectory.Resolve(configuration["DataDirectory"]));
        services.AddSingleton(dataDirectory);
        services.AddSingleton(TimeProvider.System);
        services.AddScoped<RequestContext>();
        // Runs and environments live in the data directory unless configured elsewhere.
        services.PostConfigure<SandboxOptions>(options =>
        {
            if (string.IsNullOrWhiteSpace(configuration["Sandbox:RunsDirectory"])) options.RunsDirectory = dataDirectory.Sub("runs");
            if (string.IsNullOrWhiteSpace(configuration["Sandbox:EnvironmentsDirectory"])) options.EnvironmentsDirectory = dataDirectory.Sub("envs");
        });

        var provider = DatabaseConfiguration.ProviderOf(configuration);
        var connectionString = DatabaseConfiguration.ConnectionStringOf(configuration, provider, dataDirectory);
        // One configuration (singleton options, SQLite's interceptor included) for both kinds of context: the scoped one that
        // mutations and Identity share as their unit of work, and the short-lived ones reads open (ReadContexts).
        services.AddDbContextFactory<CodeRunnerDbContext>(options => options.UseCodeRunnerDatabase(provider, connectionString));
        services.AddSingleton<ReadContexts>();
        services.AddSingleton(new DatabaseSelection(provider));
        // Locks every web node on the database respects (one run per user, one operation per environment).
        services.AddSingleton(NodeIdentity.From(configuration));
        services.Configure<LeaseOptions>(configuration.GetSection(LeaseOptions.Section));
        services.AddSingleton<ILeaseStore, DatabaseLeases>();
        services.AddSingleton<RemoteRunStops>();
        services.AddHostedService(provider => provider.GetRequiredService<RemoteRunStops>());

        services.AddIdentityCore<AppUser>(options =>
            {
                options.SignIn.RequireConfirmedAccount = false;
                options.User.RequireUniqueEmail = true;
                options.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";
                options.Password.RequiredLength = 8;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<CodeRunnerDbContext>()
            .AddSignInManager<CodeRunnerSignInManager>()
            .AddClaimsPrincipalFactory<CodeRunnerClaimsFactory>()
            .AddDefaultTokenProviders();

        services.Configure<TierOptions>(configuration.GetSection(TierOptions.Section));
        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection(QuotaOptions.Section))
            .Validate(o => string.IsNullOrWhiteSpace(o.TimeZone) || TimeZoneInfo.TryFindSystemTimeZoneById(o.TimeZone.Trim(), out _),
                "Quotas:TimeZone is not a time zone this server knows (use an IANA id such as Asia/Shanghai).")
            .ValidateOnStart();
        services.AddSingleton<QuotaDay>();
        services.Configure<AdminBootstrapOptions>(configuration.GetSection(AdminBootstrapOptions.Section));

        services.AddScoped<AuditService>();
        services.AddSingleton<AuditWriteBehind>();
        services.AddHostedService<AuditWriteBehindWriter>();
        services.AddScoped<AccountService>();
        services.AddSingleton<SignInThrottle>();
        services.AddScoped<AuditQueries>();
        services.AddScoped<QuotaService>();
        services.AddSingleton<TierLimitGate>();
        services.AddAdminFeature(configuration);
        services.AddBackupFeature(configuration);

        services.AddExecutionFeature(configuration);
        services.AddLibraryFeature(configuration);
        services.AddApiKeysFeature(configuration);
        services.AddEnvironmentsFeature(configuration);
        services.AddCommunityFeature(configuration);
        services.AddAiFeature(configuration);
        return services;
    }
}
