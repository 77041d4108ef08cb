using System.Net.Http.Headers;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Library;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Api;

/// <summary>Users, keys and snippets made through the real services, and clients that send a key.</summary>
public static class ApiTestSupport
{
    public static Task<CreatedApiKey> CreateKeyAsync(this CodeRunnerAppFactory app, AppUser user, string name = "test key", DateTime? expiresAt = null) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<ApiKeyService>().CreateAsync(CodeRunnerAppFactory.RefOf(user), name, expiresAt));

    public static Task<Snippet> CreateSnippetAsync(this CodeRunnerAppFactory app, AppUser user, string title, string code = "print('hi')", bool isPublic = false, string? tags = null) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<SnippetService>().CreateAsync(CodeRunnerAppFactory.RefOf(user),
            new SnippetEdit { Title = title, Code = code, IsPublic = isPublic, Tags = tags }));

    public static HttpClient BearerClient(this CodeRunnerAppFactory app, string secret)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }
}
