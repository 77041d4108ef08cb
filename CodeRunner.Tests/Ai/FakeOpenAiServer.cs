using CodeRunner.Core.Ai;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Tests.Ai;

/// <summary>One request the fake server received.</summary>
public sealed record ReceivedRequest(string Path, string? Authorization, string Body)
{
    public JsonObject Json => (JsonObject)JsonNode.Parse(Body)!;
    public string Model => Json["model"]?.GetValue<string>() ?? "";
    /// <summary>All message contents, joined, as the provider would read them.</summary>
    public string Messages => string.Join("\n---\n", Json["messages"]!.AsArray().Select(m => m!["content"]?.ToString()));
}

/// <summary>
/// A real OpenAI-compatible server on a Kestrel port: POST /v1/chat/completions, plain JSON or SSE with <c>stream: true</c>.
/// The model name picks the behaviour, so parallel tests do not step on each other:
/// <c>coder</c> answers <see cref="Reply"/>; <c>rate-limited</c> 429; <c>broken</c> 500; <c>stall</c> sends one token and then
/// nothing; <c>cut</c> sends two tokens and drops the connection; <c>gated-*</c> sends one token and waits for
/// <see cref="Release"/>; any other model is unknown (404 model_not_found). The key must be <see cref="ApiKey"/> (or absent).
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    public const string ApiKey = "sk-test-0123456789abcdefWXYZ";
    public const string DefaultReply = "下面是程序：\n\n```python\nprint('hello from the assistant')\n```\n\n它会打印一行问候。";
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> gates = new();

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();
    public string Reply { get; set; } = DefaultReply;

    private FakeOpenAiServer(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = "";
    /// <summary>The OpenAI-style base URL (ends in /v1).</summary>
    public string V1 => BaseUrl + "/v1";

    /// <summary>A provider edit pointing at this server, with its key.</summary>
    public AiProviderEdit ProviderEdit(string model = "coder", string kind = AiProviderKinds.OpenAI, string? apiKey = ApiKey, string? baseUrl = null, string name = "测试") =>
        new() { Name = name, Provider = kind, Model = model, BaseUrl = baseUrl ?? V1, ApiKey = apiKey, Temperature = 0.2, MaxTokens = 2048 };

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpenAiServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        app.MapFallback(context =>
        {
            context.Response.StatusCode = 404;
            return context.Response.WriteAsync("404 page not found");
        });
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Lets a <c>gated-*</c> answer continue past its first token.</summary>
    public void Release(string model) => Gate(model).TrySetResult();

    public IEnumerable<ReceivedRequest> RequestsFor(string model) => Requests.Where(r => r.Body.Contains($"\"{model}\"", StringComparison.Ordinal));

    private TaskCompletionSource Gate(string model) => gates.GetOrAdd(model, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8)) body = await reader.ReadToEndAsync();
        var authorization = context.Request.Headers.Authorization.FirstOrDefault();
        var request = new ReceivedRequest(context.Request.Path, authorization, body);
        Requests.Enqueue(request);

        if (authorization is not null && authorization != "Bearer " + ApiKey)
        {
            await ErrorAsync(context, 401, "Incorrect API key provided.", "invalid_api_key");
            return;
        }
        var json = request.Json;
        var model = json["model"]?.GetValue<string>() ?? "";
        var stream = json["stream"]?.GetValue<bool>() == true;
        var includeUsage = json["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        var aborted = context.RequestAborted;

        switch (model)
        {
            case "rate-limited":
                await ErrorAsync(context, 429, "Rate limit reached for requests.", "rate_limit_exceeded");
                return;
            case "broken":
                await ErrorAsync(context, 500, "The server had an error while processing your request.", "server_error");
                return;
            case "coder" or "stall" or "cut":
                break;
            default:
                if (!model.StartsWith("gated-", StringComparison.Ordinal))
                {
                    await ErrorAsync(context, 404, $"The model `{model}` does not exist or you do not have access to it.", "model_not_found");
                    return;
                }
                break;
        }

        if (!stream)
        {
            if (model == "stall") await Task.Delay(Timeout.Infinite, aborted);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-test", @object = "chat.completion", created = 1_700_000_000, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 11, completion_tokens = 7, total_tokens = 18 },
            }), aborted);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var pieces = Tokens(Reply);
        for (var i = 0; i < pieces.Count; i++)
        {
            await ChunkAsync(context, model, new { role = "assistant", content = pieces[i] }, null);
            if (i == 0 && model == "stall") await Task.Delay(Timeout.Infinite, aborted);
            if (i == 0 && model.StartsWith("gated-", StringComparison.Ordinal)) await Gate(model).Task.WaitAsync(aborted);
            if (i == 1 && model == "cut")
            {
                // Let the two tokens reach the client, then drop the connection as a crashing provider would.
                await Task.Delay(200, aborted);
                context.Abort();
                return;
            }
        }
        await ChunkAsync(context, model, new { }, "stop");
        if (includeUsage)
            await SendAsync(context, JsonSerializer.Serialize(new
            {
                id = "chatcmpl-test", @object = "chat.completion.chunk", created = 1_700_000_000, model, choices = Array.Empty<object>(),
                usage = new { prompt_tokens = 42, completion_tokens = pieces.Count, total_tokens = 42 + pieces.Count },
            }));
        await SendAsync(context, "[DONE]");
    }

    /// <summary>The reply cut into small pieces, as a model streams it.</summary>
    private static List<string> Tokens(string text)
    {
        var pieces = new List<string>();
        for (var i = 0; i < text.Length; i += 6) pieces.Add(text.Substring(i, Math.Min(6, text.Length - i)));
        return pieces;
    }

    private static Task ChunkAsync(HttpContext context, string model, object delta, string? finishReason) =>
        SendAsync(context, JsonSerializer.Serialize(new
        {
            id = "chatcmpl-test", @object = "chat.completion.chunk", created = 1_700_000_000, model,
            choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
        }));

    private static async Task SendAsync(HttpContext context, string data)
    {
        await context.Response.WriteAsync($"data: {data}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task ErrorAsync(HttpContext context, int status, string message, string code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { message, type = "invalid_request_error", param = (string?)null, code } }));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in gates.Values) gate.TrySetResult();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
