using CodeRunner.Core.Accounts;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

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
    public bool MustChangePassword { get; set; }
    public DateTime CreatedAt { get; set; }
    public int RunCount { get; set; }
}

public sealed record SiteStatistics(int Users, int ActiveUsers, int RunsToday, int RunsTotal, int RunningNow);

/// <summary>A new account made by an admin; the password is temporary and must be changed at first sign-in.</summary>
public sealed record UserCreateRequest(string UserName, string Email, string TemporaryPassword, string? FullName = null, int Level = 1, bool IsAdmin = false);

/// <summary>Profile fields an admin may change.</summary>
public sealed record UserProfileEdit(string Email, string? FullName, int Level);

/// <summary>What happens to a deleted user's posts, comments and snippets.</summary>
public enum UserContentDisposition
{
    /// <summary>Everything the user made goes with them.</summary>
    Delete,
    /// <summary>Posts, comments and snippets stay, shown under the "已删除用户" placeholder account.</summary>
    KeepUnderPlaceholder,
}

/// <summary>
/// What admins do to accounts: create, edit, reset passwords, activate, grant admin, delete. Admins only, every change
/// audited, and no change may leave the site without an active admin (checked here, under a lock, inside the transaction).
/// </summary>
public sealed class UserAdministrationService(
    CodeRunnerDbContext db,
    ReadContexts reads,
    UserManager<AppUser> users,
    AuditService audit,
    EnvironmentLifecycleService environments,
    ActiveAdminGuard guard,
    TimeProvider clock,
    ILogger<UserAdministrationService> logger)
{
    /// <summary>User name of the account that keeps a deleted user's content; it can never sign in.</summary>
    public const string PlaceholderUserName = "deleted-user";
    public const string PlaceholderFullName = "已删除用户";
    public const int MaxFullNameLength = AccountInputRules.MaxFullNameLength;

    public async Task<PagedResult<UserSummary>> SearchAsync(UserRef actor, string? search, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        await using var db = reads.Open();
        var query = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(u => u.UserName!.Contains(term) || (u.Email != null && u.Email.Contains(term)) || (u.FullName != null && u.FullName.Contains(term)));
        }
        pageSize = PagedResult<UserSummary>.ClampPageSize(pageSize);
        page = Math.Max(1, page);
        var total = await query.CountAsync(cancellationToken);
        var adminRoleId = await AdminRoleIdAsync(db, cancellationToken);
        var rows = await query.OrderBy(u => u.CreatedAt).Skip(PagedResult<UserSummary>.SkipFor(page, pageSize)).Take(pageSize)
            .Select(u => new UserSummary
            {
                Id = u.Id, UserName = u.UserName!, Email = u.Email, FullName = u.FullName, Level = u.Level, IsActive = u.IsActive,
                IsAdmin = db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == adminRoleId), MustChangePassword = u.MustChangePassword,
                CreatedAt = u.CreatedAt, RunCount = db.CodeExecutions.Count(e => e.UserId == u.Id),
            })
            .ToListAsync(cancellationToken);
        return new PagedResult<UserSummary>(rows, total, page, pageSize);
    }

    public async Task<SiteStatistics> GetStatisticsAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var today = clock.GetUtcNow().UtcDateTime.Date;
        await using var db = reads.Open();
        return new SiteStatistics(
            await db.Users.CountAsync(cancellationToken),
            await db.Users.CountAsync(u => u.IsActive, cancellationToken),
            await db.CodeExecutions.CountAsync(e => e.CreatedAt >= today, cancellationToken),
            await db.CodeExecutions.CountAsync(cancellationToken),
            await db.CodeExecutions.CountAsync(e => e.Status == ExecutionStatus.Running, cancellationToken));
    }

    /// <summary>Creates an active account whose temporary password must be changed at the first sign-in.</summary>
    public async Task<UserSummary> CreateAsync(UserRef actor, UserCreateRequest request, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var userName = request.UserName.Trim();
        var email = request.Email.Trim();
        if (!AccountService.IsValidUserName(userName))
            throw new ValidationError("account.username_invalid", "UserName", "User name must be 3-32 letters, digits, '.', '_' or '-'.");
        if (string.Equals(userName, PlaceholderUserName, StringComparison.OrdinalIgnoreCase) || await users.FindByNameAsync(userName) is not null)
            throw new ValidationError("account.username_taken", "UserName", "User name is taken.", userName);
        if (await users.FindByEmailAsync(email) is not null)
            throw new ValidationError("account.email_taken", "Email", "Email is already registered.", email);
        ValidateLevel(request.Level);
        var fullName = NormalizeFullName(request.FullName);

        var user = new AppUser
        {
            UserName = userName,
            Email = email,
            EmailConfirmed = true,
            FullName = fullName,
            Level = request.Level,
            MustChangePassword = true,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            ThrowIfFailed(await users.CreateAsync(user, request.TemporaryPassword), "TemporaryPassword");
            if (request.IsAdmin) ThrowIfFailed(await users.AddToRoleAsync(user, UserRef.AdminRole), "IsAdmin");
            await transaction.CommitAsync(cancellationToken);
        }
        await audit.RecordAsync(actor, "admin.user_create", "user", user.Id,
            new { user = user.UserName, email, level = user.Level, admin = request.IsAdmin }, cancellationToken: cancellationToken);
        return await GetSummaryAsync(user.Id, cancellationToken);
    }

    /// <summary>Changes email, full name and level together.</summary>
    public async Task UpdateProfileAsync(UserRef actor, string userId, UserProfileEdit edit, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        ValidateLevel(edit.Level);
        var fullName = NormalizeFullName(edit.FullName);
        var email = edit.Email.Trim();
        var user = await FindEditableAsync(userId);
        var before = new { email = user.Email, fullName = user.FullName, level = user.Level };
        try
        {
            if (!string.Equals(user.Email, email, StringComparison.OrdinalIgnoreCase))
            {
                if (await users.FindByEmailAsync(email) is { } owner && owner.Id != user.Id)
                    throw new ValidationError("account.email_taken", "Email", "Email is already registered.", email);
                ThrowIfFailed(await users.SetEmailAsync(user, email), "Email");
                user.EmailConfirmed = true;
            }
            user.FullName = fullName;
            user.Level = edit.Level;
            ThrowIfFailed(await users.UpdateAsync(user), "Email");
        }
        catch
        {
            // A refused edit must not linger in this (circuit-long) context and be saved by the next change.
            db.ChangeTracker.Clear();
            throw;
        }
        await audit.RecordAsync(actor, "admin.user_update", "user", userId,
            new { user = user.UserName, from = before, to = new { email, fullName, level = edit.Level } }, cancellationToken: cancellationToken);
    }

    public async Task SetLevelAsync(UserRef actor, string userId, int level, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        ValidateLevel(level);
        var user = await FindEditableAsync(userId);
        var previous = user.Level;
        user.Level = level;
        ThrowIfFailed(await users.UpdateAsync(user), "Level");
        await audit.RecordAsync(actor, "admin.user_level", "user", userId, new { user = user.UserName, from = previous, to = level }, cancellationToken: cancellationToken);
    }

    /// <summary>Sets a new temporary password; the user must change it at the next sign-in, and open sessions end.</summary>
    public async Task ResetPasswordAsync(UserRef actor, string userId, string temporaryPassword, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var user = await FindEditableAsync(userId);
        try
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            // ResetPasswordAsync validates the password policy and renews the security stamp.
            ThrowIfFailed(await users.ResetPasswordAsync(user, token, temporaryPassword), "TemporaryPassword");
            user.MustChangePassword = true;
            user.AccessFailedCount = 0;
            user.LockoutEnd = null;
            ThrowIfFailed(await users.UpdateAsync(user), "TemporaryPassword");
        }
        catch
        {
            db.ChangeTracker.Clear();
            throw;
        }
        await audit.RecordAsync(actor, "admin.user_password_reset", "user", userId, new { user = user.UserName }, cancellationToken: cancellationToken);
    }

    public async Task SetActiveAsync(UserRef actor, string userId, bool active, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        if (userId == actor.Id && !active)
            throw new ValidationError("admin.cannot_deactivate_self", "IsActive", "You cannot deactivate your own account.");
        await guard.ChangeAsync(db, async () =>
        {
            var user = await FindEditableAsync(userId);
            user.IsActive = active;
            ThrowIfFailed(await users.UpdateAsync(user), "IsActive");
            // A new security stamp ends the user's open sessions at the next revalidation.
            if (!active) ThrowIfFailed(await users.UpdateSecurityStampAsync(user), "IsActive");
            return user.UserName;
        }, cancellationToken);
        await audit.RecordAsync(actor, active ? "admin.user_activate" : "admin.user_deactivate", "user", userId,
            new { user = await UserNameAsync(userId, cancellationToken) }, cancellationToken: cancellationToken);
    }

    public async Task SetAdminAsync(UserRef actor, string userId, bool isAdmin, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        if (userId == actor.Id && !isAdmin)
            throw new ValidationError("admin.cannot_demote_self", "IsAdmin", "You cannot remove your own admin role.");
        await guard.ChangeAsync(db, async () =>
        {
            var user = await FindEditableAsync(userId);
            var result = isAdmin ? await users.AddToRoleAsync(user, UserRef.AdminRole) : await users.RemoveFromRoleAsync(user, UserRef.AdminRole);
            if (!result.Succeeded && !result.Errors.Any(e => e.Code is "UserAlreadyInRole" or "UserNotInRole"))
                ThrowIfFailed(result, "IsAdmin");
            ThrowIfFailed(await users.UpdateSecurityStampAsync(user), "IsAdmin");
            return user.UserName;
        }, cancellationToken);
        await audit.RecordAsync(actor, isAdmin ? "admin.user_grant_admin" : "admin.user_revoke_admin", "user", userId,
            new { user = await UserNameAsync(userId, cancellationToken) }, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Deletes an account. Runs, API keys, AI settings, environments (with their files), likes and follows always go;
    /// posts, comments and snippets go too or move to the placeholder account, as the admin chose.
    /// </summary>
    public async Task DeleteAsync(UserRef actor, string userId, UserContentDisposition content, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        if (userId == actor.Id)
            throw new ValidationError("admin.cannot_delete_self", "UserId", "You cannot delete your own account.");
        var target = await FindEditableAsync(userId);
        var userName = target.UserName!;
        if (await ActiveAdminGuard.IsLastActiveAdminAsync(db, userId, cancellationToken))
            throw new ConflictError("admin.last_admin", "This would leave no active admin.");
        if (await db.CodeExecutions.AnyAsync(e => e.UserId == userId && e.Status == ExecutionStatus.Running, cancellationToken))
            throw new ConflictError("admin.user_has_running_runs", "The user has runs in progress; stop them first.", userName);

        // Environment directories live on disk; EnvironmentLifecycleService removes them (refusing while one is in use).
        var ownedEnvironments = await db.PythonEnvironments.AsNoTracking().Where(e => e.OwnerId == userId).Select(e => e.Name).ToListAsync(cancellationToken);
        foreach (var name in ownedEnvironments) await environments.DeleteAsync(actor, name, cancellationToken);

        var moved = new Dictionary<string, int>();
        await guard.ChangeAsync(db, async () =>
        {
            var placeholderId = content == UserContentDisposition.KeepUnderPlaceholder ? await EnsurePlaceholderAsync(cancellationToken) : null;
            await db.Follows.Where(f => f.FollowerId == userId || f.FolloweeId == userId).ExecuteDeleteAsync(cancellationToken);
            if (placeholderId is not null)
            {
                moved["posts"] = await db.Posts.Where(p => p.AuthorId == userId).ExecuteUpdateAsync(s => s.SetProperty(p => p.AuthorId, placeholderId), cancellationToken);
                moved["comments"] = await db.Comments.Where(c => c.AuthorId == userId).ExecuteUpdateAsync(s => s.SetProperty(c => c.AuthorId, placeholderId), cancellationToken);
                moved["snippets"] = await db.Snippets.Where(x => x.UserId == userId).ExecuteUpdateAsync(s => s.SetProperty(x => x.UserId, placeholderId), cancellationToken);
            }
            else
            {
                moved["posts"] = await DeletePostsAsync(userId, cancellationToken);
                moved["comments"] = await DeleteCommentsAsync(userId, cancellationToken);
                moved["snippets"] = await db.Snippets.Where(x => x.UserId == userId).ExecuteDeleteAsync(cancellationToken);
            }
            var user = await FindEditableAsync(userId);
            ThrowIfFailed(await users.DeleteAsync(user), "UserId");
            return userName;
        }, cancellationToken);
        logger.LogInformation("User {UserName} deleted by {Admin} ({Disposition})", userName, actor.UserName, content);
        await audit.RecordAsync(actor, "admin.user_delete", "user", userId,
            new { user = userName, content = content == UserContentDisposition.Delete ? "deleted" : "kept", counts = moved, environments = ownedEnvironments },
            cancellationToken: cancellationToken);
    }

    /// <summary>Active accounts in the admin role; the guard keeps this above zero.</summary>
    public Task<int> CountActiveAdminsAsync(CancellationToken cancellationToken = default) => ActiveAdminGuard.CountActiveAdminsAsync(db, cancellationToken);

    /// <summary>The account that keeps content of deleted users: inactive, no password, so nobody can sign in as it.</summary>
    private async Task<string> EnsurePlaceholderAsync(CancellationToken cancellationToken)
    {
        var existing = await db.Users.Where(u => u.UserName == PlaceholderUserName).Select(u => u.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is not null) return existing;
        var placeholder = new AppUser
        {
            UserName = PlaceholderUserName,
            Email = "deleted-user@placeholder.invalid",
            EmailConfirmed = true,
            FullName = PlaceholderFullName,
            IsActive = false,
            Level = 1,
            LockoutEnabled = true,
            LockoutEnd = DateTimeOffset.MaxValue,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        ThrowIfFailed(await users.CreateAsync(placeholder), "UserId");
        return placeholder.Id;
    }

    /// <summary>The user's posts with everything hanging off them; replies are detached first (ParentId is RESTRICT).</summary>
    private async Task<int> DeletePostsAsync(string userId, CancellationToken cancellationToken)
    {
        var posts = db.Posts.Where(p => p.AuthorId == userId).Select(p => p.Id);
        await db.Comments.Where(c => posts.Contains(c.PostId) && c.ParentId != null).ExecuteUpdateAsync(s => s.SetProperty(c => c.ParentId, (int?)null), cancellationToken);
        await db.Comments.Where(c => posts.Contains(c.PostId)).ExecuteDeleteAsync(cancellationToken);
        return await db.Posts.Where(p => p.AuthorId == userId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// The user's comments on other people's posts. One that others replied to stays as an empty "deleted" comment
    /// under the placeholder, so the replies keep their thread; the rest are removed.
    /// </summary>
    private async Task<int> DeleteCommentsAsync(string userId, CancellationToken cancellationToken)
    {
        var replied = db.Comments.Where(r => r.ParentId != null).Select(r => r.ParentId!.Value);
        var withReplies = await db.Comments.Where(c => c.AuthorId == userId && replied.Contains(c.Id)).Select(c => c.Id).ToListAsync(cancellationToken);
        if (withReplies.Count > 0)
        {
            var placeholderId = await EnsurePlaceholderAsync(cancellationToken);
            await db.Comments.Where(c => withReplies.Contains(c.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.AuthorId, placeholderId).SetProperty(c => c.Content, "").SetProperty(c => c.IsDeleted, true), cancellationToken);
        }
        return withReplies.Count + await db.Comments.Where(c => c.AuthorId == userId).ExecuteDeleteAsync(cancellationToken);
    }

    private async Task<UserSummary> GetSummaryAsync(string userId, CancellationToken cancellationToken)
    {
        var adminRoleId = await AdminRoleIdAsync(db, cancellationToken);
        return await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new UserSummary
        {
            Id = u.Id, UserName = u.UserName!, Email = u.Email, FullName = u.FullName, Level = u.Level, IsActive = u.IsActive,
            IsAdmin = db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == adminRoleId), MustChangePassword = u.MustChangePassword,
            CreatedAt = u.CreatedAt, RunCount = db.CodeExecutions.Count(e => e.UserId == u.Id),
        }).FirstAsync(cancellationToken);
    }

    private static Task<string?> AdminRoleIdAsync(CodeRunnerDbContext db, CancellationToken cancellationToken) =>
        db.Roles.Where(r => r.Name == UserRef.AdminRole).Select(r => r.Id).FirstOrDefaultAsync(cancellationToken);

    private Task<string?> UserNameAsync(string userId, CancellationToken cancellationToken) =>
        db.Users.Where(u => u.Id == userId).Select(u => u.UserName).FirstOrDefaultAsync(cancellationToken);

    internal static void RequireAdmin(UserRef actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
    }

    private static void ValidateLevel(int level)
    {
        if (level is < 1 or > 4) throw new ValidationError("admin.level_invalid", "Level", "Level must be 1 to 4.", level);
    }

    private static string? NormalizeFullName(string? fullName)
    {
        var trimmed = string.IsNullOrWhiteSpace(fullName) ? null : fullName.Trim();
        if (trimmed is { Length: > MaxFullNameLength })
            throw new ValidationError("admin.full_name_too_long", "FullName", $"Full name is longer than {MaxFullNameLength} characters.", MaxFullNameLength);
        return trimmed;
    }

    /// <summary>The user, but never the placeholder account (it only holds content).</summary>
    private async Task<AppUser> FindEditableAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId) ?? throw new NotFoundError("user", userId);
        if (user.UserName == PlaceholderUserName)
            throw new ValidationError("admin.placeholder_readonly", "UserId", "The deleted-user placeholder account cannot be changed.");
        return user;
    }

    private static void ThrowIfFailed(IdentityResult result, string field)
    {
        if (result.Succeeded) return;
        var first = result.Errors.First();
        throw new ValidationError("identity." + first.Code, first.Code.Contains("Password") ? "TemporaryPassword" : field, first.Description);
    }
}
