using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Ai;

/// <summary>One user's assistant use on one UTC day.</summary>
public sealed record AiUsageDay(string UserId, string UserName, DateOnly Day, int Requests, int Failures, long TokensIn, long TokensOut);

/// <summary>Assistant usage for "我的用量" (own) and the admin console (everyone, per user per day).</summary>
public sealed class AiUsageQueries(ReadContexts reads, TimeProvider clock)
{
    /// <summary>The actor's last <paramref name="days"/> days, newest first (days without requests are left out).</summary>
    public Task<IReadOnlyList<AiUsageDay>> ForUserAsync(UserRef actor, int days = 14, CancellationToken cancellationToken = default) =>
        QueryAsync(actor.Id, days, cancellationToken);

    /// <summary>Every user's last <paramref name="days"/> days. Admins only.</summary>
    public Task<IReadOnlyList<AiUsageDay>> ForEveryoneAsync(UserRef actor, int days = 14, CancellationToken cancellationToken = default)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
        return QueryAsync(null, days, cancellationToken);
    }

    private async Task<IReadOnlyList<AiUsageDay>> QueryAsync(string? userId, int days, CancellationToken cancellationToken)
    {
        await using var db = reads.Open();
        var since = clock.GetUtcNow().UtcDateTime.Date.AddDays(1 - Math.Clamp(days, 1, 366));
        var rows = await (from r in db.AiUsageRecords.AsNoTracking()
                          join u in db.Users.AsNoTracking() on r.UserId equals u.Id
                          where r.CreatedAt >= since && (userId == null || r.UserId == userId)
                          select new { r.UserId, u.UserName, r.CreatedAt, r.Succeeded, r.TokensIn, r.TokensOut })
            .ToListAsync(cancellationToken);
        return rows.GroupBy(r => (r.UserId, r.UserName, Day: DateOnly.FromDateTime(r.CreatedAt)))
            .Select(g => new AiUsageDay(g.Key.UserId, g.Key.UserName ?? "", g.Key.Day, g.Count(), g.Count(r => !r.Succeeded),
                g.Sum(r => (long)(r.TokensIn ?? 0)), g.Sum(r => (long)(r.TokensOut ?? 0))))
            .OrderByDescending(d => d.Day).ThenBy(d => d.UserName).ToList();
    }
}
