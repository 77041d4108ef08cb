using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>The bell: comments on my posts, replies to my comments, likes of my posts, new followers.</summary>
public sealed class NotificationService(CodeRunnerDbContext db, ReadContexts reads, TimeProvider clock)
{
    public async Task<int> UnreadCountAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        return await db.Notifications.CountAsync(n => n.RecipientId == actor.Id && !n.IsRead, cancellationToken);
    }

    public async Task<PagedResult<NotificationView>> ListAsync(UserRef actor, int page = 1, int pageSize = 20, CancellationToken cancellationToken = default)
    {
        var (p, size, skip) = Paging.Clamp(page, pageSize);
        await using var db = reads.Open();
        var mine = db.Notifications.AsNoTracking().Where(n => n.RecipientId == actor.Id);
        var total = await mine.CountAsync(cancellationToken);
        var rows = await mine.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Skip(skip).Take(size).ToListAsync(cancellationToken);
        var actors = await Authors.LoadAsync(db, rows.Select(r => r.ActorId), cancellationToken);
        var postIds = rows.Where(r => r.PostId is not null).Select(r => r.PostId!.Value).Distinct().ToList();
        // The title only of posts the recipient can still see (a post may have turned private since).
        var titles = await db.Posts.AsNoTracking().VisibleTo(actor).Where(x => postIds.Contains(x.Id))
            .ToDictionaryAsync(x => x.Id, x => x.Title, cancellationToken);
        var items = rows.Select(r => new NotificationView(r.Id, r.Kind,
            r.ActorId is null ? null : Authors.Of(actors, r.ActorId),
            r.PostId is { } pid && titles.ContainsKey(pid) ? pid : null,
            r.PostId is { } id && titles.TryGetValue(id, out var title) ? title : null,
            r.CommentId, r.IsRead, r.CreatedAt)).ToList();
        return new PagedResult<NotificationView>(items, total, p, size);
    }

    public async Task MarkReadAsync(UserRef actor, long id, CancellationToken cancellationToken = default)
    {
        var changed = await db.Notifications.Where(n => n.Id == id && n.RecipientId == actor.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.IsRead, true), cancellationToken);
        if (changed == 0) throw new NotFoundError("notification", id);
    }

    public Task MarkAllReadAsync(UserRef actor, CancellationToken cancellationToken = default) =>
        db.Notifications.Where(n => n.RecipientId == actor.Id && !n.IsRead)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.IsRead, true), cancellationToken);

    /// <summary>
    /// Tells <paramref name="recipientId"/> about something <paramref name="actorId"/> did. Nobody is notified of their own
    /// actions; likes and follows notify once per actor and target, so un-like/like again does not ring the bell twice.
    /// </summary>
    internal async Task NotifyAsync(string recipientId, string actorId, string kind, int? postId, int? commentId, CancellationToken cancellationToken)
    {
        if (recipientId == actorId) return;
        if (kind is NotificationKinds.Like or NotificationKinds.Follow
            && await db.Notifications.AnyAsync(n => n.RecipientId == recipientId && n.ActorId == actorId && n.Kind == kind && n.PostId == postId, cancellationToken))
            return;
        db.Notifications.Add(new Notification
        {
            RecipientId = recipientId, ActorId = actorId, Kind = kind, PostId = postId, CommentId = commentId,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
    }
}
