using CodeRunner.Core.Accounts;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CodeRunner.Tests.Infrastructure;

/// <summary>
/// The real app (real SQLite in a temp data dir, real sandbox) in-process. Use as an xunit class fixture;
/// each test creates its own users with <see cref="CreateUserAsync"/>. In the PostgreSQL pass of ./test.sh
/// (<see cref="TestDatabases.UsePostgres"/>) the app runs on a fresh PostgreSQL database of its own instead.
/// </summary>
public class CodeRunnerAppFactory : WebApplicationFactory<Program>
{
    public const string AdminPassword = "Admin-Test-Pass-1";
    public const string DefaultPassword = "Passw0rd-Test";
    private readonly TempDirectory data = new("coderunner-app");
    private readonly Dictionary<string, string?> settings = new();
    private PostgresTestDatabase? postgres;

    public string DataDirectory => data.Path;

    /// <summary>Extra configuration for this factory (call before the server starts).</summary>
    public CodeRunnerAppFactory WithSetting(string key, string? value)
    {
        settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // As strict as Development: a scoped service taken from the root provider fails the test, not the first real start.
        builder.UseDefaultServiceProvider(o => { o.ValidateScopes = true; o.ValidateOnBuild = true; });
        builder.UseSetting("DataDirectory", data.Path);
        builder.UseSetting("Admin:InitialPassword", AdminPassword);
        if (TestDatabases.UsePostgres && !settings.ContainsKey("Database:Provider"))
        {
            postgres ??= new PostgresTestDatabase();
            builder.UseSetting("Database:Provider", "postgres");
            builder.UseSetting("ConnectionStrings:Default", postgres.ConnectionString);
        }
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    /// <summary>Which database this app runs on.</summary>
    public bool OnPostgres => postgres is not null || settings.GetValueOrDefault("Database:Provider") == "postgres";

    /// <summary>Creates an active user directly through Identity (fast; the UI path has its own tests).</summary>
    public async Task<AppUser> CreateUserAsync(string? userName = null, int level = 1, bool isAdmin = false, string password = DefaultPassword)
    {
        userName ??= "u" + Guid.NewGuid().ToString("N")[..10];
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = userName, Email = $"{userName}@example.test", Level = level, CreatedAt = DateTime.UtcNow };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        if (isAdmin) await users.AddToRoleAsync(user, UserRef.AdminRole);
        return user;
    }

    public static UserRef RefOf(AppUser user, bool isAdmin = false) => new(user.Id, user.UserName!, isAdmin, user.Level);

    /// <summary>Runs <paramref name="action"/> with services from a fresh scope (as one request would).</summary>
    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    public async Task WithScopeAsync(Func<IServiceProvider, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        data.Dispose();
        postgres?.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            data.Dispose();
            postgres?.Dispose();
        }
    }
}
