using System.Text;
using System.Threading.Channels;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Coordination;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Tiers;
using CodeRunner.Sandbox.Execution;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Execution;

/// <summary>quota → environment → sandbox → record. The run page streams it; the REST API awaits the outcome.</summary>
public sealed class ExecutionService(
    CodeRunnerDbContext db,
    QuotaService quotas,
    AuditService audit,
    ICodeRunner runner,
    EnvironmentQueries environments,
    ActiveRuns activeRuns,
    ILeaseStore leases,
    NodeIdentity node,
    RunAdmission admission,
    IServiceScopeFactory scopes,
    IOptions<ExecutionOptions> options,
    TimeProvider clock,
    ILogger<ExecutionService> logger) : IExecutionService
{
    public async Task<IExecutionRun> StartAsync(UserRef actor, ExecutionRequest request, ExecutionOrigin origin, CancellationToken cancellationToken)
    {
        var (code, snippetId) = await ResolveCodeAsync(actor, request, cancellationToken);
        ValidateStdin(request.Stdin);
        var interpreter = await ResolveEnvironmentAsync(actor, request.EnvironmentName, cancellationToken);

        // One run at a time per user from the page, on every web node (a database lease); the REST API is bounded by its own quota and rate limit.
        var userLease = origin == ExecutionOrigin.Web
            ? await leases.TryAcquireAsync(RunLeaseKey(actor.Id), cancellationToken) ?? throw new ConflictError("execution.already_running", "A run of this user is still going.")
            : null;
        IDisposable? slot = null;
        try
        {
            // A sandbox slot: waits in the machine-wide queue (fair between users), or 429 when it is full.
            slot = await admission.EnterAsync(actor.Id, origin == ExecutionOrigin.Api, ParallelApiRunsOf(actor), cancellationToken);

            var tier = quotas.LimitsFor(actor);
            var limits = new RunLimits
            {
                WallTimeout = TimeSpan.FromSeconds(tier.TimeoutSeconds),
                CpuTime = TimeSpan.FromSeconds(tier.TimeoutSeconds),
                MemoryMb = tier.MemoryMb,
                MaxOutputBytes = options.Value.MaxOutputBytes,
                DiskQuotaBytes = options.Value.DiskQuotaMb * 1024L * 1024,
                MaxFiles = options.Value.MaxFiles,
            };

            var now = clock.GetUtcNow().UtcDateTime;
            var row = new CodeExecution
            {
                UserId = actor.Id,
                Code = code,
                Status = ExecutionStatus.Running,
                CreatedAt = now,
                IsApiCall = origin == ExecutionOrigin.Api,
                SnippetId = snippetId,
                EnvironmentName = interpreter.Name,
                Node = node.Name,
            };
            // The quota reserve, the run row and its audit row are one commit: all three or none.
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
            {
                if (origin == ExecutionOrigin.Web) await quotas.TryConsumeRunAsync(actor, cancellationToken);
                db.CodeExecutions.Add(row);
                await db.SaveChangesAsync(cancellationToken);
                await audit.RecordAsync(actor, "execution.run", "execution", row.Id,
                    new { environment = interpreter.Name, origin = origin.ToString().ToLowerInvariant(), snippetId, codeBytes = Encoding.UTF8.GetByteCount(code) },
                    cancellationToken: cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }

            IRunSession session;
            try
            {
                session = runner.Start(new RunRequest
                {
                    Code = code,
                    InterpreterPath = interpreter.InterpreterPath,
                    EnvironmentPrefix = interpreter.Prefix,
                    Stdin = request.Stdin,
                    Limits = limits,
                    RunId = $"{row.Id}-{Guid.NewGuid():N}"[..24],
                    SupportFiles = MatplotlibShowBackend.SupportFiles,
                    EnvironmentVariables = MatplotlibShowBackend.EnvironmentVariables,
                }, cancellationToken);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "The sandbox could not start execution {ExecutionId}", row.Id);
                row.Status = ExecutionStatus.Failed;
                row.FinishedAt = clock.GetUtcNow().UtcDateTime;
                await db.SaveChangesAsync(CancellationToken.None);
                throw;
            }

            activeRuns.Register(row.Id, actor.Id, actor.UserName, origin, interpreter.Name, session);
            var executionId = row.Id;
            var heldSlot = slot;
            slot = null;
            return new ExecutionRun(row.Id, session, options.Value.StoredOutputChars,
                (result, outcome, output) => RecordAsync(row.Id, result, outcome, output),
                async () =>
                {
                    activeRuns.Unregister(executionId);
                    heldSlot.Dispose();
                    if (userLease is not null) await userLease.DisposeAsync();
                }, logger);
        }
        catch
        {
            slot?.Dispose();
            if (userLease is not null) await userLease.DisposeAsync();
            throw;
        }
    }

    /// <summary>The lease a user's page run holds while it runs.</summary>
    internal static string RunLeaseKey(string userId) => "run:" + userId;

    /// <summary>The tier's cap on API runs at once (admins get the highest tier's).</summary>
    private int? ParallelApiRunsOf(UserRef actor)
    {
        var byLevel = options.Value.ParallelApiRunsByLevel;
        if (byLevel.Length == 0) return null;
        var index = actor.IsAdmin ? byLevel.Length - 1 : Math.Clamp(actor.Level - 1, 0, byLevel.Length - 1);
        return byLevel[index];
    }

    public async Task<ExecutionOutcome> RunAsync(UserRef actor, ExecutionRequest request, ExecutionOrigin origin, CancellationToken cancellationToken)
    {
        await using var run = await StartAsync(actor, request, origin, cancellationToken);
        // Drain the live events; the outcome carries the collected output.
        await foreach (var _ in run.Events.ReadAllAsync(CancellationToken.None)) { }
        return await run.Completion;
    }

    private async Task<(string Code, int? SnippetId)> ResolveCodeAsync(UserRef actor, ExecutionRequest request, CancellationToken cancellationToken)
    {
        string? code = request.Code;
        if (request.SnippetId is { } snippetId)
        {
            var snippet = await db.Snippets.AsNoTracking().FirstOrDefaultAsync(s => s.Id == snippetId, cancellationToken)
                ?? throw new NotFoundError("snippet", snippetId);
            if (snippet.UserId != actor.Id && !snippet.IsPublic && !actor.IsAdmin) throw new NotFoundError("snippet", snippetId);
            code = string.IsNullOrWhiteSpace(code) ? snippet.Code : code;
        }
        if (string.IsNullOrWhiteSpace(code))
            throw new ValidationError("execution.code_empty", "code", "There is no code to run.");
        var max = options.Value.MaxCodeBytes;
        if (Encoding.UTF8.GetByteCount(code) > max)
            throw new ValidationError("execution.code_too_large", "code", $"The code is larger than {max / 1024} KB.", max / 1024);
        return (code, request.SnippetId);
    }

    private void ValidateStdin(string? stdin)
    {
        var max = options.Value.MaxStdinBytes;
        if (stdin is not null && Encoding.UTF8.GetByteCount(stdin) > max)
            throw new ValidationError("execution.stdin_too_large", "stdin", $"The input is larger than {max / 1024} KB.", max / 1024);
    }

    /// <summary>
    /// The environment the run uses (EnvironmentQueries checks access and records the use). Someone else's private
    /// environment is "not found"; one the user may use but that is not ready is a conflict naming it.
    /// </summary>
    private async Task<ResolvedEnvironment> ResolveEnvironmentAsync(UserRef actor, string? name, CancellationToken cancellationToken)
    {
        try
        {
            if (await environments.ResolveForRunAsync(actor, name, cancellationToken) is { } resolved) return resolved;
            var unavailable = await environments.GetAsync(actor, name!, cancellationToken);
            throw new ConflictError("execution.environment_unavailable", $"Environment {name} is not available.", unavailable.DisplayName);
        }
        catch (ForbiddenError)
        {
            throw new NotFoundError("environment", name!);
        }
    }

    /// <summary>Writes the finished run; its own scope, because the page's or request's scope may be gone by then.</summary>
    private async Task RecordAsync(long executionId, RunResult result, ExecutionOutcome outcome, StoredOutput output)
    {
        await using var scope = scopes.CreateAsyncScope();
        var scopedDb = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var row = await scopedDb.CodeExecutions.FirstAsync(e => e.Id == executionId);
        row.Status = outcome.StatusName;
        row.ExitCode = result.ExitCode;
        row.DurationMs = result.WallMs;
        row.CpuMs = result.CpuMs;
        row.PeakMemoryMb = Math.Round(result.PeakMemoryMb, 1);
        row.Output = output.Text;
        row.OutputTruncated = result.OutputTruncated || output.Truncated;
        row.ArtifactDirectory = result.ArtifactDirectory;
        row.FinishedAt = clock.GetUtcNow().UtcDateTime;
        await scopedDb.SaveChangesAsync();
    }
}

