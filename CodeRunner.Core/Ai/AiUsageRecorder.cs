using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Ai;

/// <summary>How one provider request ended, for <see cref="AiUsageRecorder"/>.</summary>
public sealed record AiRequestOutcome(string Action, int? TokensIn, int? TokensOut, TimeSpan Duration, string? ErrorCode)
{
    public bool Succeeded => ErrorCode is null;
}

/// <summary>
/// Writes an <see cref="AiUsageRecord"/> and an audit entry for every provider request, in its own scope: the request's
/// own scope may be a circuit busy with other work, and the record must be written even when the caller cancelled.
/// Neither holds the prompt, the answer or the key.
/// </summary>
public sealed class AiUsageRecorder(IServiceScopeFactory scopes, RequestContext requestContext, TimeProvider clock, ILogger<AiUsageRecorder> logger)
{
    public async Task RecordAsync(UserRef actor, ResolvedProvider provider, AiRequestOutcome outcome)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var context = scope.ServiceProvider.GetRequiredService<RequestContext>();
            context.IpAddress = requestContext.IpAddress;
            context.UserAgent = requestContext.UserAgent;
            var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
            db.AiUsageRecords.Add(new AiUsageRecord
            {
                UserId = actor.Id,
                ProviderConfigId = provider.ConfigId,
                Provider = provider.Kind.Id,
                Model = provider.Model,
                Action = outcome.Action,
                UsedTeamDefault = provider.IsTeamDefault,
                TokensIn = outcome.TokensIn,
                TokensOut = outcome.TokensOut,
                DurationMs = (long)outcome.Duration.TotalMilliseconds,
                Succeeded = outcome.Succeeded,
                ErrorCode = outcome.ErrorCode,
                CreatedAt = clock.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync(CancellationToken.None);
            await scope.ServiceProvider.GetRequiredService<AuditService>().RecordAsync(actor, "ai.request", "ai_provider", provider.ConfigId,
                new
                {
                    action = outcome.Action, provider = provider.Kind.Id, model = provider.Model, teamDefault = provider.IsTeamDefault,
                    tokensIn = outcome.TokensIn, tokensOut = outcome.TokensOut, durationMs = (long)outcome.Duration.TotalMilliseconds, error = outcome.ErrorCode,
                },
                outcome.Succeeded ? AuditStatus.Success : AuditStatus.Error, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Losing a usage row must not turn a delivered answer into an error.
            logger.LogError(e, "Could not record AI usage of {User}", actor.UserName);
        }
    }
}
