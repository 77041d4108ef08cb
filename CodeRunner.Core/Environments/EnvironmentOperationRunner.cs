using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Sandbox.Environments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Environments;

/// <summary>
/// How a long environment operation (create, install, uninstall, upgrade) runs: its log streamed, stopped and drained
/// whatever happens, then finished exactly once in a database scope of its own, with the outcome audited.
/// </summary>
public sealed class EnvironmentOperationRunner(
    IEnvironmentManager manager,
    IServiceScopeFactory scopes,
    RequestContext requestContext,
    ILogger<EnvironmentOperationRunner> logger)
{
    /// <summary>
    /// Streams <paramref name="start"/>'s lines; whatever happens (success, failure, cancellation, or the
    /// consumer walking away) the operation is stopped and drained first, then <paramref name="finish"/> runs once.
    /// </summary>
    public async IAsyncEnumerable<OperationLogLine> GuardAsync(Func<CancellationToken, IAsyncEnumerable<EnvironmentLogLine>> start,
        Func<Exception?, Task> finish, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var completed = false;
        IAsyncEnumerator<EnvironmentLogLine>? lines = null;
        try
        {
            try
            {
                lines = start(stop.Token).GetAsyncEnumerator(stop.Token);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
            while (failure is null && !completed)
            {
                EnvironmentLogLine? line = null;
                try
                {
                    if (await lines!.MoveNextAsync()) line = lines.Current;
                    else completed = true;
                }
                catch (Exception exception)
                {
                    failure = exception;
                }
                if (line is not null) yield return line.ToCore();
            }
        }
        finally
        {
            if (!completed && failure is null)
            {
                // The consumer stopped listening: cancel the tool and wait for its cleanup.
                failure = new OperationCanceledException();
                await stop.CancelAsync();
                try
                {
                    while (lines is not null && await lines.MoveNextAsync()) { }
                }
                catch (Exception exception) when (exception is OperationCanceledException or EnvironmentOperationException)
                {
                    logger.LogDebug(exception, "Environment operation stopped after its consumer left");
                }
            }
            if (lines is not null) await lines.DisposeAsync();
            try
            {
                await finish(failure);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Recording the end of an environment operation failed");
            }
        }
        if (failure is OperationCanceledException) throw new OperationCanceledException("The operation was cancelled.", failure, cancellationToken);
        if (failure is not null)
        {
            if (EnvironmentErrors.ToCoreError(failure) is { } error) throw error;
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Streaming operations outlive a circuit's single-threaded use of the scoped DbContext: their database work gets its own scope.</summary>
    public async Task<T> WithScopeAsync<T>(Func<CodeRunnerDbContext, AuditService, Task<T>> action)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<RequestContext>();
        context.IpAddress = requestContext.IpAddress;
        context.UserAgent = requestContext.UserAgent;
        return await action(scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>(), scope.ServiceProvider.GetRequiredService<AuditService>());
    }

    public async Task RemoveDirectoryAsync(string name)
    {
        try
        {
            if (Directory.Exists(manager.GetPrefix(name))) Directory.Delete(manager.GetPrefix(name), recursive: true);
            await Task.CompletedTask;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Could not remove the directory of environment {Name}", name);
        }
    }

    public static string StatusOf(Exception? failure) => failure switch
    {
        null => AuditStatus.Success,
        OperationCanceledException => AuditStatus.Warning,
        _ => AuditStatus.Error,
    };

    public static string Outcome(Exception? failure) => failure switch
    {
        null => "ok",
        OperationCanceledException => "cancelled",
        _ => failure.Message,
    };
}