/// <summary>The output stored in the row: stdout and stderr interleaved as they arrived, capped.</summary>
internal sealed record StoredOutput(string Text, bool Truncated);

/// <summary>Forwards a sandbox session's events, collects stdout/stderr, records the row, then completes.</summary>
internal sealed class ExecutionRun : IExecutionRun
{
    private readonly IRunSession session;
    private readonly Channel<ExecutionEvent> events = Channel.CreateUnbounded<ExecutionEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly int storedOutputChars;
    private readonly Func<RunResult, ExecutionOutcome, StoredOutput, Task> record;
    private readonly Func<ValueTask> release;
    private readonly ILogger logger;

    public ExecutionRun(long executionId, IRunSession session, int storedOutputChars, Func<RunResult, ExecutionOutcome, StoredOutput, Task> record, Func<ValueTask> release, ILogger logger)
    {
        ExecutionId = executionId;
        this.session = session;
        this.storedOutputChars = storedOutputChars;
        this.record = record;
        this.release = release;
        this.logger = logger;
        Completion = PumpAsync();
    }

    public long ExecutionId { get; }
    public ChannelReader<ExecutionEvent> Events => events.Reader;
    public Task<ExecutionOutcome> Completion { get; }

    public ValueTask WriteStdinAsync(string text, CancellationToken cancellationToken = default) => session.WriteStdinAsync(text, cancellationToken);

