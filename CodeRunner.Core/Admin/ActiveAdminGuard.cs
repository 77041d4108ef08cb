using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Admin;

/// <summary>
/// Keeps at least one active admin. A change that could remove one (deactivate, demote, delete) runs through
/// <see cref="ChangeAsync"/>: one at a time in this process, inside a transaction (an IMMEDIATE one on SQLite, so
/// writers of other processes queue too; on PostgreSQL an advisory lock queues the other web nodes) that is rolled back when no active admin is left afterwards. Checking after
/// the write, in the same transaction, is what makes two admins demoting each other at once safe.
/// </summary>
public sealed class ActiveAdminGuard
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public async Task<T> ChangeAsync<T>(CodeRunnerDbContext db, Func<Task<T>> change, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Other nodes on a shared PostgreSQL database queue here too (released when the transaction ends).
            if (db.Database.IsNpgsql()) await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7262001)", cancellationToken);
            try
            {
                var result = await change();
                if (await CountActiveAdminsAsync(db, cancellationToken) == 0)
                    throw new ConflictError("admin.last_admin", "This would leave no active admin.");
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch
            {
                // Disposing the transaction rolls it back. Entities changed in memory must not survive in this context and be saved by a later call.
                db.ChangeTracker.Clear();
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public static async Task<int> CountActiveAdminsAsync(CodeRunnerDbContext db, CancellationToken cancellationToken)
    {
        var roleId = await db.Roles.Where(r => r.Name == UserRef.AdminRole).Select(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        return await db.Users.CountAsync(u => u.IsActive && db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == roleId), cancellationToken);
    }

    /// <summary>True when <paramref name="userId"/> is the only active admin (a cheap early refusal before slow work).</summary>
    public static async Task<bool> IsLastActiveAdminAsync(CodeRunnerDbContext db, string userId, CancellationToken cancellationToken)
    {
        var roleId = await db.Roles.Where(r => r.Name == UserRef.AdminRole).Select(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        var activeAdmins = await db.Users.Where(u => u.IsActive && db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == roleId))
            .Select(u => u.Id).Take(2).ToListAsync(cancellationToken);
        return activeAdmins is [var only] && only == userId;
    }
}
