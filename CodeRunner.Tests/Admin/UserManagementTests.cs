using CodeRunner.Core.Accounts;
using CodeRunner.Core.Admin;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Common;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>Creating, editing, resetting and deleting accounts through UserAdministrationService, on a real SQLite file.</summary>
[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class UserManagementTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    private async Task<UserRef> NewAdminAsync() => CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true, level: 4), isAdmin: true);

    private Task<T> AdminAsync<T>(Func<UserAdministrationService, Task<T>> action) =>
        app.WithScopeAsync(sp => action(sp.GetRequiredService<UserAdministrationService>()));

    private Task AdminAsync(Func<UserAdministrationService, Task> action) =>
        app.WithScopeAsync(sp => action(sp.GetRequiredService<UserAdministrationService>()));

    private Task<T> DbAsync<T>(Func<CodeRunnerDbContext, Task<T>> query) =>
        app.WithScopeAsync(sp => query(sp.GetRequiredService<CodeRunnerDbContext>()));

    [Fact]
    public async Task A_created_user_signs_in_with_the_temporary_password_and_must_change_it()
    {
        var admin = await NewAdminAsync();
        var name = "new" + Guid.NewGuid().ToString("N")[..8];

        var created = await AdminAsync(s => s.CreateAsync(admin, new UserCreateRequest(name, $"{name}@example.test", "Temp-Pass-123", "王小明", 2)));

        Assert.True(created.MustChangePassword);
        Assert.Equal(2, created.Level);
        Assert.Equal("王小明", created.FullName);
        var outcome = await app.WithScopeAsync(async sp =>
        {
            // Sign-in needs an HttpContext for the cookie; check the password and the flag the way sign-in does.
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var user = (await users.FindByNameAsync(name))!;
            return (await users.CheckPasswordAsync(user, "Temp-Pass-123"), user.MustChangePassword, user.IsActive);
        });
        Assert.Equal((true, true, true), outcome);
        Assert.True(await DbAsync(db => db.AuditLogs.AnyAsync(a => a.Action == "admin.user_create" && a.ResourceId == created.Id && a.UserId == admin.Id)));
    }

    [Fact]
    public async Task Creating_a_user_with_a_taken_name_a_bad_name_or_a_weak_password_is_refused_and_creates_nothing()
    {
        var admin = await NewAdminAsync();
        var existing = await app.CreateUserAsync();
        var before = await DbAsync(db => db.Users.CountAsync());

        var taken = await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.CreateAsync(admin, new UserCreateRequest(existing.UserName!, "x1@example.test", "Temp-Pass-123"))));
        Assert.Equal("account.username_taken", taken.Code);
        var bad = await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.CreateAsync(admin, new UserCreateRequest("a b", "x2@example.test", "Temp-Pass-123"))));
        Assert.Equal("account.username_invalid", bad.Code);
        var placeholder = await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.CreateAsync(admin, new UserCreateRequest(UserAdministrationService.PlaceholderUserName, "x3@example.test", "Temp-Pass-123"))));
        Assert.Equal("account.username_taken", placeholder.Code);
        var weak = await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.CreateAsync(admin, new UserCreateRequest("weakpw" + Guid.NewGuid().ToString("N")[..6], "x4@example.test", "short"))));
        Assert.StartsWith("identity.Password", weak.Code);
        Assert.Equal("TemporaryPassword", weak.Field);

        Assert.Equal(before, await DbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task Non_admins_cannot_use_any_account_administration()
    {
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var other = await app.CreateUserAsync();
        await AdminAsync(async s =>
        {
            await Assert.ThrowsAsync<ForbiddenError>(() => s.CreateAsync(user, new UserCreateRequest("sneaky1", "s@example.test", "Temp-Pass-123")));
            await Assert.ThrowsAsync<ForbiddenError>(() => s.UpdateProfileAsync(user, other.Id, new UserProfileEdit("o@example.test", null, 4)));
            await Assert.ThrowsAsync<ForbiddenError>(() => s.ResetPasswordAsync(user, other.Id, "Temp-Pass-123"));
            await Assert.ThrowsAsync<ForbiddenError>(() => s.DeleteAsync(user, other.Id, UserContentDisposition.Delete));
        });
        await app.WithScopeAsync(async sp =>
        {
            await Assert.ThrowsAsync<ForbiddenError>(() => sp.GetRequiredService<UserDetailQueries>().GetAsync(user, other.Id));
            await Assert.ThrowsAsync<ForbiddenError>(() => sp.GetRequiredService<RunAdministration>().SearchAsync(user, new AdminRunFilter()));
            await Assert.ThrowsAsync<ForbiddenError>(() => sp.GetRequiredService<RunAdministration>().LiveRunsAsync(user));
            await Assert.ThrowsAsync<ForbiddenError>(() => sp.GetRequiredService<RunAdministration>().StopAsync(user, 1));
            Assert.Throws<ForbiddenError>(() => sp.GetRequiredService<SystemInfoService>().Get(user));
        });
        Assert.NotNull(await DbAsync(db => db.Users.FirstOrDefaultAsync(u => u.Id == other.Id)));
    }

    [Fact]
    public async Task Editing_a_profile_changes_email_name_and_level_and_refuses_a_taken_email_without_partial_changes()
    {
        var admin = await NewAdminAsync();
        var target = await app.CreateUserAsync();
        var other = await app.CreateUserAsync();

        await AdminAsync(s => s.UpdateProfileAsync(admin, target.Id, new UserProfileEdit($"renamed-{target.UserName}@example.test", "  陈静  ", 3)));
        var stored = await DbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == target.Id));
        Assert.Equal($"renamed-{target.UserName}@example.test", stored.Email);
        Assert.Equal("陈静", stored.FullName);
        Assert.Equal(3, stored.Level);

        // Same service instance (as a circuit would hold it): the refused edit must not be saved by the next call.
        await AdminAsync(async s =>
        {
            var taken = await Assert.ThrowsAsync<ValidationError>(() => s.UpdateProfileAsync(admin, target.Id, new UserProfileEdit(other.Email!, "Changed", 1)));
            Assert.Equal("account.email_taken", taken.Code);
            await s.SetLevelAsync(admin, other.Id, 2);
        });
        stored = await DbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == target.Id));
        Assert.Equal("陈静", stored.FullName);
        Assert.Equal(3, stored.Level);
        Assert.True(await DbAsync(db => db.AuditLogs.AnyAsync(a => a.Action == "admin.user_update" && a.ResourceId == target.Id)));
    }

    [Fact]
    public async Task Resetting_a_password_replaces_it_forces_a_change_and_ends_sessions()
    {
        var admin = await NewAdminAsync();
        var target = await app.CreateUserAsync();
        var stampBefore = target.SecurityStamp;

        await AdminAsync(s => s.ResetPasswordAsync(admin, target.Id, "Reset-Pass-456"));

        var (oldWorks, newWorks, mustChange, stamp) = await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var user = (await users.FindByIdAsync(target.Id))!;
            return (await users.CheckPasswordAsync(user, CodeRunnerAppFactory.DefaultPassword), await users.CheckPasswordAsync(user, "Reset-Pass-456"), user.MustChangePassword, user.SecurityStamp);
        });
        Assert.False(oldWorks);
        Assert.True(newWorks);
        Assert.True(mustChange);
        Assert.NotEqual(stampBefore, stamp);
        Assert.True(await DbAsync(db => db.AuditLogs.AnyAsync(a => a.Action == "admin.user_password_reset" && a.ResourceId == target.Id)));

        var weak = await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.ResetPasswordAsync(admin, target.Id, "x")));
        Assert.Equal("TemporaryPassword", weak.Field);
        Assert.True(await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            return await users.CheckPasswordAsync((await users.FindByIdAsync(target.Id))!, "Reset-Pass-456");
        }));
    }

    [Fact]
    public async Task Deleting_a_user_and_their_content_removes_everything_they_made()
    {
        var admin = await NewAdminAsync();
        var (victim, reader, ids) = await SeedContentAsync();

        await AdminAsync(s => s.DeleteAsync(admin, victim.Id, UserContentDisposition.Delete));

        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            Assert.False(await db.Users.AnyAsync(u => u.Id == victim.Id));
            Assert.False(await db.Posts.AnyAsync(p => p.Id == ids.PostId));
            Assert.False(await db.Snippets.AnyAsync(s => s.Id == ids.SnippetId));
            Assert.False(await db.CodeExecutions.AnyAsync(e => e.UserId == victim.Id));
            Assert.False(await db.ApiKeys.AnyAsync(k => k.UserId == victim.Id));
            Assert.False(await db.Follows.AnyAsync(f => f.FolloweeId == victim.Id || f.FollowerId == victim.Id));
            // The reader's comment on the victim's post went with the post; the victim's comment that the reader answered stays
            // as an empty deleted comment under the placeholder, so the reader's reply keeps its thread.
            Assert.False(await db.Comments.AnyAsync(c => c.Id == ids.ReaderCommentOnVictimPost));
            var answered = await db.Comments.SingleAsync(c => c.Id == ids.VictimCommentWithReply);
            Assert.True(answered.IsDeleted);
            Assert.Equal("", answered.Content);
            Assert.Equal(await PlaceholderIdAsync(db), answered.AuthorId);
            Assert.True(await db.Comments.AnyAsync(c => c.Id == ids.ReaderReply && c.ParentId == ids.VictimCommentWithReply));
            Assert.True(await db.Users.AnyAsync(u => u.Id == reader.Id));
            var audit = await db.AuditLogs.SingleAsync(a => a.Action == "admin.user_delete" && a.ResourceId == victim.Id);
            Assert.Contains("\"deleted\"", audit.Details);
        });
    }

    [Fact]
    public async Task Deleting_a_user_but_keeping_content_moves_posts_comments_and_snippets_to_the_placeholder()
    {
        var admin = await NewAdminAsync();
        var (victim, _, ids) = await SeedContentAsync();

        await AdminAsync(s => s.DeleteAsync(admin, victim.Id, UserContentDisposition.KeepUnderPlaceholder));

        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            var placeholderId = await PlaceholderIdAsync(db);
            Assert.NotNull(placeholderId);
            var placeholder = await db.Users.SingleAsync(u => u.Id == placeholderId);
            Assert.Equal(UserAdministrationService.PlaceholderFullName, placeholder.FullName);
            Assert.False(placeholder.IsActive);
            Assert.Null(placeholder.PasswordHash);
            Assert.False(await db.Users.AnyAsync(u => u.Id == victim.Id));
            Assert.Equal(placeholderId, (await db.Posts.SingleAsync(p => p.Id == ids.PostId)).AuthorId);
            Assert.Equal(placeholderId, (await db.Snippets.SingleAsync(s => s.Id == ids.SnippetId)).UserId);
            var comment = await db.Comments.SingleAsync(c => c.Id == ids.VictimCommentWithReply);
            Assert.Equal(placeholderId, comment.AuthorId);
            Assert.False(comment.IsDeleted);
            Assert.True(await db.Comments.AnyAsync(c => c.Id == ids.ReaderCommentOnVictimPost));
            // Private things still go.
            Assert.False(await db.CodeExecutions.AnyAsync(e => e.UserId == victim.Id));
            Assert.False(await db.ApiKeys.AnyAsync(k => k.UserId == victim.Id));
        });

        // The placeholder itself cannot be edited, reset or deleted.
        var placeholderUser = await DbAsync(db => db.Users.SingleAsync(u => u.UserName == UserAdministrationService.PlaceholderUserName));
        var refused = await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.ResetPasswordAsync(admin, placeholderUser.Id, "Temp-Pass-123")));
        Assert.Equal("admin.placeholder_readonly", refused.Code);
        await Assert.ThrowsAsync<ValidationError>(() => AdminAsync(s => s.DeleteAsync(admin, placeholderUser.Id, UserContentDisposition.Delete)));
    }

    [Fact]
    public async Task The_user_detail_shows_usage_keys_without_secrets_and_environments()
    {
        var admin = await NewAdminAsync();
        var (victim, _, _) = await SeedContentAsync();

        var detail = await app.WithScopeAsync(sp => sp.GetRequiredService<UserDetailQueries>().GetAsync(admin, victim.Id));

        Assert.Equal(victim.UserName, detail.Profile.UserName);
        Assert.Equal(2, detail.Usage.TotalRuns);
        Assert.Equal(1, detail.Usage.ApiRuns);
        Assert.Equal(1, detail.Usage.RunsByStatus[ExecutionStatus.Success]);
        Assert.Equal(1, detail.SnippetCount);
        Assert.Equal(1, detail.PostCount);
        var key = Assert.Single(detail.ApiKeys);
        Assert.Equal("sk-abcd", key.Prefix);
        // The record has no member that could carry the secret's hash.
        Assert.DoesNotContain(typeof(UserApiKeyInfo).GetProperties(), p => p.Name.Contains("Hash") || p.Name.Contains("Secret"));
        Assert.Equal(UserDetailQueries.UsageDays, detail.Usage.LastDays.Count);
        Assert.Equal(2, detail.Usage.LastDays[^1].Total);
    }

    private sealed record ContentIds(int PostId, int SnippetId, int VictimCommentWithReply, int ReaderCommentOnVictimPost, int ReaderReply);

    /// <summary>A user with a post, a snippet, two runs, an API key, follows both ways, and comments threaded with another user's.</summary>
    private async Task<(AppUser Victim, AppUser Reader, ContentIds Ids)> SeedContentAsync()
    {
        var victim = await app.CreateUserAsync();
        var reader = await app.CreateUserAsync();
        var ids = await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            var now = DateTime.UtcNow;
            var victimPost = new Post { AuthorId = victim.Id, Title = "mine", Content = "text", CreatedAt = now, UpdatedAt = now };
            var readerPost = new Post { AuthorId = reader.Id, Title = "theirs", Content = "text", CreatedAt = now, UpdatedAt = now };
            var snippet = new Snippet { UserId = victim.Id, Title = "s", Code = "print(1)", CreatedAt = now, UpdatedAt = now };
            db.AddRange(victimPost, readerPost, snippet);
            db.CodeExecutions.AddRange(
                new CodeExecution { UserId = victim.Id, Code = "print(1)", Status = ExecutionStatus.Success, CreatedAt = now },
                new CodeExecution { UserId = victim.Id, Code = "print(2)", Status = ExecutionStatus.Error, CreatedAt = now, IsApiCall = true });
            db.ApiKeys.Add(new ApiKey { UserId = victim.Id, Name = "k", Prefix = "sk-abcd", SecretHash = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), CreatedAt = now });
            db.Follows.AddRange(new Follow { FollowerId = reader.Id, FolloweeId = victim.Id, CreatedAt = now }, new Follow { FollowerId = victim.Id, FolloweeId = reader.Id, CreatedAt = now });
            await db.SaveChangesAsync();
            var victimComment = new Comment { PostId = readerPost.Id, AuthorId = victim.Id, Content = "first!", CreatedAt = now };
            var readerOnVictim = new Comment { PostId = victimPost.Id, AuthorId = reader.Id, Content = "nice", CreatedAt = now };
            db.AddRange(victimComment, readerOnVictim);
            await db.SaveChangesAsync();
            var reply = new Comment { PostId = readerPost.Id, AuthorId = reader.Id, ParentId = victimComment.Id, Content = "thanks", CreatedAt = now };
            // A reply by the reader to their own comment on the victim's post (RESTRICT parent inside a deleted post).
            var nested = new Comment { PostId = victimPost.Id, AuthorId = reader.Id, ParentId = readerOnVictim.Id, Content = "also", CreatedAt = now };
            db.AddRange(reply, nested);
            await db.SaveChangesAsync();
            return new ContentIds(victimPost.Id, snippet.Id, victimComment.Id, readerOnVictim.Id, reply.Id);
        });
        return (victim, reader, ids);
    }

    private static Task<string?> PlaceholderIdAsync(CodeRunnerDbContext db) =>
        db.Users.Where(u => u.UserName == UserAdministrationService.PlaceholderUserName).Select(u => u.Id).FirstOrDefaultAsync();
}
