using System.Net;
using System.Text;
using CodeRunner.Core.ApiKeys;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.ApiKeys;

[Trait("Postgres", "yes")] // also runs on PostgreSQL in ./test.sh
public class ApiKeyServiceTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    [Fact]
    [Trait("SqliteOnly", "yes")] // scans the SQLite file byte for byte
    public async Task The_secret_is_stored_only_as_a_hash_and_appears_in_neither_database_nor_logs()
    {
        var user = await app.CreateUserAsync();
        var key = await app.CreateKeyAsync(user, "secrecy");
        Assert.Matches("^sk-[A-Za-z0-9_-]{43}$", key.Secret);
        var client = app.BearerClient(key.Secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/codes")).StatusCode);
        await app.BearerClient(key.Secret + "x").GetAsync("/api/v1/codes");

        var stored = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().ApiKeys.SingleAsync(k => k.Id == key.Key.Id));
        Assert.Equal(ApiKeyService.Hash(key.Secret), stored.SecretHash);
        Assert.Equal(key.Secret[..8], stored.Prefix);

        // Checkpoint so every page is in the main file, then scan the database files and the logs byte for byte.
        await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(FULL);"));
        var secretTail = Encoding.UTF8.GetBytes(key.Secret[8..]);
        var files = Directory.GetFiles(app.DataDirectory, "coderunner.db*").Concat(Directory.GetFiles(Path.Combine(app.DataDirectory, "logs"))).ToList();
        Assert.Contains(files, f => f.EndsWith("coderunner.db"));
        Assert.Contains(files, f => f.Contains("logs"));
        foreach (var file in files)
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var memory = new MemoryStream())
            {
                await stream.CopyToAsync(memory);
                bytes = memory.ToArray();
            }
            Assert.True(bytes.AsSpan().IndexOf(secretTail) < 0, $"The secret was found in {file}");
        }
    }

    [Fact]
    public async Task A_free_user_has_at_most_two_keys()
    {
        var user = await app.CreateUserAsync(level: 1);
        await app.CreateKeyAsync(user, "one");
        await app.CreateKeyAsync(user, "two");
        var error = await Assert.ThrowsAsync<QuotaExceededError>(() => app.CreateKeyAsync(user, "three"));
        Assert.Equal("apikey.limit_reached", error.Code);
        Assert.Equal(2, error.Limit);
    }

    [Fact]
    public async Task Eight_racing_creates_leave_a_free_user_with_exactly_two_keys()
    {
        var user = await app.CreateUserAsync(level: 1);
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await app.CreateKeyAsync(user, $"race {i}");
                return true;
            }
            catch (QuotaExceededError)
            {
                return false;
            }
        });
        Assert.Equal(2, (await Task.WhenAll(attempts)).Count(ok => ok));
        Assert.Equal(2, await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().ApiKeys.CountAsync(k => k.UserId == user.Id)));
    }

    [Fact]
    public async Task A_key_needs_a_name_and_a_future_expiry()
    {
        var user = await app.CreateUserAsync(level: 4);
        Assert.Equal("apikey.name_required", (await Assert.ThrowsAsync<ValidationError>(() => app.CreateKeyAsync(user, " "))).Code);
        Assert.Equal("apikey.expiry_in_past", (await Assert.ThrowsAsync<ValidationError>(() => app.CreateKeyAsync(user, "old", DateTime.UtcNow.AddDays(-1)))).Code);
    }

    [Fact]
    public async Task Another_user_cannot_see_disable_or_delete_my_key_and_the_audit_has_names_not_secrets()
    {
        var me = await app.CreateUserAsync();
        var other = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var key = await app.CreateKeyAsync(me, "mine");
        await app.WithScopeAsync(async sp =>
        {
            var keys = sp.GetRequiredService<ApiKeyService>();
            Assert.Empty(await keys.ListAsync(other));
            await Assert.ThrowsAsync<NotFoundError>(() => keys.SetEnabledAsync(other, key.Key.Id, false));
            await Assert.ThrowsAsync<NotFoundError>(() => keys.DeleteAsync(other, key.Key.Id));
            Assert.NotNull(await keys.AuthenticateAsync(key.Secret));
        });
        var audits = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs.Where(a => a.UserId == me.Id).ToListAsync());
        var created = Assert.Single(audits, a => a.Action == "apikey.create");
        Assert.Contains("mine", created.Details);
        Assert.DoesNotContain(audits, a => (a.Details ?? "").Contains(key.Secret[3..]));
    }

    /// <summary>One statement reads the key and everything the call's identity needs of its owner.</summary>
    [Fact]
    public async Task A_key_authenticates_as_its_owner_with_the_owners_level_admin_role_and_temporary_password()
    {
        var admin = await app.CreateUserAsync(level: 3, isAdmin: true);
        var member = await app.CreateUserAsync(level: 2);
        var adminKey = await app.CreateKeyAsync(admin, "admin key");
        var memberKey = await app.CreateKeyAsync(member, "member key");
        await app.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<CodeRunner.Core.Accounts.AppUser>>();
            var user = await users.FindByIdAsync(member.Id);
            user!.MustChangePassword = true;
            await users.UpdateAsync(user);
        });

        var (asAdmin, asMember) = await app.WithScopeAsync(async sp =>
        {
            var keys = sp.GetRequiredService<ApiKeyService>();
            return (await keys.AuthenticateAsync(adminKey.Secret), await keys.AuthenticateAsync(memberKey.Secret));
        });

        Assert.Equal((admin.Id, admin.UserName, true, 3, false, "admin key"), (asAdmin!.User.Id, asAdmin.User.UserName, asAdmin.User.IsAdmin, asAdmin.User.Level, asAdmin.MustChangePassword, asAdmin.KeyName));
        Assert.Equal((member.Id, false, 2, true, memberKey.Key.Id), (asMember!.User.Id, asMember.User.IsAdmin, asMember.User.Level, asMember.MustChangePassword, asMember.KeyId));
    }

    [Fact]
    public async Task Choosing_the_last_calendar_day_as_expiry_creates_a_key_instead_of_crashing_the_page()
    {
        var lastDay = CodeRunner.Web.Components.Pages.ApiKeys.ApiKeysPage.ExpiryUtcFor(new DateTime(9999, 12, 31));
        Assert.Equal(DateTime.MaxValue, lastDay);
        Assert.Null(CodeRunner.Web.Components.Pages.ApiKeys.ApiKeysPage.ExpiryUtcFor(null));
        var tomorrow = DateTime.Now.Date.AddDays(1);
        Assert.Equal(DateTime.SpecifyKind(tomorrow.AddDays(1), DateTimeKind.Local).ToUniversalTime(),
            CodeRunner.Web.Components.Pages.ApiKeys.ApiKeysPage.ExpiryUtcFor(tomorrow));
        // The chosen day ends at midnight in the viewer's zone: 2026-06-02 00:00 in Shanghai is 16:00 UTC the day before.
        Assert.Equal(new DateTime(2026, 6, 1, 16, 0, 0, DateTimeKind.Utc),
            CodeRunner.Web.Components.Pages.ApiKeys.ApiKeysPage.ExpiryUtcFor(new DateTime(2026, 6, 1), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")));

        var user = await app.CreateUserAsync();
        var created = await app.WithScopeAsync(sp => sp.GetRequiredService<ApiKeyService>().CreateAsync(CodeRunnerAppFactory.RefOf(user), "far future", lastDay));
        Assert.False(created.Key.IsExpiredAt(DateTime.UtcNow));
        Assert.Equal(HttpStatusCode.OK, (await app.BearerClient(created.Secret).GetAsync("/api/v1/codes")).StatusCode);
    }
}
