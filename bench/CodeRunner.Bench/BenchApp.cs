using CodeRunner.Core.Accounts;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Bench;

/// <summary>
/// The real app as the benchmarks start it: Production, its own data directory, a known admin password, plus each
/// bench's settings (key=value as in configuration) and service tweaks. Any type of the web assembly names the entry
/// point (the bench has its own top-level Program).
/// </summary>
internal sealed class BenchApp(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<CodeRunner.Web.Components.App>
{
    public const string UserPassword = "Bench-Pass-123";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("DataDirectory", dataDirectory);
        builder.UseSetting("Admin:InitialPassword", "Bench-Admin-Pass-1");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureServices(services);
    }

    /// <summary>A level-4 user (no daily limits, so quota statements run but never refuse), password <see cref="UserPassword"/>.</summary>
    public async Task<AppUser> CreateUserAsync(string userName)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = userName, Email = userName + "@example.test", Level = 4, CreatedAt = DateTime.UtcNow };
        var result = await users.CreateAsync(user, UserPassword);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        return user;
    }

    /// <summary>A new level-4 user and an API key of theirs; returns the key's secret.</summary>
    public async Task<string> CreateApiKeyAsync(string userName)
    {
        var user = await CreateUserAsync(userName);
        await using var scope = Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<ApiKeyService>().CreateAsync(new UserRef(user.Id, user.UserName!, IsAdmin: false, Level: 4), "bench");
        return created.Secret;
    }
}
