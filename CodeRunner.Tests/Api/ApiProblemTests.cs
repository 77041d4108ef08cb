using System.Net;
using System.Text;
using System.Text.Json;
using CodeRunner.Tests.Infrastructure;

namespace CodeRunner.Tests.Api;

/// <summary>Requests the framework refuses before an endpoint runs still get RFC 7807 problems with a stable code, in both languages.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class ApiProblemTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private async Task<HttpClient> KeyedClientAsync(string language = "zh-CN")
    {
        var user = await app.CreateUserAsync(level: 4);
        var client = app.BearerClient((await app.CreateKeyAsync(user)).Secret);
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        return client;
    }

    private static async Task<(string Code, string Detail)> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return (problem.GetProperty("code").GetString()!, problem.GetProperty("detail").GetString()!);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("{\"code\": ", "api.invalid_json", "请求体不是有效的 JSON")]                      // malformed
    [InlineData("{\"code\": 5}", "api.invalid_json", "$.code")]                                      // wrong type
    [InlineData("{\"snippet_id\": \"seven\"}", "api.invalid_json", "$.snippet_id")]
    [InlineData("{\"code\": \"print('\\ud800')\"}", "api.invalid_json", "请求体不是有效的 JSON")]   // lone surrogate
    [InlineData("", "api.body_required", "缺少请求体")]
    public async Task Bad_execute_bodies_are_400_problems_with_a_code(string body, string code, string detailPart)
    {
        var response = await (await KeyedClientAsync()).PostAsync("/api/v1/execute", Json(body));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(code, problem.Code);
        Assert.Contains(detailPart, problem.Detail);
    }

    [Fact]
    public async Task A_non_numeric_page_is_a_400_problem_in_english_when_asked()
    {
        var response = await (await KeyedClientAsync("en")).GetAsync("/api/v1/codes?page=abc");
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("api.invalid_parameter", problem.Code);
        Assert.Contains("must be integers", problem.Detail);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        var response = await (await KeyedClientAsync()).PostAsync("/api/v1/execute", new StringContent("print(1)", Encoding.UTF8, "text/plain"));
        var problem = await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("api.unsupported_media_type", problem.Code);
        Assert.Contains("application/json", problem.Detail);
    }

    [Fact]
    public async Task Get_on_the_execute_endpoint_is_a_405_problem_listing_the_allowed_method()
    {
        var response = await (await KeyedClientAsync()).GetAsync("/api/v1/execute");
        var problem = await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("api.method_not_allowed", problem.Code);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task An_unknown_api_address_is_a_404_problem()
    {
        var problem = await ProblemAsync(await (await KeyedClientAsync()).GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
        Assert.Equal("api.not_found", problem.Code);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413_problem()
    {
        // No Content-Length: the size is only known while reading.
        var body = "{\"code\": \"" + new string('x', 300 * 1024) + "\"}";
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/execute") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var problem = await ProblemAsync(await (await KeyedClientAsync()).SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal("api.body_too_large", problem.Code);
        Assert.Contains("256 KB", problem.Detail);
    }

    [Fact]
    public async Task A_chunked_body_under_the_limit_still_runs()
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"code\": \"print(6*7)\"}")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/execute") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await (await KeyedClientAsync()).SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("42", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("stdout").GetString());
    }
}
