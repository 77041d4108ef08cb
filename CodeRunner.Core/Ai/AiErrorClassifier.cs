using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.SemanticKernel;

namespace CodeRunner.Core.Ai;

/// <summary>
/// Turns whatever the connector threw (SK's HttpOperationException around System.ClientModel's ClientResultException around
/// HttpRequestException/SocketException, or a parse failure) into one <see cref="AiProviderError"/>. User cancellation is
/// not a failure and is handled by the caller before this.
/// </summary>
public static class AiErrorClassifier
{
    /// <param name="streamStarted">Whether the server had already answered (headers or tokens) when it failed.</param>
    public static AiProviderError Classify(Exception error, bool streamStarted)
    {
        if (error is AiProviderError known) return known;
        int? status = null;
        string? body = null;
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpOperationException { StatusCode: { } code } http:
                    status ??= (int)code;
                    body ??= http.ResponseContent;
                    break;
                case ClientResultException { Status: > 0 } result:
                    status ??= result.Status;
                    body ??= TryReadBody(result);
                    break;
            }
        }
        if (status is { } s) return FromStatus(s, body, error);

        if (Find<PrivateEndpointBlockedException>(error) is { } blocked)
            return new AiProviderError(AiFailure.EndpointBlocked, blocked.Message, inner: error);
        if (Find<TimeoutException>(error) is not null || Find<OperationCanceledException>(error) is not null)
            return new AiProviderError(AiFailure.Timeout, "The provider did not answer in time.", inner: error);
        if (Find<JsonException>(error) is not null || Find<FormatException>(error) is not null)
            return new AiProviderError(AiFailure.BadResponse, "The provider's answer is not an OpenAI chat completion.", inner: error);
        // A connection that was made and then reset or aborted: the server dropped it (mid-answer or before the headers arrived).
        if (Find<SocketException>(error) is { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown } reset)
            return new AiProviderError(AiFailure.StreamInterrupted, reset.Message, inner: error);
        if (Find<HttpRequestException>(error) is { } request)
        {
            // Once tokens flowed, a dropped connection is a cut stream; before, the URL does not lead to a working server.
            if (streamStarted || request.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
                return new AiProviderError(streamStarted ? AiFailure.StreamInterrupted : AiFailure.BadResponse, request.Message, inner: error);
            return new AiProviderError(AiFailure.Unreachable, request.Message, inner: error);
        }
        if (Find<SocketException>(error) is { } socket)
            return new AiProviderError(streamStarted ? AiFailure.StreamInterrupted : AiFailure.Unreachable, socket.Message, inner: error);
        if (Find<IOException>(error) is { } io)
            return new AiProviderError(streamStarted ? AiFailure.StreamInterrupted : AiFailure.Unreachable, io.Message, inner: error);
        return new AiProviderError(streamStarted ? AiFailure.StreamInterrupted : AiFailure.BadResponse, error.Message, inner: error);
    }

    public static AiProviderError FromStatus(int status, string? body, Exception? inner = null)
    {
        var mentionsModel = body is not null && body.Contains("model", StringComparison.OrdinalIgnoreCase);
        var failure = status switch
        {
            401 or 403 => AiFailure.Unauthorized,
            // OpenAI answers 404 model_not_found; a wrong path answers 404 without talking about models.
            404 => mentionsModel ? AiFailure.ModelNotFound : AiFailure.EndpointNotFound,
            // DashScope and DeepSeek answer 400 for an unknown model.
            400 when mentionsModel && body is not null && (body.Contains("not exist", StringComparison.OrdinalIgnoreCase)
                || body.Contains("not found", StringComparison.OrdinalIgnoreCase) || body.Contains("model_not_found", StringComparison.OrdinalIgnoreCase)) => AiFailure.ModelNotFound,
            429 => AiFailure.RateLimited,
            408 or 504 => AiFailure.Timeout,
            _ => AiFailure.ServerError,
        };
        return new AiProviderError(failure, $"The provider answered HTTP {status}.", status, inner);
    }

    private static T? Find<T>(Exception error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is T match) return match;
        if (error is AggregateException aggregate)
            foreach (var inner in aggregate.InnerExceptions)
                if (Find<T>(inner) is { } found) return found;
        return null;
    }

    private static string? TryReadBody(ClientResultException result)
    {
        try
        {
            return result.GetRawResponse()?.Content?.ToString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
