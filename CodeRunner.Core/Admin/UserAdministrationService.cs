using CodeRunner.Core.Accounts;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Admin;

/// <summary>A row of the admin user list (settable: table components bind to it).</summary>
public sealed class UserSummary
{
    public string Id { get; set; } = "";
    public string UserName { get; set; } = "";
    public string? Email { get; set; }
    public string? FullName { get; set; }
    public int Level { get; set; }
    public bool IsActive { get; set; }
    public bool IsAdmin { get; set; }
    public DateTime CreatedAt { get; set; }
    public int RunCount { get; set; }
}

public sealed record SiteStatistics(int Users, int ActiveUsers, int RunsToday, int RunsTotal, int RunningNow);

/// <summary>What admins do to accounts: tier level, active flag, admin role. Admins only, every change audited.</summary>
public sealed class UserAdministrationService(CodeRunnerDbContext db, UserManager<AppUser> users, AuditService audit, TimeProvider clock)
{
    public async Task<PagedResult<UserSummary>> SearchAsync(UserRef actor, string? search, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var query = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(u => u.UserName!.Contains(term) || (u.Email != null && u.Email.Contains(term)) || (u.FullName != null && u.FullName.Contains(term)));
        }
        pageSize = PagedResult<UserSummary>.ClampPageSize(pageSize);
        page = Math.Max(1, page);
        var total = await query.CountAsync(cancellationToken);
        var adminRoleId = await db.Roles.Where(r => r.Name == UserRef.AdminRole).Select(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        var rows = await query.OrderBy(u => u.CreatedAt).Skip(PagedResult<UserSummary>.SkipFor(page, pageSize)).Take(pageSize)
            .Select(u => new UserSummary
            {
                Id = u.Id, UserName = u.UserName!, Email = u.Email, FullName = u.FullName, Level = u.Level, IsActive = u.IsActive,
                IsAdmin = db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == adminRoleId), CreatedAt = u.CreatedAt,
                RunCount = db.CodeExecutions.Count(e => e.UserId == u.Id),
            })
            .ToListAsync(cancellationToken);
        return new PagedResult<UserSummary>(rows, total, page, pageSize);
    }

    public async Task<SiteStatistics> GetStatisticsAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var today = clock.GetUtcNow().UtcDateTime.Date;
        return new SiteStatistics(
            await db.Users.CountAsync(cancellationToken),
            await db.Users.CountAsync(u => u.IsActive, cancellationToken),
            await db.CodeExecutions.CountAsync(e => e.CreatedAt >= today, cancellationToken),
            await db.CodeExecutions.CountAsync(cancellationToken),
            await db.CodeExecutions.CountAsync(e => e.Status == ExecutionStatus.Running, cancellationToken));
    }

    public async Task SetLevelAsync(UserRef actor, string userId, int level, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        if (level is < 1 or > 4) throw new ValidationError("admin.level_invalid", "Level", "Level must be 1 to 4.", level);
        var user = await FindAsync(userId);
        var previous = user.Level;
        user.Level = level;
        await UpdateAsync(user);
        await audit.RecordAsync(actor, "admin.user_level", "user", userId, new { user = user.UserName, from = previous, to = level }, cancellationToken: cancellationToken);
    }

    public async Task SetActiveAsync(UserRef actor, string userId, bool active, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        if (userId == actor.Id && !active)
            throw new ValidationError("admin.cannot_deactivate_self", "IsActive", "You cannot deactivate your own account.");
        var user = await FindAsync(userId);
        user.IsActive = active;
        await UpdateAsync(user);
        // A new security stamp ends the user's open sessions at the next revalidation.
        if (!active) await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, active ? "admin.user_activate" : "admin.user_deactivate", "user", userId, new { user = user.UserName }, cancellationToken: cancellationToken);
    }

    public async Task SetAdminAsync(UserRef actor, string userId, bool isAdmin, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        if (userId == actor.Id && !isAdmin)
            throw new ValidationError("admin.cannot_demote_self", "IsAdmin", "You cannot remove your own admin role.");
        var user = await FindAsync(userId);
        var result = isAdmin ? await users.AddToRoleAsync(user, UserRef.AdminRole) : await users.RemoveFromRoleAsync(user, UserRef.AdminRole);
        if (!result.Succeeded && !result.Errors.Any(e => e.Code is "UserAlreadyInRole" or "UserNotInRole"))
            throw new ValidationError("identity." + result.Errors.First().Code, "IsAdmin", result.Errors.First().Description);
        await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, isAdmin ? "admin.user_grant_admin" : "admin.user_revoke_admin", "user", userId, new { user = user.UserName }, cancellationToken: cancellationToken);
    }

    private static void RequireAdmin(UserRef actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
    }

    private async Task<AppUser> FindAsync(string userId) =>
        await users.FindByIdAsync(userId) ?? throw new NotFoundError("user", userId);

    private async Task UpdateAsync(AppUser user)
    {
        var result = await users.UpdateAsync(user);
        if (!result.Succeeded) throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
    }
}
