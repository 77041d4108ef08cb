using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Sandbox.Environments;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Environments;

/// <summary>What environments exist and what they hold, as each user may see them; and the one a run uses.</summary>
public sealed class EnvironmentQueries(
    ReadContexts reads,
    IEnvironmentManager manager,
    EnvironmentOperationLocks locks,
    EnvironmentStatsCache stats,
    BaseEnvironmentCatalog baseEnvironment,
    TimeProvider clock)
{
    private static readonly string[] CondaPythonVersions = ["3.13", "3.12", "3.11", "3.10", "3.9"];

    /// <summary>venv, micromamba, mamba or conda.</summary>
    public string BackendKind => manager.Backend.Kind;

    /// <summary>Python versions a new environment can have: venv only copies the base interpreter; conda installs any.</summary>
    public IReadOnlyList<string> PythonVersions => manager.Backend.Kind == "venv"
        ? [baseEnvironment.PythonVersion]
        : [.. new[] { baseEnvironment.PythonVersion }.Concat(CondaPythonVersions).Distinct().OrderByDescending(v => Version.TryParse(v, out var parsed) ? parsed : new Version())];

    /// <summary>The base environment, mine, and other users' public ones; admins see every environment.</summary>
    public async Task<IReadOnlyList<EnvironmentSummary>> ListAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var rows = await EnvironmentAccess.VisibleRows(db, actor).ToListAsync(cancellationToken);
        var list = new List<EnvironmentSummary> { await DescribeBaseAsync(cancellationToken) };
        foreach (var row in rows.OrderByDescending(r => r.Environment.OwnerId == actor.Id).ThenBy(r => r.Environment.Name, StringComparer.OrdinalIgnoreCase))
            list.Add(await DescribeAsync(actor, row.Environment, row.OwnerUserName, cancellationToken));
        return list;
    }

    /// <summary>Environments the user may run code in (base first, then theirs, then public ones), ready ones only; cheap enough for every page load.</summary>
    public async Task<IReadOnlyList<EnvironmentChoice>> ListChoicesAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var rows = await EnvironmentAccess.VisibleRows(db, actor, activeOnly: true).ToListAsync(cancellationToken);
        return
        [
            new EnvironmentChoice(EnvironmentNames.Base, EnvironmentNames.Base, baseEnvironment.PythonVersion, "", false, true),
            .. rows.OrderByDescending(r => r.Environment.OwnerId == actor.Id).ThenBy(r => r.Environment.Name, StringComparer.OrdinalIgnoreCase)
                .Select(r => new EnvironmentChoice(r.Environment.Name, r.Environment.DisplayName, r.Environment.PythonVersion, r.OwnerUserName, r.Environment.OwnerId == actor.Id, false)),
        ];
    }

    /// <summary>Every environment of every user (admin view).</summary>
    public async Task<IReadOnlyList<EnvironmentSummary>> ListAllAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        EnvironmentAccess.RequireAdmin(actor);
        await using var db = reads.Open();
        var rows = await EnvironmentAccess.WithOwners(db, db.PythonEnvironments.AsNoTracking()).ToListAsync(cancellationToken);
        var list = new List<EnvironmentSummary>();
        foreach (var row in rows.OrderBy(r => r.OwnerUserName, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Environment.Name, StringComparer.OrdinalIgnoreCase))
            list.Add(await DescribeAsync(actor, row.Environment, row.OwnerUserName, cancellationToken));
        return list;
    }

    public async Task<EnvironmentSummary> GetAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        if (EnvironmentNames.IsBase(name)) return await DescribeBaseAsync(cancellationToken);
        EnvironmentAccess.Row row;
        await using (var db = reads.Open()) row = await EnvironmentAccess.FindVisibleAsync(db, actor, name, cancellationToken);
        return await DescribeAsync(actor, row.Environment, row.OwnerUserName, cancellationToken);
    }

    /// <summary>Whether the user may create another environment (non-admins own at most one).</summary>
    public async Task<bool> CanCreateAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        if (actor.IsAdmin) return true;
        await using var db = reads.Open();
        return !await db.PythonEnvironments.AnyAsync(e => e.OwnerId == actor.Id, cancellationToken);
    }

    public async Task<IReadOnlyList<PackageInfo>> ListPackagesAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        if (EnvironmentNames.IsBase(name)) return (await baseEnvironment.ListPackagesAsync(cancellationToken)).Select(p => p.ToCore()).ToList();
        EnvironmentAccess.Row row;
        await using (var db = reads.Open()) row = await EnvironmentAccess.FindVisibleAsync(db, actor, name, cancellationToken);
        if (!manager.Exists(row.Environment.Name)) return [];
        var packages = await Translated(() => manager.ListPackagesAsync(row.Environment.Name, cancellationToken));
        return packages.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Select(p => p.ToCore()).ToList();
    }

    /// <summary>
    /// For a run: the interpreter and prefix of the environment the user chose, after checking they may use
    /// it (their own, a public one, or any as admin) and that it is ready; records it as used now.
    /// Null or "base" gives the base interpreter (Prefix null). Returns null when no active environment has
    /// that name; throws <see cref="NotFoundError"/> for someone else's private environment.
    /// </summary>
    public async Task<ResolvedEnvironment?> ResolveForRunAsync(UserRef actor, string? name, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(name) || EnvironmentNames.IsBase(name)) return new ResolvedEnvironment(EnvironmentNames.Base, baseEnvironment.InterpreterPath, null);
        await using var db = reads.Open();
        var environment = await db.PythonEnvironments.AsNoTracking().FirstOrDefaultAsync(e => e.Name == name, cancellationToken);
        if (environment is null || !environment.IsActive || !manager.Exists(environment.Name)) return null;
        // Someone else's private environment does not exist as far as the actor can tell.
        if (environment.OwnerId != actor.Id && !environment.IsPublic && !actor.IsAdmin)
            throw new NotFoundError("environment", name);
        // The last-used stamp is one statement of its own (no unit of work to join), so the read's context makes it.
        var now = clock.GetUtcNow().UtcDateTime;
        await db.PythonEnvironments.Where(e => e.Id == environment.Id)
            .ExecuteUpdateAsync(setters => setters.SetProperty(e => e.LastUsedAt, now), cancellationToken);
        return new ResolvedEnvironment(environment.Name, manager.GetInterpreterPath(environment.Name), manager.GetPrefix(environment.Name));
    }

    public async Task<EnvironmentBackendOverview> GetBackendOverviewAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        EnvironmentAccess.RequireAdmin(actor);
        await using var db = reads.Open();
        var names = await db.PythonEnvironments.AsNoTracking().Select(e => e.Name).ToListAsync(cancellationToken);
        long total = 0;
        foreach (var name in names)
            total += (await stats.GetAsync(name, cancellationToken))?.DiskBytes ?? 0;
        var backend = manager.Backend;
        return new EnvironmentBackendOverview(backend.Kind, backend.ToolPath, backend.Version, backend.EnvironmentsRoot, total, names.Count);
    }

    private async Task<EnvironmentSummary> DescribeBaseAsync(CancellationToken cancellationToken)
    {
        var packages = await baseEnvironment.ListPackagesAsync(cancellationToken);
        return new EnvironmentSummary
        {
            Name = EnvironmentNames.Base,
            DisplayName = EnvironmentNames.Base,
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

}
