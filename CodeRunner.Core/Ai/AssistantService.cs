using System.Runtime.CompilerServices;
using System.Text;
using CodeRunner.Core.Common;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Tiers;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using OpenAI.Chat;

namespace CodeRunner.Core.Ai;

/// <summary>
/// The run page's assistant: generate / fix / explain code / explain error / optimize, answered token by token through
/// Semantic Kernel's chat completion service. Quota (team default only) is taken before the call; every request is
/// recorded whatever its end (answer, provider failure, stop).
/// </summary>
public sealed class AssistantService(
    AiProviderService providers,
    AiChatClientFactory clients,
    QuotaService quotas,
    AiUsageRecorder usage,
    IOptions<AiOptions> options,
    IOptions<ExecutionOptions> execution,
    TimeProvider clock)
{
    /// <summary>
    /// The answer's tokens as they arrive. Throws <see cref="AiProviderError"/> (typed failure), <see cref="ValidationError"/>,
    /// <see cref="QuotaExceededError"/> or <see cref="ConflictError"/> (no provider); cancelling stops the request.
    /// </summary>
    public async IAsyncEnumerable<string> StreamAsync(UserRef actor, AssistantRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        request = Validated(request);
        var provider = await providers.ResolveForAsync(actor, cancellationToken);
        if (provider.IsTeamDefault) await quotas.TryConsumeAiRequestAsync(actor, cancellationToken);

        var chat = clients.Create(provider);
        var settings = new OpenAIPromptExecutionSettings { Temperature = provider.Temperature, MaxTokens = provider.MaxTokens };
        var started = clock.GetTimestamp();
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        watchdog.CancelAfter(TimeSpan.FromSeconds(options.Value.ResponseTimeoutSeconds));
        var idle = TimeSpan.FromSeconds(options.Value.IdleTimeoutSeconds);

        IAsyncEnumerator<Microsoft.SemanticKernel.StreamingChatMessageContent>? stream = null;
        int? tokensIn = null, tokensOut = null;
        var tokensSeen = false;
        var finished = false;
        string? errorCode = null;
        try
        {
            stream = chat.Service.GetStreamingChatMessageContentsAsync(AssistantPrompts.Build(request), settings, kernel: null, watchdog.Token)
                .GetAsyncEnumerator(watchdog.Token);
            while (true)
            {
                Microsoft.SemanticKernel.StreamingChatMessageContent chunk;
                try
                {
                    if (!await stream.MoveNextAsync())
                    {
                        // A server that closes the connection cleanly mid-answer ends the SSE stream without a finish reason.
                        if (!finished) throw new AiProviderError(AiFailure.StreamInterrupted, "The answer stream ended without a finish reason.");
                        break;
                    }
                    chunk = stream.Current;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    var error = AiErrorClassifier.Classify(e, tokensSeen || chat.Wire.ResponseReceived);
                    errorCode = error.Code;
                    throw error;
                }
                watchdog.CancelAfter(idle);
                if (chunk.Metadata is { } metadata)
                {
                    if (metadata.TryGetValue("Usage", out var reported) && reported is ChatTokenUsage tokens)
                        (tokensIn, tokensOut) = (tokens.InputTokenCount, tokens.OutputTokenCount);
                    if (metadata.TryGetValue("FinishReason", out var reason) && reason is not null) finished = true;
                }
                if (!string.IsNullOrEmpty(chunk.Content))
                {
                    tokensSeen = true;
                    yield return chunk.Content;
                }
            }
        }
        finally
        {
            if (errorCode is null && !finished) errorCode = "cancelled";
            if (stream is not null)
            {
                try
                {
                    await stream.DisposeAsync();
                }
                catch (Exception)
                {
                    // The connection is being torn down anyway.
                }
            }
            await usage.RecordAsync(actor, provider, new AiRequestOutcome(AssistantPrompts.ActionName(request.Action), tokensIn, tokensOut, clock.GetElapsedTime(started), errorCode));
        }
    }

    /// <summary>The request with its required parts checked and the error output cut to its tail (where the traceback is).</summary>
    private AssistantRequest Validated(AssistantRequest request)
    {
        var needsPrompt = request.Action == AssistantAction.Generate;
        var needsCode = request.Action is AssistantAction.Fix or AssistantAction.ExplainCode or AssistantAction.Optimize;
        var needsError = request.Action is AssistantAction.Fix or AssistantAction.ExplainError;
        if (needsPrompt && string.IsNullOrWhiteSpace(request.Prompt)) throw new ValidationError("ai.prompt_required", "prompt", "Describe the program to generate.");
        if (needsCode && string.IsNullOrWhiteSpace(request.Code)) throw new ValidationError("ai.code_required", "code", "The editor is empty.");
        if (needsError && string.IsNullOrWhiteSpace(request.ErrorOutput)) throw new ValidationError("ai.error_output_required", "errorOutput", "There is no error output of a last run.");
        var maxPrompt = options.Value.MaxPromptChars;
        if (request.Prompt is { Length: var length } && length > maxPrompt)
            throw new ValidationError("ai.prompt_too_long", "prompt", $"The prompt is longer than {maxPrompt} characters.", maxPrompt);
        var maxCode = execution.Value.MaxCodeBytes;
        if (request.Code is not null && Encoding.UTF8.GetByteCount(request.Code) > maxCode)
            throw new ValidationError("ai.code_too_long", "code", $"The program is larger than {maxCode} bytes.", maxCode);
        var maxError = options.Value.MaxErrorOutputChars;
        var errorOutput = request.ErrorOutput is { Length: var errorLength } output && errorLength > maxError ? output[^maxError..] : request.ErrorOutput;
        return request with { ErrorOutput = errorOutput };
    }
}
