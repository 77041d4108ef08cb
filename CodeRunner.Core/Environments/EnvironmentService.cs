using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Sandbox.Environments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Core.Environments;

/// <summary>
/// Per-user Python environments on top of the sandbox's <see cref="IEnvironmentManager"/>: who may see,
/// use and change which environment, the one-environment limit, one operation per environment at a
/// time, audit. Long operations stream the tool's log and stop (cleanly) when their token is cancelled.
/// </summary>
public sealed class EnvironmentService(
    CodeRunnerDbContext db,
    AuditService audit,
    IEnvironmentManager manager,
    EnvironmentOperationLocks locks,
    PackageSourcesStore packageSources,
    EnvironmentStatsCache stats,
    BaseEnvironmentCatalog baseEnvironment,
    IServiceScopeFactory scopes,
    RequestContext requestContext,
    TimeProvider clock,
    ILogger<EnvironmentService> logger)
{
    public const string BaseName = BaseEnvironmentCatalog.Name;
    public const int MaxDisplayNameLength = 100;
    public const int MaxDescriptionLength = 1000;
    public const int MaxInitialPackages = 50;
    private static readonly string[] CondaPythonVersions = ["3.13", "3.12", "3.11", "3.10", "3.9"];

    /// <summary>venv, micromamba, mamba or conda.</summary>
    public string BackendKind => manager.Backend.Kind;

    /// <summary>Python versions a new environment can have: venv only copies the base interpreter; conda installs any.</summary>
    public IReadOnlyList<string> PythonVersions => manager.Backend.Kind == "venv"
        ? [baseEnvironment.PythonVersion]
        : [.. new[] { baseEnvironment.PythonVersion }.Concat(CondaPythonVersions).Distinct().OrderByDescending(v => Version.TryParse(v, out var parsed) ? parsed : new Version())];

    // ---------- queries ----------

    /// <summary>The base environment, mine, and other users' public ones; admins see every environment.</summary>
    public async Task<IReadOnlyList<EnvironmentSummary>> ListAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        var rows = await VisibleRows(actor).ToListAsync(cancellationToken);
        var list = new List<EnvironmentSummary> { await DescribeBaseAsync(cancellationToken) };
        foreach (var row in rows.OrderByDescending(r => r.Environment.OwnerId == actor.Id).ThenBy(r => r.Environment.Name, StringComparer.OrdinalIgnoreCase))
            list.Add(await DescribeAsync(actor, row.Environment, row.OwnerUserName, cancellationToken));
        return list;
    }

    /// <summary>Environments the user may run code in (base first, then theirs, then public ones), ready ones only; cheap enough for every page load.</summary>
    public async Task<IReadOnlyList<EnvironmentChoice>> ListChoicesAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        var rows = await VisibleRows(actor, activeOnly: true).ToListAsync(cancellationToken);
        return
        [
            new EnvironmentChoice(BaseName, BaseName, baseEnvironment.PythonVersion, "", false, true),
            .. rows.OrderByDescending(r => r.Environment.OwnerId == actor.Id).ThenBy(r => r.Environment.Name, StringComparer.OrdinalIgnoreCase)
                .Select(r => new EnvironmentChoice(r.Environment.Name, r.Environment.DisplayName, r.Environment.PythonVersion, r.OwnerUserName, r.Environment.OwnerId == actor.Id, false)),
        ];
    }

    /// <summary>Every environment of every user (admin view).</summary>
    public async Task<IReadOnlyList<EnvironmentSummary>> ListAllAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var rows = await WithOwners(db.PythonEnvironments.AsNoTracking()).ToListAsync(cancellationToken);
        var list = new List<EnvironmentSummary>();
        foreach (var row in rows.OrderBy(r => r.OwnerUserName, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Environment.Name, StringComparer.OrdinalIgnoreCase))
            list.Add(await DescribeAsync(actor, row.Environment, row.OwnerUserName, cancellationToken));
        return list;
    }

    public async Task<EnvironmentSummary> GetAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        if (IsBase(name)) return await DescribeBaseAsync(cancellationToken);
        var row = await FindVisibleAsync(actor, name, cancellationToken);
        return await DescribeAsync(actor, row.Environment, row.OwnerUserName, cancellationToken);
    }

    /// <summary>Whether the user may create another environment (non-admins own at most one).</summary>
    public async Task<bool> CanCreateAsync(UserRef actor, CancellationToken cancellationToken = default) =>
        actor.IsAdmin || !await db.PythonEnvironments.AnyAsync(e => e.OwnerId == actor.Id, cancellationToken);

    public async Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        if (IsBase(name)) return await baseEnvironment.ListPackagesAsync(cancellationToken);
        var row = await FindVisibleAsync(actor, name, cancellationToken);
        if (!manager.Exists(row.Environment.Name)) return [];
        var packages = await Translated(() => manager.ListPackagesAsync(row.Environment.Name, cancellationToken));
        return packages.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// For a run: the interpreter and prefix of the environment the user chose, after checking they may use
    /// it (their own, a public one, or any as admin) and that it is ready; records it as used now.
    /// Null or "base" gives the base interpreter (Prefix null). Returns null when no active environment has
    /// that name; throws <see cref="NotFoundError"/> for someone else's private environment.
    /// </summary>
    public async Task<ResolvedEnvironment?> ResolveForRunAsync(UserRef actor, string? name, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name) || IsBase(name)) return new ResolvedEnvironment(BaseName, baseEnvironment.InterpreterPath, null);
        var environment = await db.PythonEnvironments.AsNoTracking().FirstOrDefaultAsync(e => e.Name == name, cancellationToken);
        if (environment is null || !environment.IsActive || !manager.Exists(environment.Name)) return null;
        // Someone else's private environment does not exist as far as the actor can tell.
        if (environment.OwnerId != actor.Id && !environment.IsPublic && !actor.IsAdmin)
            throw new NotFoundError("environment", name);
        var now = Now;
        await db.PythonEnvironments.Where(e => e.Id == environment.Id)
            .ExecuteUpdateAsync(setters => setters.SetProperty(e => e.LastUsedAt, now), cancellationToken);
        return new ResolvedEnvironment(environment.Name, manager.GetInterpreterPath(environment.Name), manager.GetPrefix(environment.Name));
    }

    // ---------- create ----------

    /// <summary>
    /// Creates an environment and streams the tool's log. Everything is validated before any process starts;
    /// a failed or cancelled creation removes both the half-made directory and the row.
    /// </summary>
    public async IAsyncEnumerable<EnvironmentLogLine> CreateAsync(UserRef actor, EnvironmentCreateRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var name = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidateEnvironmentName(request.Name?.Trim()));
        if (IsBase(name)) throw new ConflictError("environments.name_taken", "The name 'base' is reserved.", name);
        var displayName = CleanDisplayName(request.DisplayName, name);
        var description = CleanDescription(request.Description);
        EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePythonVersion(request.PythonVersion));
        if (!PythonVersions.Contains(request.PythonVersion))
            throw new ValidationError("environments.python_version_unavailable", "pythonVersion",
                $"Python {request.PythonVersion} is not available here ({string.Join(", ", PythonVersions)}).", request.PythonVersion, string.Join(", ", PythonVersions));
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
        var environment = await WithScopeAsync(async (scopeDb, _) =>
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
        var lines = GuardAsync(
            token => manager.CreateAsync(createSpec, packageSources.Current, token),
            failure => FinishCreateAsync(actor, environment, packages, failure),
            cancellationToken);
        await foreach (var line in lines) yield return line;
    }

    private async Task FinishCreateAsync(UserRef actor, PythonEnvironment environment, IReadOnlyList<string> packages, Exception? failure)
    {
        stats.Invalidate(environment.Name);
        await WithScopeAsync(async (scopeDb, scopeAudit) =>
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
                await RemoveDirectoryAsync(environment.Name);
            }
            await scopeAudit.RecordAsync(actor, "environment.create", "environment", environment.Name,
                new { environment.PythonVersion, packages, backend = manager.Backend.Kind, outcome = Outcome(failure) }, StatusOf(failure));
            return 0;
        });
    }

    // ---------- metadata ----------

    public async Task<EnvironmentSummary> UpdateAsync(UserRef actor, string name, EnvironmentEdit edit, CancellationToken cancellationToken = default)
    {
        var environment = await FindEditableAsync(actor, name, cancellationToken);
        var displayName = CleanDisplayName(edit.DisplayName, environment.Name);
        var description = CleanDescription(edit.Description);
        var changes = new { displayName, description, edit.IsPublic, wasPublic = environment.IsPublic };
        environment.DisplayName = displayName;
        environment.Description = description;
        environment.IsPublic = edit.IsPublic;
        environment.UpdatedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "environment.update", "environment", environment.Name, changes, cancellationToken: cancellationToken);
        return await GetAsync(actor, environment.Name, cancellationToken);
    }

    public async Task SetPublicAsync(UserRef actor, string name, bool isPublic, CancellationToken cancellationToken = default)
    {
        var environment = await FindEditableAsync(actor, name, cancellationToken);
        if (environment.IsPublic == isPublic) return;
        environment.IsPublic = isPublic;
        environment.UpdatedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "environment.update", "environment", environment.Name, new { isPublic }, cancellationToken: cancellationToken);
    }

    /// <summary>Deletes the environment (owner or admin); refused while a run uses it or another operation runs on it.</summary>
    public async Task DeleteAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        var environment = await FindEditableAsync(actor, name, cancellationToken);
        await using var nameLock = await locks.AcquireAsync(environment.Name, cancellationToken);
        if (await db.CodeExecutions.AnyAsync(x => x.Status == ExecutionStatus.Running && x.EnvironmentName == environment.Name, cancellationToken))
            throw new ConflictError("environments.in_use", $"A run is using environment '{environment.Name}'.", environment.Name);
        await RemoveDirectoryAsync(environment.Name);
        db.PythonEnvironments.Remove(environment);
        await db.SaveChangesAsync(cancellationToken);
        stats.Invalidate(environment.Name);
        await audit.RecordAsync(actor, "environment.delete", "environment", environment.Name,
            new { owner = environment.OwnerId, byAdmin = environment.OwnerId != actor.Id }, cancellationToken: cancellationToken);
    }

    // ---------- packages ----------

    /// <summary>Installs <paramref name="packageName"/> with an optional version spec ("==1.2", ">=2,&lt;3" or just "1.2").</summary>
    public IAsyncEnumerable<EnvironmentLogLine> InstallAsync(UserRef actor, string name, string packageName, string? versionSpec, CancellationToken cancellationToken = default)
    {
        var spec = CombineSpec(packageName, versionSpec);
        return PackageOperationAsync(actor, name, "environment.install", spec,
            (environment, token) => manager.InstallAsync(environment, [spec], packageSources.Current, token), cancellationToken);
    }

    public IAsyncEnumerable<EnvironmentLogLine> UninstallAsync(UserRef actor, string name, string packageName, CancellationToken cancellationToken = default)
    {
        var package = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageName(packageName), "package");
        if (IsProtectedPackage(package))
            throw new ValidationError("environments.package_protected", "package", $"{package} keeps the environment working and cannot be removed.", package);
        return PackageOperationAsync(actor, name, "environment.uninstall", package,
            (environment, token) => manager.UninstallAsync(environment, [package], token), cancellationToken);
    }

    public IAsyncEnumerable<EnvironmentLogLine> UpgradeAsync(UserRef actor, string name, string packageName, CancellationToken cancellationToken = default)
    {
        var package = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageName(packageName), "package");
        return PackageOperationAsync(actor, name, "environment.upgrade", package,
            (environment, token) => manager.UpgradeAsync(environment, [package], packageSources.Current, token), cancellationToken);
    }

    /// <summary>"numpy" + "1.26" → "numpy==1.26"; "numpy" + "&gt;=1.26" → "numpy&gt;=1.26"; validated before anything runs.</summary>
    public static string CombineSpec(string? packageName, string? versionSpec)
    {
        var package = EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageSpec(packageName), "package");
        var version = versionSpec?.Trim() ?? "";
        if (version.Length == 0) return package;
        if (package.IndexOfAny(['=', '<', '>', '!', '~']) >= 0)
            throw new ValidationError("environments.invalid_spec", "version", "Give the version either in the name or in the version field.", package + version);
        var combined = char.IsDigit(version[0]) ? $"{package}=={version}" : package + version;
        return EnvironmentErrors.Translate(() => PackageSpecValidator.ValidatePackageSpec(combined), "version");
    }

    private static bool IsProtectedPackage(string package) =>
        package.Equals("pip", StringComparison.OrdinalIgnoreCase) || package.Equals("python", StringComparison.OrdinalIgnoreCase);

    private async IAsyncEnumerable<EnvironmentLogLine> PackageOperationAsync(UserRef actor, string name, string action, string target,
        Func<string, CancellationToken, IAsyncEnumerable<EnvironmentLogLine>> operation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var environmentName = await WithScopeAsync(async (scopeDb, _) =>
        {
            var environment = await FindEditableAsync(scopeDb, actor, name, cancellationToken);
            if (!environment.IsActive) throw new ConflictError("environments.not_ready", $"Environment '{name}' is not ready.", name);
            return environment.Name;
        });
        await using var nameLock = await locks.AcquireAsync(environmentName, cancellationToken);
        if (!manager.Exists(environmentName)) throw new NotFoundError("environment", environmentName);
        var lines = GuardAsync(
            token => operation(environmentName, token),
            failure => FinishPackageOperationAsync(actor, environmentName, action, target, failure),
            cancellationToken);
        await foreach (var line in lines) yield return line;
    }

    private async Task FinishPackageOperationAsync(UserRef actor, string name, string action, string target, Exception? failure)
    {
        stats.Invalidate(name);
        await WithScopeAsync(async (scopeDb, scopeAudit) =>
        {
            if (failure is null)
                await scopeDb.PythonEnvironments.Where(e => e.Name == name)
                    .ExecuteUpdateAsync(setters => setters.SetProperty(e => e.UpdatedAt, Now));
            await scopeAudit.RecordAsync(actor, action, "environment", name, new { package = target, outcome = Outcome(failure) }, StatusOf(failure));
            return 0;
        });
    }

    // ---------- admin ----------

    public async Task<EnvironmentBackendOverview> GetBackendOverviewAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var names = await db.PythonEnvironments.AsNoTracking().Select(e => e.Name).ToListAsync(cancellationToken);
        long total = 0;
        foreach (var name in names)
            total += (await stats.GetAsync(name, cancellationToken))?.DiskBytes ?? 0;
        var backend = manager.Backend;
        return new EnvironmentBackendOverview(backend.Kind, backend.ToolPath, backend.Version, backend.EnvironmentsRoot, total, names.Count);
    }

    public PackageSources GetPackageSources(UserRef actor)
    {
        RequireAdmin(actor);
        return packageSources.Current;
    }

    public bool PackageSourcesOverridden => packageSources.IsOverridden;

    /// <summary>Saves the admin's package sources (data/package-sources.json); they override configuration from now on.</summary>
    public async Task SavePackageSourcesAsync(UserRef actor, PackageSources sources, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var clean = new PackageSourcesOptions
        {
            PipIndexUrl = sources.PipIndexUrl,
            PipExtraIndexUrls = [.. sources.PipExtraIndexUrls],
            FindLinks = [.. sources.FindLinks],
            NoIndex = sources.NoIndex,
            CondaChannels = [.. sources.CondaChannels],
        }.ToSources();
        if (clean.PipIndexUrl is { } index) RequireUrl(index, "pipIndexUrl");
        foreach (var url in clean.PipExtraIndexUrls) RequireUrl(url, "pipExtraIndexUrls");
        foreach (var link in clean.FindLinks)
            if (!Path.IsPathFullyQualified(link)) RequireUrl(link, "findLinks");
        foreach (var channel in clean.CondaChannels)
            if (channel.Contains("://", StringComparison.Ordinal) ? !IsHttpUrl(channel) : channel.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
                throw new ValidationError("environments.invalid_channel", "condaChannels", $"'{channel}' is not a channel name or http(s) URL.", channel);
        packageSources.Save(clean);
        await audit.RecordAsync(actor, "packages.sources_update", "settings", "package-sources", clean, cancellationToken: cancellationToken);
    }

    /// <summary>Drops the admin's saved sources; configuration applies again.</summary>
    public async Task ResetPackageSourcesAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        packageSources.Reset();
        await audit.RecordAsync(actor, "packages.sources_reset", "settings", "package-sources", cancellationToken: cancellationToken);
    }

    // ---------- helpers ----------

    private sealed record Row(PythonEnvironment Environment, string OwnerUserName);

    private IQueryable<Row> WithOwners(IQueryable<PythonEnvironment> environments) =>
        from e in environments
        join u in db.Users on e.OwnerId equals u.Id into owners
        from u in owners.DefaultIfEmpty()
        select new Row(e, u == null ? "" : u.UserName!);

    private IQueryable<Row> VisibleRows(UserRef actor, bool activeOnly = false)
    {
        var environments = db.PythonEnvironments.AsNoTracking();
        if (activeOnly) environments = environments.Where(e => e.IsActive);
        if (!actor.IsAdmin) environments = environments.Where(e => e.OwnerId == actor.Id || (e.IsPublic && e.IsActive));
        return WithOwners(environments);
    }

    private async Task<Row> FindVisibleAsync(UserRef actor, string name, CancellationToken cancellationToken)
    {
        var row = await WithOwners(db.PythonEnvironments.AsNoTracking().Where(e => e.Name == name)).FirstOrDefaultAsync(cancellationToken)
            ?? throw new NotFoundError("environment", name);
        if (row.Environment.OwnerId != actor.Id && !actor.IsAdmin && !(row.Environment.IsPublic && row.Environment.IsActive))
            throw new NotFoundError("environment", name);
        return row;
    }

    private Task<PythonEnvironment> FindEditableAsync(UserRef actor, string name, CancellationToken cancellationToken) =>
        FindEditableAsync(db, actor, name, cancellationToken);

    private static async Task<PythonEnvironment> FindEditableAsync(CodeRunnerDbContext context, UserRef actor, string name, CancellationToken cancellationToken)
    {
        if (IsBase(name)) throw new ForbiddenError("The base environment is read-only.");
        var environment = await context.PythonEnvironments.FirstOrDefaultAsync(e => e.Name == name, cancellationToken)
            ?? throw new NotFoundError("environment", name);
        if (environment.OwnerId != actor.Id && !actor.IsAdmin)
        {
            // Only a public, ready environment of someone else is visible; anything else is "not found".
            if (!(environment.IsPublic && environment.IsActive)) throw new NotFoundError("environment", name);
            throw new ForbiddenError($"Environment '{name}' belongs to another user.");
        }
        return environment;
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
            await RemoveDirectoryAsync(environment.Name);
            context.PythonEnvironments.Remove(environment);
        }
        await context.SaveChangesAsync(cancellationToken);
    }

    private async Task<EnvironmentSummary> DescribeBaseAsync(CancellationToken cancellationToken)
    {
        var packages = await baseEnvironment.ListPackagesAsync(cancellationToken);
        return new EnvironmentSummary
        {
            Name = BaseName,
            DisplayName = BaseName,
            PythonVersion = baseEnvironment.PythonVersion,
            IsPublic = true,
            IsBase = true,
            PackageCount = packages.Count,
        };
    }

    private async Task<EnvironmentSummary> DescribeAsync(UserRef actor, PythonEnvironment environment, string ownerUserName, CancellationToken cancellationToken)
    {
        var busy = await locks.IsBusyAsync(environment.Name, cancellationToken);
        var environmentStats = busy || !environment.IsActive ? null : await stats.GetAsync(environment.Name, cancellationToken);
        return new EnvironmentSummary
        {
            Name = environment.Name,
            DisplayName = environment.DisplayName,
            Description = environment.Description,
            PythonVersion = environment.PythonVersion,
            OwnerId = environment.OwnerId,
            OwnerUserName = ownerUserName,
            IsPublic = environment.IsPublic,
            IsActive = environment.IsActive,
            IsMine = environment.OwnerId == actor.Id,
            CanEdit = environment.OwnerId == actor.Id || actor.IsAdmin,
            PackageCount = environmentStats?.PackageCount,
            DiskBytes = environmentStats?.DiskBytes,
            CreatedAt = environment.CreatedAt,
            LastUsedAt = environment.LastUsedAt,
            IsBusy = busy,
        };
    }

    /// <summary>
    /// Streams <paramref name="start"/>'s lines; whatever happens (success, failure, cancellation, or the
    /// consumer walking away) the operation is stopped and drained first, then <paramref name="finish"/> runs once.
    /// </summary>
    private async IAsyncEnumerable<EnvironmentLogLine> GuardAsync(Func<CancellationToken, IAsyncEnumerable<EnvironmentLogLine>> start,
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
                if (line is not null) yield return line;
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
    private async Task<T> WithScopeAsync<T>(Func<CodeRunnerDbContext, AuditService, Task<T>> action)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<RequestContext>();
        context.IpAddress = requestContext.IpAddress;
        context.UserAgent = requestContext.UserAgent;
        return await action(scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>(), scope.ServiceProvider.GetRequiredService<AuditService>());
    }

    private async Task RemoveDirectoryAsync(string name)
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

    private static async Task<T> Translated<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (EnvironmentErrors.ToCoreError(exception) is { } error)
        {
            throw error;
        }
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

    private static void RequireUrl(string value, string field)
    {
        if (!IsHttpUrl(value))
            throw new ValidationError("environments.invalid_source_url", field, $"'{value}' is not an http(s) URL or absolute directory.", value);
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static void RequireAdmin(UserRef actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenError("Administrators only.");
    }

    private static bool IsBase(string name) => string.Equals(name, BaseName, StringComparison.OrdinalIgnoreCase);

    private static string StatusOf(Exception? failure) => failure switch
    {
        null => AuditStatus.Success,
        OperationCanceledException => AuditStatus.Warning,
        _ => AuditStatus.Error,
    };

    private static string Outcome(Exception? failure) => failure switch
    {
        null => "ok",
        OperationCanceledException => "cancelled",
        _ => failure.Message,
    };

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
}
