using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>Follow and unfollow people (idempotent), and the followers / following lists of a profile.</summary>
public sealed class FollowService(CodeRunnerDbContext db, CommunityWriteGate writeGate, NotificationService notifications, TimeProvider clock)
{
    public async Task<bool> FollowAsync(UserRef actor, string userName, CancellationToken cancellationToken = default)
    {
        var followee = await ProfileService.FindUserIdAsync(db, userName, cancellationToken);
        if (followee == actor.Id) throw new ValidationError("community.cannot_follow_self", null, "You cannot follow yourself.");
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "Follows" ("FollowerId", "FolloweeId", "CreatedAt") VALUES ({actor.Id}, {followee}, {clock.GetUtcNow().UtcDateTime}) ON CONFLICT DO NOTHING""",
            cancellationToken);
        if (inserted > 0) await notifications.NotifyAsync(followee, actor.Id, NotificationKinds.Follow, null, null, cancellationToken);
        return true;
    }

    public async Task<bool> UnfollowAsync(UserRef actor, string userName, CancellationToken cancellationToken = default)
    {
        var followee = await ProfileService.FindUserIdAsync(db, userName, cancellationToken);
        await db.Follows.Where(f => f.FollowerId == actor.Id && f.FolloweeId == followee).ExecuteDeleteAsync(cancellationToken);
        return false;
    }

    public Task<bool> IsFollowingAsync(UserRef? actor, string userId, CancellationToken cancellationToken = default) =>
        actor is null ? Task.FromResult(false) : db.Follows.AnyAsync(f => f.FollowerId == actor.Id && f.FolloweeId == userId, cancellationToken);

    /// <summary>People who follow <paramref name="userName"/>, newest first.</summary>
    public async Task<PagedResult<AuthorView>> FollowersAsync(string userName, int page = 1, int pageSize = 20, CancellationToken cancellationToken = default)
    {
        var userId = await ProfileService.FindUserIdAsync(db, userName, cancellationToken);
        return await PageAsync(db.Follows.AsNoTracking().Where(f => f.FolloweeId == userId), f => f.FollowerId, page, pageSize, cancellationToken);
    }

    /// <summary>People <paramref name="userName"/> follows, newest first.</summary>
    public async Task<PagedResult<AuthorView>> FollowingAsync(string userName, int page = 1, int pageSize = 20, CancellationToken cancellationToken = default)
    {
        var userId = await ProfileService.FindUserIdAsync(db, userName, cancellationToken);
        return await PageAsync(db.Follows.AsNoTracking().Where(f => f.FollowerId == userId), f => f.FolloweeId, page, pageSize, cancellationToken);
    }

    private async Task<PagedResult<AuthorView>> PageAsync(IQueryable<Follow> follows, System.Linq.Expressions.Expression<Func<Follow, string>> person,
        int page, int pageSize, CancellationToken cancellationToken)
    {
        var (p, size, skip) = Paging.Clamp(page, pageSize);
        var total = await follows.CountAsync(cancellationToken);
        var ids = await follows.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id).Skip(skip).Take(size).Select(person).ToListAsync(cancellationToken);
        var authors = await Authors.LoadAsync(db, ids, cancellationToken);
        return new PagedResult<AuthorView>(ids.Select(id => Authors.Of(authors, id)).ToList(), total, p, size);
    }
}
