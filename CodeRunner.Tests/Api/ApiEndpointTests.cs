using CodeRunner.Core.Audit;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Api;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class ApiEndpointTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Codes_lists_my_snippets_and_public_ones_but_not_others_private_ones()
    {
        var me = await app.CreateUserAsync();
        var other = await app.CreateUserAsync();
        var mine = await app.CreateSnippetAsync(me, "mine private");
        var othersPublic = await app.CreateSnippetAsync(other, "others public " + other.UserName, isPublic: true);
        var othersPrivate = await app.CreateSnippetAsync(other, "others private");
        var key = await app.CreateKeyAsync(me);

        var response = await app.BearerClient(key.Secret).GetAsync("/api/v1/codes?page_size=100");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await JsonAsync(response);
        var ids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()).ToList();
        Assert.Contains(mine.Id, ids);
        Assert.Contains(othersPublic.Id, ids);
        Assert.DoesNotContain(othersPrivate.Id, ids);
        var publicItem = page.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetInt32() == othersPublic.Id);
        Assert.Equal(other.UserName, publicItem.GetProperty("owner").GetString());
        Assert.False(publicItem.GetProperty("is_mine").GetBoolean());
        Assert.True(page.GetProperty("total_count").GetInt32() >= 2);
        Assert.Equal(1, page.GetProperty("page").GetInt32());
    }

    [Fact]
    public async Task Codes_are_paged_and_searchable()
    {
        var me = await app.CreateUserAsync();
        var marker = "zz" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++) await app.CreateSnippetAsync(me, $"{marker} {i}");
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);

        var page = await JsonAsync(await client.GetAsync($"/api/v1/codes?search={marker}&page=2&page_size=2"));
        Assert.Equal(3, page.GetProperty("total_count").GetInt32());
        Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal($"{marker} 0", page.GetProperty("items")[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_code_is_returned_with_its_source_to_its_owner_and_public_ones_to_anyone()
    {
        var me = await app.CreateUserAsync();
        var other = await app.CreateUserAsync();
        var mine = await app.CreateSnippetAsync(me, "mine", code: "print('mine')", tags: "Demo, API");
        var othersPublic = await app.CreateSnippetAsync(other, "theirs", code: "print('theirs')", isPublic: true);
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);

        var detail = await JsonAsync(await client.GetAsync($"/api/v1/codes/{mine.Id}"));
        Assert.Equal("print('mine')", detail.GetProperty("code").GetString());
        Assert.Equal(new[] { "demo", "api" }, detail.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.True(detail.GetProperty("is_mine").GetBoolean());
        var theirs = await JsonAsync(await client.GetAsync($"/api/v1/codes/{othersPublic.Id}"));
        Assert.Equal("print('theirs')", theirs.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Someone_elses_private_code_is_404_like_a_missing_one()
    {
        var me = await app.CreateUserAsync();
        var other = await app.CreateUserAsync();
        var hidden = await app.CreateSnippetAsync(other, "secret stuff");
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);

        foreach (var response in new[] { await client.GetAsync($"/api/v1/codes/{hidden.Id}"), await client.GetAsync("/api/v1/codes/999999") })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("not_found", (await JsonAsync(response)).GetProperty("code").GetString());
        }
        var execute = await client.PostAsJsonAsync("/api/v1/execute", new { snippet_id = hidden.Id });
        Assert.Equal(HttpStatusCode.NotFound, execute.StatusCode);
    }

    [Theory]
    [InlineData("{}", "code")]
    [InlineData("{\"code\":\"print(1)\",\"snippet_id\":1}", "code")]
    [InlineData("{\"code\":\"print(1)\",\"environment\":\"../etc\"}", "environment")]
    public async Task Invalid_execute_requests_are_422_problems_naming_the_field(string body, string field)
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var response = await client.PostAsync("/api/v1/execute", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages));
        Assert.NotEmpty(messages.EnumerateArray());
    }

    [Fact]
    public async Task Code_over_64_kb_is_422_on_the_code_field()
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var response = await client.PostAsJsonAsync("/api/v1/execute", new { code = "#" + new string('x', 70 * 1024) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty("code", out _));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("")]
    public async Task A_null_or_empty_execute_body_is_a_client_error_not_a_crash(string body)
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var response = await client.PostAsync("/api/v1/execute", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Fact]
    public async Task A_page_number_far_past_the_end_is_an_empty_page_not_the_first_one()
    {
        var me = await app.CreateUserAsync();
        var marker = "zz" + Guid.NewGuid().ToString("N")[..8];
        await app.CreateSnippetAsync(me, $"{marker} only");
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);

        foreach (var page in new[] { int.MaxValue, 1_000_000_000 })
        {
            var response = await client.GetAsync($"/api/v1/codes?search={marker}&page={page}&page_size=100");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var json = await JsonAsync(response);
            Assert.Equal(1, json.GetProperty("total_count").GetInt32());
            Assert.Empty(json.GetProperty("items").EnumerateArray());
        }
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var response = await client.PostAsync("/api/v1/execute", new StringContent("{\"code\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_body_over_256_kb_is_413()
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var json = JsonSerializer.Serialize(new { code = "#" + new string('x', 300 * 1024) });
        var response = await client.PostAsync("/api/v1/execute", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("api.body_too_large", (await JsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Problems_speak_english_when_the_client_asks_for_it()
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var zh = await JsonAsync(await client.GetAsync("/api/v1/codes/999999"));
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("en-US");
        var en = await JsonAsync(await client.GetAsync("/api/v1/codes/999999"));
        Assert.NotEqual(zh.GetProperty("detail").GetString(), en.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Every_call_is_audited_with_the_key_name_and_never_the_secret()
    {
        var me = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(me, name: "ci pipeline");
        var client = app.BearerClient(key.Secret);
        await client.GetAsync("/api/v1/codes");
        await client.GetAsync("/api/v1/codes/999999");
        // api.call rows are written after the response; wait for the queue to drain.
        await app.Services.GetRequiredService<AuditWriteBehind>().FlushAsync();

        var rows = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs
            .Where(a => a.UserId == me.Id).ToListAsync());
        var calls = rows.Where(a => a.Action == "api.call").ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Contains("ci pipeline", c.Details));
        Assert.Contains(calls, c => c.Details!.Contains("404") && c.Status == "error");
        Assert.DoesNotContain(rows, r => (r.Details ?? "").Contains(key.Secret[3..]));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_endpoints_and_the_docs_page_is_served()
    {
        var client = app.CreateClient();
        var document = await JsonAsync(await client.GetAsync("/api/openapi/v1.json"));
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/execute", out _));
        Assert.True(paths.TryGetProperty("/api/v1/codes", out _));
        Assert.True(paths.TryGetProperty("/api/v1/codes/{id}", out _));
        Assert.False(paths.TryGetProperty("/health", out _));
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _));

        var docs = await client.GetAsync("/api/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("swagger-ui", await docs.Content.ReadAsStringAsync());
    }
}

public class ApiExecuteTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Execute_runs_code_in_the_sandbox_and_records_it_as_an_api_call()
    {
        var me = await app.CreateUserAsync();
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var response = await client.PostAsJsonAsync("/api/v1/execute", new { code = "import sys\nname = input()\nprint('hello', name)\nprint('oops', file=sys.stderr)", stdin = "api\n" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await JsonAsync(response);
        Assert.Equal("success", result.GetProperty("status").GetString());
        Assert.Equal("hello api\n", result.GetProperty("stdout").GetString());
        Assert.Contains("oops", result.GetProperty("stderr").GetString());
        Assert.Equal(0, result.GetProperty("exit_code").GetInt32());
        Assert.True(result.GetProperty("duration_ms").GetInt64() > 0);
        Assert.True(result.TryGetProperty("cpu_ms", out _));
        Assert.True(result.TryGetProperty("memory_mb", out _));
        Assert.False(result.GetProperty("truncated").GetBoolean());

        var id = result.GetProperty("execution_id").GetInt64();
        var row = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.SingleAsync(e => e.Id == id));
        Assert.True(row.IsApiCall);
        Assert.Equal(me.Id, row.UserId);
        var usage = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().DailyUsages.SingleAsync(u => u.UserId == me.Id));
        Assert.Equal(1, usage.ApiCalls);
        Assert.Equal(0, usage.Runs);
    }

    [Fact]
    public async Task Execute_runs_a_saved_snippet_by_id_and_reports_a_failing_program()
    {
        var me = await app.CreateUserAsync();
        var snippet = await app.CreateSnippetAsync(me, "fails", code: "print('before')\nraise SystemExit(3)");
        var client = app.BearerClient((await app.CreateKeyAsync(me)).Secret);
        var result = await JsonAsync(await client.PostAsJsonAsync("/api/v1/execute", new { snippet_id = snippet.Id }));
        Assert.Equal("error", result.GetProperty("status").GetString());
        Assert.Equal(3, result.GetProperty("exit_code").GetInt32());
        Assert.Equal("before\n", result.GetProperty("stdout").GetString());
        var row = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions
            .SingleAsync(e => e.Id == result.GetProperty("execution_id").GetInt64()));
        Assert.Equal(snippet.Id, row.SnippetId);
    }
}
