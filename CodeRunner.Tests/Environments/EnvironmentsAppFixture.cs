using CodeRunner.Core.Accounts;
using CodeRunner.Core.Environments;
using CodeRunner.Sandbox.Environments;
using CodeRunner.Tests.Infrastructure;
using CodeRunner.Tests.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Environments;

/// <summary>Wheels the tests build themselves, served offline the way admins configure a local wheelhouse.</summary>
public static class TestWheelhouse
{
    public const string Greeting = "coderunner-greeting";
    public const string Extra = "coderunner-extra";

    public static void Build(string directory)
    {
        WheelBuilder.Build(directory, Greeting, "1.0.0", "def greet(name):\n    return f'你好, {name}'\n");
        WheelBuilder.Build(directory, Greeting, "1.1.0", "def greet(name):\n    return f'你好呀, {name}'\n");
        WheelBuilder.Build(directory, Extra, "0.1.0", "VALUE = 42\n");
    }

    /// <summary>Package sources from configuration ("Packages" section): the wheelhouse only, no index.</summary>
    public static CodeRunnerAppFactory UseWheelhouse(this CodeRunnerAppFactory app, string directory) =>
        app.WithSetting("Packages:FindLinks:0", directory).WithSetting("Packages:NoIndex", "true");
}

/// <summary>The real app with a wheelhouse, plus one venv created once for the class (creating one takes seconds).</summary>
public sealed class EnvironmentsAppFixture : IAsyncLifetime
{
    public const string SharedName = "shared-env";
    private readonly TempDirectory wheelhouse = new("coderunner-wheelhouse");

    public CodeRunnerAppFactory App { get; } = new();
    public string Wheelhouse => wheelhouse.Path;
    public AppUser Owner { get; private set; } = null!;
    public List<OperationLogLine> CreateLog { get; } = [];

    public async Task InitializeAsync()
    {
        TestWheelhouse.Build(Wheelhouse);
        App.UseWheelhouse(Wheelhouse);
        Owner = await App.CreateUserAsync(level: 1);
        await App.WithScopeAsync(async services =>
        {
            var environments = EnvironmentServices.From(services);
            var request = new EnvironmentCreateRequest
            {
                Name = SharedName,
                DisplayName = "共享环境",
                PythonVersion = environments.Queries.PythonVersions[0],
                Packages = [$"{TestWheelhouse.Greeting}==1.0.0"],
            };
            await foreach (var line in environments.Lifecycle.CreateAsync(CodeRunnerAppFactory.RefOf(Owner), request)) CreateLog.Add(line);
        });
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        wheelhouse.Dispose();
    }
}

/// <summary>The environment feature's services, resolved from one scope (tests call them side by side).</summary>
public sealed record EnvironmentServices(EnvironmentQueries Queries, EnvironmentLifecycleService Lifecycle, PackageOperationService Packages, PackageSourcesService Sources)
{
    public static EnvironmentServices From(IServiceProvider services) => new(
        services.GetRequiredService<EnvironmentQueries>(), services.GetRequiredService<EnvironmentLifecycleService>(),
        services.GetRequiredService<PackageOperationService>(), services.GetRequiredService<PackageSourcesService>());
}
