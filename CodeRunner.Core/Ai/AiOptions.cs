namespace CodeRunner.Core.Ai;

/// <summary>Limits and timeouts of the AI assistant, bound from the "Ai" configuration section.</summary>
public sealed class AiOptions
{
    public const string Section = "Ai";

    /// <summary>Providers one user may configure.</summary>
    public int MaxProvidersPerUser { get; set; } = 5;
    /// <summary>Longest wait for the first token (or the whole answer of a connection test's request).</summary>
    public double ResponseTimeoutSeconds { get; set; } = 60;
    /// <summary>Longest silence between two tokens of a streamed answer before it counts as stalled.</summary>
    public double IdleTimeoutSeconds { get; set; } = 30;
    /// <summary>"测试连接" gives up after this long.</summary>
    public double TestTimeoutSeconds { get; set; } = 15;
    /// <summary>Longest prompt a user may type (characters).</summary>
    public int MaxPromptChars { get; set; } = 4000;
    /// <summary>Error output sent along with fix / explain error: the tail of the output, where the traceback is.</summary>
    public int MaxErrorOutputChars { get; set; } = 8000;
    /// <summary>
    /// Whether provider URLs may reach loopback, private and link-local addresses (a local Ollama, an office gateway).
    /// Off by default so a user cannot point the server at internal services; the team's admin turns it on.
    /// </summary>
    public bool AllowPrivateNetwork { get; set; }
}