    public void Cancel() => session.Cancel();

    public async ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted) session.Cancel();
        try
        {
            await Completion;
        }
        catch (Exception exception)
        {
            logger.LogDebug(exception, "Execution {ExecutionId} ended with an error while being disposed", ExecutionId);
        }
        await session.DisposeAsync();
    }

    private async Task<ExecutionOutcome> PumpAsync()
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var combined = new StringBuilder();
        var combinedTruncated = false;
        try
        {
            RunResult? result = null;
            await foreach (var runEvent in session.Events.ReadAllAsync())
            {
                switch (runEvent)
                {
                    case RunOutput output:
                        (output.Stream == OutputStream.Stdout ? stdout : stderr).Append(output.Text);
                        var room = storedOutputChars - combined.Length;
                        if (output.Text.Length <= room) combined.Append(output.Text);
                        else
                        {
                            if (room > 0) combined.Append(output.Text.AsSpan(0, room));
                            combinedTruncated = true;
                        }
                        events.Writer.TryWrite(new ExecutionOutput(output.Text, output.Stream == OutputStream.Stderr));
                        break;
                    case RunStarted:
                        events.Writer.TryWrite(new ExecutionStarted());
                        break;
                    case RunExited exited:
                        result = exited.Result;
                        events.Writer.TryWrite(new ExecutionExited(ToCore(exited.Result)));
                        break;
                }
            }
            result ??= await session.Completion;
            var outcome = new ExecutionOutcome(ExecutionId, ToCore(result), stdout.ToString(), stderr.ToString(), RunStatusNames.Of(result.Status));
            await record(result, outcome, new StoredOutput(combined.ToString(), combinedTruncated));
            return outcome;
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Execution {ExecutionId} could not be completed", ExecutionId);
            throw;
        }
        finally
        {
            await release();
            events.Writer.TryComplete();
        }
    }

    /// <summary>The sandbox's result in Core's terms (no host paths).</summary>
    private static ExecutionResult ToCore(RunResult result) => new()
    {
        ExitCode = result.ExitCode,
        WallMs = result.WallMs,
        CpuMs = result.CpuMs,
        PeakMemoryMb = result.PeakMemoryMb,
        OutputTruncated = result.OutputTruncated,
        Artifacts = result.Artifacts.Select(a => new ExecutionArtifact(a.Name, a.SizeBytes, a.ContentType)).ToList(),
    };
}
