using CodeRunner.Core.Common;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Connectors.OpenAI;

namespace CodeRunner.Core.Ai;

/// <summary>"测试连接": one tiny non-streamed request through the same pipeline the assistant uses, failures typed.</summary>
public sealed class AiConnectionTester(AiChatClientFactory clients, AiUsageRecorder usage, IOptions<AiOptions> options, TimeProvider clock)
{
    public async Task<AiConnectionTestResult> TestAsync(UserRef actor, ResolvedProvider provider, CancellationToken cancellationToken)
    {
        var chat = clients.Create(provider);
        var history = new ChatHistory();
        history.AddUserMessage("Reply with the single word: pong");
        var settings = new OpenAIPromptExecutionSettings { Temperature = 0, MaxTokens = 16 };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TestTimeoutSeconds));
        var started = clock.GetTimestamp();
        string? errorCode = "cancelled";
        try
        {
            var answer = await chat.Service.GetChatMessageContentAsync(history, settings, kernel: null, timeout.Token);
            errorCode = null;
            var reply = answer.Content ?? "";
            return new AiConnectionTestResult(answer.ModelId ?? provider.Model, (long)clock.GetElapsedTime(started).TotalMilliseconds, reply.Length > 100 ? reply[..100] : reply);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var error = AiErrorClassifier.Classify(e, chat.Wire.ResponseReceived);
            errorCode = error.Code;
            throw error;
        }
        finally
        {
            await usage.RecordAsync(actor, provider, new AiRequestOutcome("test", null, null, clock.GetElapsedTime(started), errorCode));
        }
    }
}
