using System.Net;
using System.Text.Json;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Api;

/// <summary>Free tier with two API calls a day; three requests a minute per key.</summary>
public sealed class LimitedApiAppFactory : CodeRunnerAppFactory
{
    public LimitedApiAppFactory()
    {
        WithSetting("Tiers:Levels:1:ApiCallsPerDay", "2");
        WithSetting("Api:RateLimitPerMinute", "3");
    }
}

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class ApiQuotaTests(LimitedApiAppFactory app) : IClassFixture<LimitedApiAppFactory>
{
    [Fact]
    public async Task The_third_call_of_a_two_call_day_is_429_with_retry_after_and_rate_limit_headers()
    {
        var user = await app.CreateUserAsync(level: 1);
        var client = app.BearerClient((await app.CreateKeyAsync(user)).Secret);

        var first = await client.GetAsync("/api/v1/codes");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("2", first.Headers.GetValues("X-RateLimit-Limit").Single());
        Assert.Equal("1", first.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/codes")).StatusCode);

        var refused = await client.GetAsync("/api/v1/codes");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var retryAfter = long.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 24 * 3600);
        Assert.Equal("2", refused.Headers.GetValues("X-RateLimit-Limit").Single());
        Assert.Equal("0", refused.Headers.GetValues("X-RateLimit-Remaining").Single());
        var reset = DateTimeOffset.FromUnixTimeSeconds(long.Parse(refused.Headers.GetValues("X-RateLimit-Reset").Single()));
        Assert.Equal(app.Services.GetRequiredService<CodeRunner.Core.Tiers.QuotaDay>().Today().ResetsAtUtc, reset.UtcDateTime);
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("quota.api_calls_exhausted", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_key_over_its_per_minute_rate_is_429_while_another_key_still_works()
    {
        var user = await app.CreateUserAsync(level: 4);
        var busy = app.BearerClient((await app.CreateKeyAsync(user, "busy")).Secret);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await busy.GetAsync("/api/v1/codes")).StatusCode);

        var refused = await busy.GetAsync("/api/v1/codes");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("api.rate_limited", problem.RootElement.GetProperty("code").GetString());

        var other = app.BearerClient((await app.CreateKeyAsync(user, "other")).Secret);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/codes")).StatusCode);
    }
}
