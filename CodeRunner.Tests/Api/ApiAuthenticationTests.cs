using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Api;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class ApiAuthenticationTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("api.unauthorized", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_call_without_a_key_is_401_with_a_problem_and_www_authenticate()
    {
        await AssertUnauthorizedAsync(await app.CreateClient().GetAsync("/api/v1/codes"));
    }

    [Fact]
    public async Task A_wrong_key_is_401()
    {
        await AssertUnauthorizedAsync(await app.BearerClient("sk-" + new string('x', 43)).GetAsync("/api/v1/codes"));
        await AssertUnauthorizedAsync(await app.BearerClient("not-a-key").GetAsync("/api/v1/codes"));
    }

    [Fact]
    public async Task A_valid_key_works_as_bearer_and_as_x_api_key_header_and_counts_its_use()
    {
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await app.BearerClient(key.Secret).GetAsync("/api/v1/codes")).StatusCode);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", key.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/codes")).StatusCode);

        var listed = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiKeyService>().ListAsync(CodeRunnerAppFactory.RefOf(user)));
        Assert.Equal(2, listed.Single().UsageCount);
        Assert.NotNull(listed.Single().LastUsedAt);
    }

    [Fact]
    public async Task Disabling_a_key_takes_effect_on_the_very_next_call_and_enabling_restores_it()
    {
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user);
        var client = app.BearerClient(key.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/codes")).StatusCode);

        await app.WithScopeAsync(sp => sp.GetRequiredService<ApiKeyService>().SetEnabledAsync(CodeRunnerAppFactory.RefOf(user), key.Key.Id, false));
        await AssertUnauthorizedAsync(await client.GetAsync("/api/v1/codes"));

        await app.WithScopeAsync(sp => sp.GetRequiredService<ApiKeyService>().SetEnabledAsync(CodeRunnerAppFactory.RefOf(user), key.Key.Id, true));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/codes")).StatusCode);
    }

    [Fact]
    public async Task A_deleted_key_is_401()
    {
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user);
        await app.WithScopeAsync(sp => sp.GetRequiredService<ApiKeyService>().DeleteAsync(CodeRunnerAppFactory.RefOf(user), key.Key.Id));
        await AssertUnauthorizedAsync(await app.BearerClient(key.Secret).GetAsync("/api/v1/codes"));
    }

    [Fact]
    public async Task An_expired_key_is_401()
    {
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user, expiresAt: DateTime.UtcNow.AddDays(1));
        Assert.Equal(HttpStatusCode.OK, (await app.BearerClient(key.Secret).GetAsync("/api/v1/codes")).StatusCode);
        await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().ApiKeys.Where(k => k.Id == key.Key.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTime.UtcNow.AddMinutes(-1))));
        await AssertUnauthorizedAsync(await app.BearerClient(key.Secret).GetAsync("/api/v1/codes"));
    }

    [Fact]
    public async Task The_key_of_a_deactivated_user_is_401()
    {
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user);
        await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var stored = await users.FindByIdAsync(user.Id);
            stored!.IsActive = false;
            await users.UpdateAsync(stored);
        });
        await AssertUnauthorizedAsync(await app.BearerClient(key.Secret).GetAsync("/api/v1/codes"));
    }

    [Fact]
    public async Task A_signed_in_browser_cookie_is_not_an_api_credential()
    {
        var user = await app.CreateUserAsync();
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });
        await HttpSignIn.SignInAsync(client, user.UserName!, CodeRunnerAppFactory.DefaultPassword);
        await AssertUnauthorizedAsync(await client.PostAsJsonAsync("/api/v1/execute", new { code = "print(1)" }));
    }
}
