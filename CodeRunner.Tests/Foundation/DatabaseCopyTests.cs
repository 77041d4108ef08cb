using System.Net;
using CodeRunner.Core.Community;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Tests.Api;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Foundation;

/// <summary>A team's SQLite site, used for real, copied into an empty PostgreSQL database that a second app then serves.</summary>
public class DatabaseCopyTests
{
    [Fact]
    public async Task A_used_SQLite_site_copies_into_PostgreSQL_with_equal_row_counts_and_keeps_working_there()
    {
        await using var old = new CodeRunnerAppFactory().WithSetting("Database:Provider", "sqlite");
        var author = await old.CreateUserAsync(level: 2);
        var reader = await old.CreateUserAsync();
        var authorRef = CodeRunnerAppFactory.RefOf(author);
        var readerRef = CodeRunnerAppFactory.RefOf(reader);
        await old.CreateKeyAsync(author, "ci");
        await old.CreateSnippetAsync(author, "你好", "print('你好')");
        var run = await old.WithScopeAsync(sp => sp.GetRequiredService<IExecutionService>()
            .RunAsync(authorRef, new ExecutionRequest { Code = "print('a\\0b')" }, ExecutionOrigin.Web, CancellationToken.None));
        Assert.Equal(ExecutionStatus.Success, run.StatusName);
        var post = await old.WithScopeAsync(sp => sp.GetRequiredService<PostService>().CreateAsync(authorRef, new PostEdit { Title = "第一帖", Content = "**hi**", Tags = "python" }));
        await old.WithScopeAsync(async sp =>
        {
            var comment = await sp.GetRequiredService<CommentService>().AddAsync(readerRef, post.Id, "nice");
            await sp.GetRequiredService<CommentService>().AddAsync(authorRef, post.Id, "thanks", comment.Id);
            await sp.GetRequiredService<ReactionService>().SetPostLikeAsync(readerRef, post.Id, true);
            await sp.GetRequiredService<FollowService>().FollowAsync(readerRef, author.UserName!);
        });
        // A cookie of the old site, to open a page of the new one with.
        var oldClient = old.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var signIn = await HttpSignIn.SignInAsync(oldClient, reader.UserName!, CodeRunnerAppFactory.DefaultPassword);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("coderunner.auth="));

        using var postgres = new PostgresTestDatabase("copy");
        var log = new StringWriter();
        IReadOnlyList<TableCopyCount> counts;
        await using (var source = new CodeRunnerDbContext(new DbContextOptionsBuilder<CodeRunnerDbContext>()
                         .UseCodeRunnerDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(old.DataDirectory, "coderunner.db")};Mode=ReadOnly;Pooling=False").Options))
        await using (var target = OpenPostgres(postgres.ConnectionString))
            counts = await DatabaseCopy.CopyAsync(source, target, Path.Combine(old.DataDirectory, "keys"), log);

        Console.WriteLine("SQLite -> PostgreSQL copy: " + string.Join(", ", counts.Select(c => $"{c.Table}={c.TargetRows}")));
        Assert.All(counts, c => Assert.Equal(c.SourceRows, c.TargetRows));
        foreach (var table in new[] { "AspNetUsers", "AspNetRoles", "AspNetUserRoles", "ApiKeys", "Snippets", "CodeExecutions", "DailyUsages", "AuditLogs",
                     "Posts", "PostTags", "Comments", "PostLikes", "Follows", "Notifications", "DataProtectionKeys" })
            Assert.True(counts.Single(c => c.Table == table).TargetRows > 0, table + " should have rows to copy");
        Assert.DoesNotContain(counts, c => c.Table == "Leases");

        // The copy is a working site: the same people sign in (or keep their cookie), ids continue after the copied ones.
        await using var moved = new CodeRunnerAppFactory().WithSetting("Database:Provider", "postgres").WithSetting("ConnectionStrings:Default", postgres.ConnectionString);
        var newClient = moved.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Redirect, (await HttpSignIn.SignInAsync(newClient, author.UserName!, CodeRunnerAppFactory.DefaultPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("/run")).StatusCode);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/run"))
        {
            request.Headers.Add("Cookie", cookie);
            var cookieClient = moved.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
            Assert.Equal(HttpStatusCode.OK, (await cookieClient.SendAsync(request)).StatusCode);
        }
        var second = await moved.CreateSnippetAsync(author, "second");
        var copiedSnippets = await moved.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().Snippets.Where(s => s.UserId == author.Id).ToListAsync());
        Assert.Equal(2, copiedSnippets.Count);
        Assert.True(second.Id > copiedSnippets.Min(s => s.Id));
        var output = await moved.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.Where(e => e.Id == run.ExecutionId).Select(e => e.Output).SingleAsync());
        Assert.Equal("a\uFFFDb\n", output);
    }

    [Fact]
    public async Task A_target_that_is_not_empty_is_refused_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        using var postgres = new PostgresTestDatabase("copy");
        await using var source = new CodeRunnerDbContext(new DbContextOptionsBuilder<CodeRunnerDbContext>()
            .UseCodeRunnerDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir.Path, "empty.db")};Pooling=False").Options);
        await source.Database.MigrateAsync();
        await using var target = OpenPostgres(postgres.ConnectionString);
        await target.Database.MigrateAsync();
        target.Snippets.Add(new Snippet { UserId = await AddUserAsync(target), Title = "already here", Code = "pass" });
        await target.SaveChangesAsync();

        var refused = await Assert.ThrowsAsync<DatabaseCopyException>(() => DatabaseCopy.CopyAsync(source, target, null, TextWriter.Null));
        Assert.Contains("not empty", refused.Message);
        Assert.Equal(1, await target.Snippets.CountAsync());
    }

    private static CodeRunnerDbContext OpenPostgres(string connectionString) =>
        new(new DbContextOptionsBuilder<CodeRunnerDbContext>().UseCodeRunnerDatabase(DatabaseProvider.Postgres, connectionString).Options);

    private static async Task<string> AddUserAsync(CodeRunnerDbContext db)
    {
        var user = new Core.Accounts.AppUser { UserName = "first", NormalizedUserName = "FIRST", CreatedAt = DateTime.UtcNow };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user.Id;
    }
}
