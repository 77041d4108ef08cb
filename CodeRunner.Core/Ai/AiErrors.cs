using CodeRunner.Core.Common;

namespace CodeRunner.Core.Ai;

/// <summary>What went wrong talking to a provider; each maps to one localized message (ErrorMessages: ai.*).</summary>
public enum AiFailure
{
    /// <summary>401/403: the key is wrong, expired or lacks access.</summary>
    Unauthorized,
    /// <summary>DNS failure, connection refused, TLS failure: the base URL does not reach a server.</summary>
    Unreachable,
    /// <summary>The URL points at a loopback/private address and Ai:AllowPrivateNetwork is off.</summary>
    EndpointBlocked,
    /// <summary>The server answered 404 for the path itself: the base URL is wrong (often a missing /v1).</summary>
    EndpointNotFound,
    /// <summary>The server does not know the model.</summary>
    ModelNotFound,
    /// <summary>429: rate limit or the provider account's quota.</summary>
    RateLimited,
    /// <summary>No answer (or no next token) within the configured time.</summary>
    Timeout,
    /// <summary>5xx or another unexpected status.</summary>
    ServerError,
    /// <summary>The connection dropped in the middle of a streamed answer.</summary>
    StreamInterrupted,
    /// <summary>The server answered something that is not an OpenAI chat completion.</summary>
    BadResponse,
}

/// <summary>A provider request failed; <see cref="Failure"/> says how, <see cref="StatusCode"/> what the server said (if anything).</summary>
public sealed class AiProviderError(AiFailure failure, string message, int? statusCode = null, Exception? inner = null)
    : CodeRunnerError(CodeOf(failure), message, statusCode?.ToString() ?? "-")
{
    public AiFailure Failure { get; } = failure;
    public int? StatusCode { get; } = statusCode;
    public Exception? Detail { get; } = inner;

    public static string CodeOf(AiFailure failure) => failure switch
    {
        AiFailure.Unauthorized => "ai.unauthorized",
        AiFailure.Unreachable => "ai.unreachable",
        AiFailure.EndpointBlocked => "ai.endpoint_blocked",
        AiFailure.EndpointNotFound => "ai.endpoint_not_found",
        AiFailure.ModelNotFound => "ai.model_not_found",
        AiFailure.RateLimited => "ai.rate_limited",
        AiFailure.Timeout => "ai.timeout",
        AiFailure.ServerError => "ai.server_error",
        AiFailure.StreamInterrupted => "ai.stream_interrupted",
        _ => "ai.bad_response",
    };
}
