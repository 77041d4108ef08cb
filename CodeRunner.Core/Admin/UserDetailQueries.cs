using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Tiers;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Admin;

/// <summary>An API key as the admin sees it: never the secret or its hash, only the prefix shown in lists.</summary>
public sealed record UserApiKeyInfo(int Id, string Name, string Prefix, bool IsActive, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt, long UsageCount);

public sealed record UserEnvironmentInfo(string Name, string DisplayName, string PythonVersion, bool IsPublic, bool IsActive, DateTime CreatedAt, DateTime? LastUsedAt);

/// <summary>A user's usage: today's counters against the tier, totals by status, CPU, the last days.</summary>
public sealed record UserUsageInfo(string TierName, QuotaStatus RunsToday, QuotaStatus ApiCallsToday, int TotalRuns, int ApiRuns,
    IReadOnlyDictionary<string, int> RunsByStatus, long TotalCpuMs, DateTime? LastRunAt, IReadOnlyList<DailyRunCounts> LastDays);

/// <summary>Everything the per-user admin page shows, except the paged run list (<see cref="RunAdministration.SearchAsync"/> with the user id).</summary>
public sealed record UserDetail(UserSummary Profile, DateTime? LastSignInAt, int SnippetCount, int PostCount, UserUsageInfo Usage,
    IReadOnlyList<UserApiKeyInfo> ApiKeys, IReadOnlyList<UserEnvironmentInfo> Environments);

/// <summary>The per-user page of the admin console. Admins only.</summary>
public sealed class UserDetailQueries(ReadContexts reads, QuotaService quotas, TimeProvider clock)
{
    public const int UsageDays = 14;

    public async Task<UserDetail> GetAsync(UserRef actor, string userId, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        await using var db = reads.Open();
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken) ?? throw new NotFoundError("user", userId);
        var isAdmin = await db.UserRoles.AnyAsync(r => r.UserId == userId && db.Roles.Any(role => role.Id == r.RoleId && role.Name == UserRef.AdminRole), cancellationToken);
        var runs = db.CodeExecutions.AsNoTracking().Where(e => e.UserId == userId);
        var profile = new UserSummary
        {
            Id = user.Id, UserName = user.UserName!, Email = user.Email, FullName = user.FullName, Level = user.Level, IsActive = user.IsActive,
            IsAdmin = isAdmin, MustChangePassword = user.MustChangePassword, CreatedAt = user.CreatedAt, RunCount = await runs.CountAsync(cancellationToken),
        };

        var lastSignIn = await db.AuditLogs.AsNoTracking()
            .Where(a => a.UserId == userId && a.Action == "account.signin" && a.Status == Audit.AuditStatus.Success)
            .OrderByDescending(a => a.Id).Select(a => (DateTime?)a.CreatedAt).FirstOrDefaultAsync(cancellationToken);

        var target = new UserRef(user.Id, user.UserName!, isAdmin, user.Level);
        var byStatus = await runs.GroupBy(e => new { e.Status, e.IsApiCall })
            .Select(g => new { g.Key.Status, g.Key.IsApiCall, Count = g.Count(), Cpu = g.Sum(e => e.CpuMs) }).ToListAsync(cancellationToken);
        var lastRun = await runs.OrderByDescending(e => e.Id).Select(e => (DateTime?)e.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var first = today.AddDays(-(UsageDays - 1));
        var since = first.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var recent = await runs.Where(e => e.CreatedAt >= since).GroupBy(e => new { Day = e.CreatedAt.Date, e.Status })
            .Select(g => new { g.Key.Day, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        var usage = new UserUsageInfo(
            quotas.LimitsFor(target).Name,
            await quotas.GetStatusAsync(target, QuotaKind.Runs, cancellationToken),
            await quotas.GetStatusAsync(target, QuotaKind.ApiCalls, cancellationToken),
            byStatus.Sum(s => s.Count),
            byStatus.Where(s => s.IsApiCall).Sum(s => s.Count),
            byStatus.GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.Sum(s => s.Count)),
            byStatus.Sum(s => s.Cpu),
            lastRun,
            Enumerable.Range(0, UsageDays).Select(first.AddDays).Select(day => new DailyRunCounts(day,
                recent.Where(r => DateOnly.FromDateTime(r.Day) == day).ToDictionary(r => r.Status, r => r.Count))).ToList());

        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).OrderByDescending(k => k.CreatedAt)
            .Select(k => new UserApiKeyInfo(k.Id, k.Name, k.Prefix, k.IsActive, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.UsageCount))
            .ToListAsync(cancellationToken);
        var environments = await db.PythonEnvironments.AsNoTracking().Where(e => e.OwnerId == userId).OrderBy(e => e.Name)
            .Select(e => new UserEnvironmentInfo(e.Name, e.DisplayName, e.PythonVersion, e.IsPublic, e.IsActive, e.CreatedAt, e.LastUsedAt))
            .ToListAsync(cancellationToken);

        return new UserDetail(profile, lastSignIn,
            await db.Snippets.CountAsync(s => s.UserId == userId, cancellationToken),
            await db.Posts.CountAsync(p => p.AuthorId == userId, cancellationToken),
            usage, keys, environments);
    }

    /// <summary>How many active admins there are (the console disables actions that would remove the last one).</summary>
    public async Task<int> CountActiveAdminsAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        await using var db = reads.Open();
        return await ActiveAdminGuard.CountActiveAdminsAsync(db, cancellationToken);
    }
}
