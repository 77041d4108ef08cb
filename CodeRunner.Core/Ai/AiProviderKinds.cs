namespace CodeRunner.Core.Ai;

/// <summary>How a kind's server wants the OpenAI chat request body (see <see cref="WireCompatibilityHandler"/>).</summary>
/// <param name="UseMaxTokens">Send the limit as the classic <c>max_tokens</c> instead of OpenAI's newer <c>max_completion_tokens</c>.</param>
/// <param name="SendStreamOptions">Keep <c>stream_options</c> (usage in the last chunk); servers that refuse unknown fields get none.</param>
public sealed record WireProfile(bool UseMaxTokens, bool SendStreamOptions);

/// <summary>A provider kind: its defaults and what goes over the wire.</summary>
public sealed record AiProviderKind(string Id, string DisplayName, string? DefaultBaseUrl, string? DefaultModel, bool RequiresApiKey, WireProfile Wire);

/// <summary>The provider kinds the assistant knows. One home for their default URLs, models and wire quirks.</summary>
public static class AiProviderKinds
{
    public const string Qwen = "qwen";
    public const string DeepSeek = "deepseek";
    public const string OpenAI = "openai";
    public const string Claude = "claude";
    public const string Ollama = "ollama";
    public const string Custom = "custom";

    public static readonly IReadOnlyList<AiProviderKind> All =
    [
        // DashScope's compatible mode documents max_tokens and accepts stream_options.include_usage.
        new(Qwen, "通义千问 (DashScope)", "https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", true, new(UseMaxTokens: true, SendStreamOptions: true)),
        // DeepSeek documents max_tokens (max_completion_tokens is ignored) and supports include_usage.
        new(DeepSeek, "DeepSeek", "https://api.deepseek.com/v1", "deepseek-chat", true, new(UseMaxTokens: true, SendStreamOptions: true)),
        new(OpenAI, "OpenAI", "https://api.openai.com/v1", "gpt-4o-mini", true, new(UseMaxTokens: false, SendStreamOptions: true)),
        // Anthropic's OpenAI SDK compatibility endpoint (or any gateway in front of Claude).
        new(Claude, "Claude (OpenAI-compatible)", "https://api.anthropic.com/v1", "claude-sonnet-4-5", true, new(UseMaxTokens: true, SendStreamOptions: true)),
        // Ollama's /v1 understands max_tokens; older versions reject or ignore max_completion_tokens and stream_options.
        new(Ollama, "Ollama", "http://localhost:11434/v1", "qwen2.5-coder:7b", false, new(UseMaxTokens: true, SendStreamOptions: false)),
        // Unknown servers (vLLM, LM Studio, gateways): the most widely understood body.
        new(Custom, "OpenAI-compatible", null, null, false, new(UseMaxTokens: true, SendStreamOptions: false)),
    ];

    public static AiProviderKind? Find(string? id) => All.FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.OrdinalIgnoreCase));
}
