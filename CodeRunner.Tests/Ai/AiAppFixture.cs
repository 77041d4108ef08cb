using CodeRunner.Core.Ai;
using CodeRunner.Core.Common;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Ai;

/// <summary>The real app (temp SQLite, Data Protection keys in its data dir) plus a fake OpenAI-compatible server on loopback.</summary>
public sealed class AiAppFixture : IAsyncLifetime
{
    public CodeRunnerAppFactory App { get; } = new CodeRunnerAppFactory()
        .WithSetting("Ai:AllowPrivateNetwork", "true")
        .WithSetting("Ai:ResponseTimeoutSeconds", "3")
        .WithSetting("Ai:IdleTimeoutSeconds", "2")
        .WithSetting("Ai:TestTimeoutSeconds", "3");

    public FakeOpenAiServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await FakeOpenAiServer.StartAsync();
        _ = App.Services;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Server.DisposeAsync();
    }

    public async Task<UserRef> NewUserAsync(int level = 1, bool isAdmin = false)
    {
        var user = await App.CreateUserAsync(level: level, isAdmin: isAdmin);
        return CodeRunnerAppFactory.RefOf(user, isAdmin);
    }

    /// <summary>An edit pointing at the fake server.</summary>
    public AiProviderEdit Edit(string model = "coder", string kind = AiProviderKinds.OpenAI, string? apiKey = FakeOpenAiServer.ApiKey, string? baseUrl = null, string name = "测试") =>
        Server.ProviderEdit(model, kind, apiKey, baseUrl, name);

    public Task<AiProviderView> AddProviderAsync(UserRef user, AiProviderEdit edit) =>
        App.WithScopeAsync(sp => sp.GetRequiredService<AiProviderService>().CreateAsync(user, edit));

    public Task<T> WithAsync<T>(Func<AiProviderService, Task<T>> action) => App.WithScopeAsync(sp => action(sp.GetRequiredService<AiProviderService>()));

    /// <summary>Streams one assistant answer to the end in its own scope (as one circuit would).</summary>
    public Task<string> AskAsync(UserRef user, AssistantRequest request, CancellationToken cancellationToken = default) =>
        App.WithScopeAsync(async sp =>
        {
            var text = new System.Text.StringBuilder();
            await foreach (var token in sp.GetRequiredService<AssistantService>().StreamAsync(user, request, cancellationToken)) text.Append(token);
            return text.ToString();
        });
}
