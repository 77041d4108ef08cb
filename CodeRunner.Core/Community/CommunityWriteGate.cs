using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Tiers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Community;

/// <summary>Who may write in the community, and how fast: blocked accounts never, others within the per-user rate limits.</summary>
public sealed class CommunityWriteGate(CodeRunnerDbContext db, TierLimitGate gates, IOptions<CommunityOptions> options, TimeProvider clock)
{
    /// <summary>Throws <see cref="AccountBlockedError"/> for a deactivated or locked-out account (checked against the database, not the cookie).</summary>
    public async Task EnsureCanWriteAsync(UserRef actor, CancellationToken cancellationToken)
    {
        var account = await db.Users.AsNoTracking().Where(u => u.Id == actor.Id)
            .Select(u => new { u.IsActive, u.LockoutEnd }).FirstOrDefaultAsync(cancellationToken);
        if (account is null || !account.IsActive || account.LockoutEnd > clock.GetUtcNow()) throw new AccountBlockedError();
    }

    /// <summary>Holds the actor's posting slot until disposed; throws when the actor posted too often in the window.</summary>
    public Task<IAsyncDisposable> EnterPostingAsync(UserRef actor, CancellationToken cancellationToken) =>
        EnterAsync(actor, "community-post", options.Value.PostsPerWindow, options.Value.PostWindow, "community.posting_too_fast",
            since => db.Posts.CountAsync(p => p.AuthorId == actor.Id && p.CreatedAt >= since, cancellationToken), cancellationToken);

    public Task<IAsyncDisposable> EnterCommentingAsync(UserRef actor, CancellationToken cancellationToken) =>
        EnterAsync(actor, "community-comment", options.Value.CommentsPerWindow, options.Value.CommentWindow, "community.commenting_too_fast",
            since => db.Comments.CountAsync(c => c.AuthorId == actor.Id && c.CreatedAt >= since, cancellationToken), cancellationToken);

    private async Task<IAsyncDisposable> EnterAsync(UserRef actor, string gateName, int limit, TimeSpan window, string code,
        Func<DateTime, Task<int>> countSince, CancellationToken cancellationToken)
    {
        await EnsureCanWriteAsync(actor, cancellationToken);
        // Count-then-insert is serialized per user so racing requests cannot both slip under the limit.
        var gate = await gates.EnterAsync(gateName, actor.Id, cancellationToken);
        if (actor.IsAdmin) return gate;
        try
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var used = await countSince(now - window);
            if (used >= limit) throw new CommunityRateLimitError(code, limit, window, now + window);
            return gate;
        }
        catch
        {
            await gate.DisposeAsync();
            throw;
        }
    }
}
