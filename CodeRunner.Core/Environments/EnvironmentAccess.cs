using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Environments;

/// <summary>Who may see and who may change which environment; shared by the queries and the operations.</summary>
internal static class EnvironmentAccess
{
    internal sealed record Row(PythonEnvironment Environment, string OwnerUserName);

    public static IQueryable<Row> WithOwners(CodeRunnerDbContext db, IQueryable<PythonEnvironment> environments) =>
        from e in environments
        join u in db.Users on e.OwnerId equals u.Id into owners
        from u in owners.DefaultIfEmpty()
        select new Row(e, u == null ? "" : u.UserName!);

    public static IQueryable<Row> VisibleRows(CodeRunnerDbContext db, UserRef actor, bool activeOnly = false)
    {
        var environments = db.PythonEnvironments.AsNoTracking();
        if (activeOnly) environments = environments.Where(e => e.IsActive);
        if (!actor.IsAdmin) environments = environments.Where(e => e.OwnerId == actor.Id || (e.IsPublic && e.IsActive));
        return WithOwners(db, environments);
    }

    public static async Task<Row> FindVisibleAsync(CodeRunnerDbContext db, UserRef actor, string name, CancellationToken cancellationToken)
    {
        var row = await WithOwners(db, db.PythonEnvironments.AsNoTracking().Where(e => e.Name == name)).FirstOrDefaultAsync(cancellationToken)
            ?? throw new NotFoundError("environment", name);
        if (row.Environment.OwnerId != actor.Id && !actor.IsAdmin && !(row.Environment.IsPublic && row.Environment.IsActive))
            throw new NotFoundError("environment", name);
        return row;
    }

    public static async Task<PythonEnvironment> FindEditableAsync(CodeRunnerDbContext context, UserRef actor, string name, CancellationToken cancellationToken)
    {
        if (EnvironmentNames.IsBase(name)) throw new ForbiddenError("The base environment is read-only.");
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

    public static void RequireAdmin(UserRef actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenError("Administrators only.");
    }
}
