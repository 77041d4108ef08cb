using System.Runtime.CompilerServices;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Sandbox.Environments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Environments;

/// <summary>
/// An environment's life: create (streaming the tool's log; a failed or cancelled creation leaves nothing behind),
/// edit its metadata, delete it. Owners and admins only; non-admins own one environment.
/// </summary>
public sealed class EnvironmentLifecycleService(
    CodeRunnerDbContext db,
    AuditService audit,
    IEnvironmentManager manager,
    EnvironmentOperationLocks locks,
    PackageSourcesStore packageSources,
    EnvironmentStatsCache stats,
    BaseEnvironmentCatalog baseEnvironment,
    EnvironmentQueries queries,
    EnvironmentOperationRunner operations,
    TimeProvider clock,
    ILogger<EnvironmentLifecycleService> logger)
{
    public const int MaxDisplayNameLength = 100;
    public const int MaxDescriptionLength = 1000;
    public const int MaxInitialPackages = 50;

    /// <summary>
    /// Creates an environment and streams the tool's log. Everything is validated before any process starts;
    /// a failed or cancelled creation removes both the half-made directory and the row.
    /// </summary>
    public async IAsyncEnumerable<OperationLogLine> CreateAsync(UserRef actor, EnvironmentCreateRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var name = EnvironmentNames.ValidateNew(request.Name);
        if (EnvironmentNames.IsBase(name)) throw new ConflictError("environments.name_taken", "The name 'base' is reserved.", name);
        var displayName = CleanDisplayName(request.DisplayName, name);
        var description = CleanDescription(request.Description);
        EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePythonVersion(request.PythonVersion));
        if (!queries.PythonVersions.Contains(request.PythonVersion))
            throw new ValidationError("environments.python_version_unavailable", "pythonVersion",
                $"Python {request.PythonVersion} is not available here ({string.Join(", ", queries.PythonVersions)}).", request.PythonVersion, string.Join(", ", queries.PythonVersions));
        var packages = request.Packages.Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
        if (packages.Count > MaxInitialPackages)
            throw new ValidationError("environments.too_many_packages", "packages", $"At most {MaxInitialPackages} packages.", MaxInitialPackages);
        packages = [.. EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageSpecs(packages), "packages")];
        string? spec = null;
        if (!string.IsNullOrEmpty(request.SpecFileContent))
        {
            var fileName = request.SpecFileName ?? "requirements.txt";
            packages.AddRange(EnvironmentSpecFile.Parse(fileName, request.SpecFileContent, pipStyle: manager.Backend.Kind == "venv"));
            spec = request.SpecFileContent;
        }
        else if (packages.Count > 0)
        {
            spec = string.Join('\n', packages);
        }

        // Non-admins own one environment; the per-user key makes two racing creates of one user meet.
        await using var userLock = actor.IsAdmin ? null : await locks.AcquireAsync("user:" + actor.Id, cancellationToken);
        await using var nameLock = await locks.AcquireAsync(name, cancellationToken);
        var environment = await operations.WithScopeAsync(async (scopeDb, _) =>
        {
            await RemoveStaleAsync(scopeDb, name, cancellationToken);
            if (!actor.IsAdmin && await scopeDb.PythonEnvironments.AnyAsync(e => e.OwnerId == actor.Id, cancellationToken))
                throw new ConflictError("environments.limit_one", "You already have an environment; delete it before creating another.");
            var lowered = name.ToLowerInvariant();
            if (await scopeDb.PythonEnvironments.AnyAsync(e => e.Name.ToLower() == lowered, cancellationToken) || Directory.Exists(manager.GetPrefix(name)))
                throw new ConflictError("environments.name_taken", $"An environment named '{name}' already exists.", name);
            var now = Now;
            var row = new PythonEnvironment
            {
                OwnerId = actor.Id,
                Name = name,
                DisplayName = displayName,
                Description = description,
                PythonVersion = manager.Backend.Kind == "venv" ? baseEnvironment.PythonVersion : request.PythonVersion,
                Spec = spec,
                IsPublic = request.IsPublic,
                IsActive = false,
                CreatedAt = now,
                UpdatedAt = now,
            };
            scopeDb.PythonEnvironments.Add(row);
            try
            {
                await scopeDb.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                throw new ConflictError("environments.name_taken", $"An environment named '{name}' already exists.", name);
            }
            return row;
        });

        var createSpec = new EnvironmentCreateSpec(name, environment.PythonVersion, packages);
        var lines = operations.GuardAsync(
            token => manager.CreateAsync(createSpec, packageSources.Current, token),
            failure => FinishCreateAsync(actor, environment, packages, failure),
            cancellationToken);
        await foreach (var line in lines) yield return line;
    }

    private async Task FinishCreateAsync(UserRef actor, PythonEnvironment environment, IReadOnlyList<string> packages, Exception? failure)
    {
        stats.Invalidate(environment.Name);
        await operations.WithScopeAsync(async (scopeDb, scopeAudit) =>
        {
            var row = await scopeDb.PythonEnvironments.FirstOrDefaultAsync(e => e.Id == environment.Id);
            if (failure is null && row is not null)
            {
                row.IsActive = true;
                row.UpdatedAt = Now;
                await scopeDb.SaveChangesAsync();
            }
            else
            {
                if (row is not null)
                {
                    scopeDb.PythonEnvironments.Remove(row);
                    await scopeDb.SaveChangesAsync();
                }
                await operations.RemoveDirectoryAsync(environment.Name);
            }
            await scopeAudit.RecordAsync(actor, "environment.create", "environment", environment.Name,
                new { environment.PythonVersion, packages, backend = manager.Backend.Kind, outcome = EnvironmentOperationRunner.Outcome(failure) }, EnvironmentOperationRunner.StatusOf(failure));
            return 0;
        });
    }

    public async Task<EnvironmentSummary> UpdateAsync(UserRef actor, string name, EnvironmentEdit edit, CancellationToken cancellationToken = default)
    {
        var environment = await EnvironmentAccess.FindEditableAsync(db, actor, name, cancellationToken);
        var displayName = CleanDisplayName(edit.DisplayName, environment.Name);
        var description = CleanDescription(edit.Description);
        var changes = new { displayName, description, edit.IsPublic, wasPublic = environment.IsPublic };
        environment.DisplayName = displayName;
        environment.Description = description;
        environment.IsPublic = edit.IsPublic;
        environment.UpdatedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "environment.update", "environment", environment.Name, changes, cancellationToken: cancellationToken);
        return await queries.GetAsync(actor, environment.Name, cancellationToken);
    }

    public async Task SetPublicAsync(UserRef actor, string name, bool isPublic, CancellationToken cancellationToken = default)
    {
        var environment = await EnvironmentAccess.FindEditableAsync(db, actor, name, cancellationToken);
        if (environment.IsPublic == isPublic) return;
        environment.IsPublic = isPublic;
        environment.UpdatedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "environment.update", "environment", environment.Name, new { isPublic }, cancellationToken: cancellationToken);
    }

    /// <summary>Deletes the environment (owner or admin); refused while a run uses it or another operation runs on it.</summary>
    public async Task DeleteAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        var environment = await EnvironmentAccess.FindEditableAsync(db, actor, name, cancellationToken);
        await using var nameLock = await locks.AcquireAsync(environment.Name, cancellationToken);
        if (await db.CodeExecutions.AnyAsync(x => x.Status == ExecutionStatus.Running && x.EnvironmentName == environment.Name, cancellationToken))
            throw new ConflictError("environments.in_use", $"A run is using environment '{environment.Name}'.", environment.Name);
        await operations.RemoveDirectoryAsync(environment.Name);
        db.PythonEnvironments.Remove(environment);
        await db.SaveChangesAsync(cancellationToken);
        stats.Invalidate(environment.Name);
        await audit.RecordAsync(actor, "environment.delete", "environment", environment.Name,
            new { owner = environment.OwnerId, byAdmin = environment.OwnerId != actor.Id }, cancellationToken: cancellationToken);
    }

    /// <summary>A row left inactive by a crash mid-creation (no operation holds its lock) is removed so the name and the limit free up.</summary>
    private async Task RemoveStaleAsync(CodeRunnerDbContext context, string name, CancellationToken cancellationToken)
    {
        var stale = await context.PythonEnvironments.Where(e => !e.IsActive).ToListAsync(cancellationToken);
        // The caller holds the lock of `name` itself; any other busy name is a creation still running.
        var busy = await locks.BusyAsync(stale.Select(e => e.Name), cancellationToken);
        foreach (var environment in stale.Where(e => e.Name == name || !busy.Contains(e.Name)))
        {
            logger.LogWarning("Removing unfinished environment {Name} left by an interrupted creation", environment.Name);
            await operations.RemoveDirectoryAsync(environment.Name);
            context.PythonEnvironments.Remove(environment);
        }
        await context.SaveChangesAsync(cancellationToken);
    }

    private static string CleanDisplayName(string? displayName, string fallback)
    {
        var value = string.IsNullOrWhiteSpace(displayName) ? fallback : displayName.Trim();
        if (value.Length > MaxDisplayNameLength)
            throw new ValidationError("environments.display_name_too_long", "displayName", $"At most {MaxDisplayNameLength} characters.", MaxDisplayNameLength);
        return value;
    }

    private static string? CleanDescription(string? description)
    {
        var value = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        if (value?.Length > MaxDescriptionLength)
            throw new ValidationError("environments.description_too_long", "description", $"At most {MaxDescriptionLength} characters.", MaxDescriptionLength);
        return value;
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
