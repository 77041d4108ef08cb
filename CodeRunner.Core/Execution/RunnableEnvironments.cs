using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Execution;

/// <summary>An environment a user can pick on the run page.</summary>
public sealed record RunnableEnvironment(string Name, string DisplayName, string PythonVersion, bool IsPublic, bool IsMine);

/// <summary>Environments a user may run code in: their own, public ones, and (for admins) all; active ones only.</summary>
public sealed class RunnableEnvironments(CodeRunnerDbContext db)
{
    public static bool MayUse(UserRef actor, PythonEnvironment environment) =>
        environment.OwnerId == actor.Id || environment.IsPublic || actor.IsAdmin;

    public async Task<IReadOnlyList<RunnableEnvironment>> ListAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        var query = db.PythonEnvironments.AsNoTracking().Where(e => e.IsActive);
        if (!actor.IsAdmin) query = query.Where(e => e.OwnerId == actor.Id || e.IsPublic);
        var rows = await query.OrderBy(e => e.DisplayName).ToListAsync(cancellationToken);
        return rows.Select(e => new RunnableEnvironment(e.Name, e.DisplayName, e.PythonVersion, e.IsPublic, e.OwnerId == actor.Id))
            .OrderByDescending(e => e.IsMine).ToList();
    }
}
