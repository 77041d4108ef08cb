using System.Text.Json.Nodes;
using CodeRunner.Core.Ai;

namespace CodeRunner.Tests.Ai;

/// <summary>What goes over the wire per provider kind: the exact bodies Semantic Kernel's connector produces after rewriting.</summary>
public class WireCompatibilityTests(AiAppFixture fx) : IClassFixture<AiAppFixture>
{
    [Theory]
    [InlineData(AiProviderKinds.OpenAI, false, true)]
    [InlineData(AiProviderKinds.Qwen, true, true)]
    [InlineData(AiProviderKinds.DeepSeek, true, true)]
    [InlineData(AiProviderKinds.Claude, true, true)]
    [InlineData(AiProviderKinds.Ollama, true, false)]
    [InlineData(AiProviderKinds.Custom, true, false)]
    public async Task Streamed_request_body_matches_what_the_kind_expects(string kind, bool maxTokens, bool streamOptions)
    {
        var user = await fx.NewUserAsync();
        await fx.AddProviderAsync(user, fx.Edit(kind: kind) with { MaxTokens = 777, Temperature = 0.3 });
        var tag = Guid.NewGuid().ToString("N");
        var answer = await fx.AskAsync(user, new AssistantRequest(AssistantAction.Generate, tag, null, null));
        Assert.Equal(FakeOpenAiServer.DefaultReply, answer);

        var sent = fx.Server.Requests.Single(r => r.Body.Contains(tag));
        Assert.Equal("/v1/chat/completions", sent.Path);
        var body = sent.Json;
        var expected = new SortedSet<string> { "messages", "model", "stream", "temperature", maxTokens ? "max_tokens" : "max_completion_tokens" };
        if (streamOptions) expected.Add("stream_options");
        Assert.Equal(expected, new SortedSet<string>(body.Select(p => p.Key)));
        Assert.Equal(777, body[maxTokens ? "max_tokens" : "max_completion_tokens"]!.GetValue<int>());
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.Equal(0.3, body["temperature"]!.GetValue<double>(), 3);
        Assert.Equal("coder", body["model"]!.GetValue<string>());
        if (streamOptions) Assert.True(body["stream_options"]!["include_usage"]!.GetValue<bool>());
        var roles = body["messages"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()).ToList();
        Assert.Equal(["system", "user"], roles);
    }

    [Fact]
    public async Task The_connection_test_sends_a_tiny_non_streamed_request()
    {
        var user = await fx.NewUserAsync();
        var view = await fx.AddProviderAsync(user, fx.Edit(kind: AiProviderKinds.DeepSeek, name: "tiny"));
        var before = fx.Server.Requests.Count;
        await fx.WithAsync(s => s.TestAsync(user, view.Id));
        var body = fx.Server.Requests.Skip(before).Single().Json;
        Assert.Equal(new SortedSet<string> { "max_tokens", "messages", "model", "temperature" }, new SortedSet<string>(body.Select(p => p.Key)));
        Assert.Equal(16, body["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void Rewrite_moves_the_limit_and_drops_stream_options_only_where_asked()
    {
        const string body = """{"messages":[],"model":"m","max_completion_tokens":5,"stream":true,"stream_options":{"include_usage":true}}""";
        Assert.Same(body, WireCompatibilityHandler.Rewrite(body, new WireProfile(UseMaxTokens: false, SendStreamOptions: true)));
        var rewritten = (JsonObject)JsonNode.Parse(WireCompatibilityHandler.Rewrite(body, new WireProfile(UseMaxTokens: true, SendStreamOptions: false)))!;
        Assert.Equal(5, rewritten["max_tokens"]!.GetValue<int>());
        Assert.False(rewritten.ContainsKey("max_completion_tokens"));
        Assert.False(rewritten.ContainsKey("stream_options"));
    }
}
