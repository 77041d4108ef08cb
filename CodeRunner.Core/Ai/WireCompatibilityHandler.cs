using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CodeRunner.Core.Ai;

/// <summary>
/// Rewrites the chat request body that Semantic Kernel's OpenAI connector builds into what the provider kind expects:
/// the connector always sends OpenAI's newer <c>max_completion_tokens</c> and, when streaming, <c>stream_options</c>;
/// DashScope, DeepSeek, Ollama and many vLLM versions want <c>max_tokens</c> and some refuse unknown fields.
/// Also drops the Authorization header for providers configured without a key (a local Ollama).
/// </summary>
public sealed class WireCompatibilityHandler(WireProfile profile, bool sendAuthorization) : DelegatingHandler
{
    private int responses;

    /// <summary>Whether a response (status and headers) came back: a later failure is then a cut stream, not an unreachable server.</summary>
    public bool ResponseReceived => Volatile.Read(ref responses) > 0;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!sendAuthorization) request.Headers.Authorization = null;
        if (request.Content is not null && request.RequestUri?.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) == true)
        {
            var body = await request.Content.ReadAsStringAsync(cancellationToken);
            var rewritten = Rewrite(body, profile);
            if (!ReferenceEquals(rewritten, body))
            {
                var content = new StringContent(rewritten, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Content = content;
            }
        }
        var response = await base.SendAsync(request, cancellationToken);
        Interlocked.Increment(ref responses);
        return response;
    }

    /// <summary>The body for <paramref name="profile"/>; the same instance when nothing needs to change.</summary>
    public static string Rewrite(string body, WireProfile profile)
    {
        if (JsonNode.Parse(body) is not JsonObject json) return body;
        var changed = false;
        if (profile.UseMaxTokens && json.Remove("max_completion_tokens", out var limit))
        {
            json["max_tokens"] = limit;
            changed = true;
        }
        if (!profile.SendStreamOptions && json.Remove("stream_options")) changed = true;
        return changed ? json.ToJsonString() : body;
    }
}
