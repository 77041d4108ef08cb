using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Foundation;

public class DatabaseLifecycleTests
{
    private static CodeRunnerDbContext OpenContext(string path) =>
        new(new DbContextOptionsBuilder<CodeRunnerDbContext>().UseSqlite($"Data Source={path}").Options);

    [Fact]
    public void Model_has_no_changes_missing_from_the_migrations()
    {
        using var dir = new TempDirectory();
        using var db = OpenContext(Path.Combine(dir.Path, "model.db"));
        Assert.False(db.Database.HasPendingModelChanges(), "Add a migration: dotnet run --project tools/CodeRunner.MigrationTool -- add <Name>");
    }

    [Fact]
    public async Task Upgrading_from_the_first_migration_keeps_existing_users()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "upgrade.db");
        await using (var db = OpenContext(path))
        {
            var migrations = db.Database.GetMigrations().ToList();
            Assert.True(migrations.Count >= 2, "expected the identity migration and at least one after it");
            var migrator = db.GetInfrastructure().GetRequiredService<IMigrator>();
            await migrator.MigrateAsync(migrations[0]);
        }

        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO AspNetUsers (Id, UserName, NormalizedUserName, Email, NormalizedEmail, EmailConfirmed, PhoneNumberConfirmed,
                    TwoFactorEnabled, LockoutEnabled, AccessFailedCount, FullName, IsActive, Level, MustChangePassword, CreatedAt)
                VALUES ('u-1', 'lihua', 'LIHUA', 'lihua@example.test', 'LIHUA@EXAMPLE.TEST', 1, 0, 0, 1, 0, '李华', 1, 3, 0, '2026-01-02 03:04:05');
                """;
            await insert.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();

        await using (var db = OpenContext(path))
        {
            await db.Database.MigrateAsync();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            var user = await db.Users.SingleAsync(u => u.UserName == "lihua");
            Assert.Equal("李华", user.FullName);
            Assert.Equal(3, user.Level);
            Assert.Equal(0, await db.CodeExecutions.CountAsync());
        }
    }
}

public class InterruptedRunRecoveryTests(CodeRunnerAppFactory app) : IClassFixture<CodeRunnerAppFactory>
{
    [Fact]
    public async Task Runs_left_running_by_a_dead_server_are_marked_failed_at_the_next_start()
    {
        var user = await app.CreateUserAsync();
        var id = await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            var row = new CodeRunner.Core.Execution.CodeExecution
            {
                UserId = user.Id, Code = "import time; time.sleep(600)", Status = CodeRunner.Core.Execution.ExecutionStatus.Running, CreatedAt = DateTime.UtcNow,
            };
            db.CodeExecutions.Add(row);
            await db.SaveChangesAsync();
            return row.Id;
        });

        // What Program.cs does at every start.
        await app.Services.InitializeDatabaseAsync();

        var status = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions
            .Where(e => e.Id == id).Select(e => e.Status).SingleAsync());
        Assert.Equal(CodeRunner.Core.Execution.ExecutionStatus.Failed, status);
    }
}
