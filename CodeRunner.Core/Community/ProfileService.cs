using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Library;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Community;

/// <summary>Profiles (/u/{username}): who someone is, their counts and public work; editing one's own name, bio and avatar.</summary>
public sealed class ProfileService(CodeRunnerDbContext db, AvatarStore avatars, CommunityWriteGate writeGate, AuditService audit)
{
    /// <summary>Counts respect post visibility: a visitor's numbers never include private posts or their likes.</summary>
    public async Task<ProfileView> GetAsync(UserRef? viewer, string userName, CancellationToken cancellationToken = default)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.NormalizedUserName == userName.ToUpperInvariant())
            .Select(u => new { u.Id, u.UserName, u.FullName, u.AvatarPath, u.Bio, u.CreatedAt }).FirstOrDefaultAsync(cancellationToken)
            ?? throw new NotFoundError("user", userName);
        var posts = db.Posts.AsNoTracking().VisibleTo(viewer).Where(p => p.AuthorId == user.Id);
        var postCount = await posts.CountAsync(cancellationToken);
        var likes = await posts.SumAsync(p => p.LikeCount, cancellationToken);
        var followers = await db.Follows.CountAsync(f => f.FolloweeId == user.Id, cancellationToken);
        var following = await db.Follows.CountAsync(f => f.FollowerId == user.Id, cancellationToken);
        var runs = await db.CodeExecutions.CountAsync(e => e.UserId == user.Id, cancellationToken);
        var followedByMe = viewer is not null && await db.Follows.AnyAsync(f => f.FollowerId == viewer.Id && f.FolloweeId == user.Id, cancellationToken);
        return new ProfileView(new AuthorView(user.Id, user.UserName ?? "", user.FullName, AvatarStore.UrlFor(user.AvatarPath)), user.Bio,
            user.CreatedAt, postCount, followers, following, likes, runs, viewer?.Id == user.Id, followedByMe);
    }

    /// <summary>The user's public snippets, newest change first (the library's own view type).</summary>
    public async Task<PagedResult<SnippetView>> PublicSnippetsAsync(string userName, int page = 1, int pageSize = 20, CancellationToken cancellationToken = default)
    {
        var userId = await FindUserIdAsync(db, userName, cancellationToken);
        var (p, size, skip) = Paging.Clamp(page, pageSize);
        var query = db.Snippets.AsNoTracking().Where(s => s.UserId == userId && s.IsPublic);
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Id).Skip(skip).Take(size).ToListAsync(cancellationToken);
        return new PagedResult<SnippetView>(await SnippetQueries.ViewsAsync(db, rows, cancellationToken), total, p, size);
    }

    public async Task UpdateAsync(UserRef actor, ProfileEdit edit, CancellationToken cancellationToken = default)
    {
        var fullName = string.IsNullOrWhiteSpace(edit.FullName) ? null : edit.FullName.Trim();
        if (fullName?.Length > CommunityRules.MaxFullNameLength)
            throw new ValidationError("community.full_name_too_long", "fullName", $"The name is longer than {CommunityRules.MaxFullNameLength} characters.", CommunityRules.MaxFullNameLength);
        var bio = string.IsNullOrWhiteSpace(edit.Bio) ? null : edit.Bio.Trim();
        if (bio?.Length > CommunityRules.MaxBioLength)
            throw new ValidationError("community.bio_too_long", "bio", $"The bio is longer than {CommunityRules.MaxBioLength} characters.", CommunityRules.MaxBioLength);
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        await db.Users.Where(u => u.Id == actor.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FullName, fullName).SetProperty(u => u.Bio, bio), cancellationToken);
        await audit.RecordAsync(actor, "community.profile.update", "user", actor.Id, cancellationToken: cancellationToken);
    }

    /// <summary>Stores a new avatar (see <see cref="AvatarStore"/> for what is accepted) and removes the old file. Returns its URL.</summary>
    public async Task<string> SetAvatarAsync(UserRef actor, Stream upload, CancellationToken cancellationToken = default)
    {
        await writeGate.EnsureCanWriteAsync(actor, cancellationToken);
        var stored = await avatars.SaveAsync(upload, cancellationToken);
        var previous = await db.Users.Where(u => u.Id == actor.Id).Select(u => u.AvatarPath).FirstOrDefaultAsync(cancellationToken);
        await db.Users.Where(u => u.Id == actor.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.AvatarPath, stored), cancellationToken);
        avatars.Delete(previous);
        await audit.RecordAsync(actor, "community.avatar.update", "user", actor.Id, cancellationToken: cancellationToken);
        return AvatarStore.UrlFor(stored)!;
    }

    public async Task RemoveAvatarAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        var previous = await db.Users.Where(u => u.Id == actor.Id).Select(u => u.AvatarPath).FirstOrDefaultAsync(cancellationToken);
        await db.Users.Where(u => u.Id == actor.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.AvatarPath, (string?)null), cancellationToken);
        avatars.Delete(previous);
    }

    internal static async Task<string> FindUserIdAsync(CodeRunnerDbContext db, string userName, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().Where(u => u.NormalizedUserName == userName.ToUpperInvariant()).Select(u => u.Id).FirstOrDefaultAsync(cancellationToken)
        ?? throw new NotFoundError("user", userName);
}
