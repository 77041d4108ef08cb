using System.Security.Cryptography;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Coordination;
using CodeRunner.Core.Execution;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Data;

public static class DatabaseInitializer
{
    /// <summary>Applies migrations, marks runs interrupted by a previous crash, and creates the first admin.</summary>
    public static async Task InitializeDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<CodeRunnerDbContext>();
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("CodeRunner.Database");

        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
            // WAL lets readers (pages, API) proceed while a run is being recorded.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);

        // Only this node's runs: the other nodes on a shared database are still running theirs.
        var node = sp.GetRequiredService<NodeIdentity>().Name;
        var interrupted = await db.CodeExecutions
            .Where(e => e.Status == ExecutionStatus.Running && (e.Node == node || e.Node == null))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, ExecutionStatus.Failed), cancellationToken);
        if (interrupted > 0)
            logger.LogWarning("{Count} runs were still marked running from a previous process; marked failed", interrupted);

        await EnsureAdminAsync(sp, logger);
    }

    private static async Task EnsureAdminAsync(IServiceProvider sp, ILogger logger)
    {
        var roles = sp.GetRequiredService<RoleManager<IdentityRole>>();
        if (!await roles.RoleExistsAsync(UserRef.AdminRole))
            await roles.CreateAsync(new IdentityRole(UserRef.AdminRole));

        var users = sp.GetRequiredService<UserManager<AppUser>>();
        if ((await users.GetUsersInRoleAsync(UserRef.AdminRole)).Count > 0) return;

        var options = sp.GetRequiredService<IOptions<AdminBootstrapOptions>>().Value;
        var generated = string.IsNullOrWhiteSpace(options.InitialPassword);
        var password = generated ? GeneratePassword() : options.InitialPassword!;
        var admin = new AppUser
        {
            UserName = options.UserName,
            Email = options.Email,
            EmailConfirmed = true,
            Level = 4,
            MustChangePassword = true,
            CreatedAt = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
        };
        var created = await users.CreateAsync(admin, password);
        if (!created.Succeeded)
            throw new InvalidOperationException("Could not create the first admin: " + string.Join("; ", created.Errors.Select(e => e.Description)));
        await users.AddToRoleAsync(admin, UserRef.AdminRole);
        await sp.GetRequiredService<AuditService>().RecordAsync(admin.Id, admin.UserName, "admin.bootstrap", "user", admin.Id);

        if (generated)
        {
            // Printed once, straight to the console (not the log files): it is a secret.
            Console.WriteLine();
            Console.WriteLine("==================================================================");
            Console.WriteLine($" CodeRunner first run: admin account '{admin.UserName}' created.");
            Console.WriteLine($" 初始管理员密码 / initial admin password: {password}");
            Console.WriteLine(" You must change it at first sign-in. 首次登录后须修改密码。");
            Console.WriteLine("==================================================================");
            Console.WriteLine();
        }
        logger.LogInformation("First-run admin account {UserName} created", admin.UserName);
    }

    private static string GeneratePassword()
    {
        // Satisfies the password policy: letters of both cases, digits, a symbol.
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        var chars = RandomNumberGenerator.GetItems<char>(alphabet, 16);
        return "Cr-" + new string(chars) + "9a";
    }
}
