using CodeRunner.Core.Backup;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Foundation;

/// <summary>PostgreSQL's own migration set (CodeRunner.Core.Postgres) against the model, and applied to a real server.</summary>
public class PostgresDatabaseTests
{
    private static CodeRunnerDbContext OpenContext(string connectionString) =>
        new(new DbContextOptionsBuilder<CodeRunnerDbContext>().UseCodeRunnerDatabase(DatabaseProvider.Postgres, connectionString).Options);

    [Fact]
    public void Postgres_model_has_no_changes_missing_from_its_migrations()
    {
        // Comparing model and snapshot needs no server.
        using var db = OpenContext("Host=localhost;Database=model");
        Assert.False(db.Database.HasPendingModelChanges(),
            "Add a PostgreSQL migration: dotnet run --project tools/CodeRunner.MigrationTool -- add <Name> --provider postgres");
    }

    [Fact]
    public void Both_migration_sets_know_the_same_tables()
    {
        using var postgres = OpenContext("Host=localhost;Database=model");
        using var sqlite = new CodeRunnerDbContext(new DbContextOptionsBuilder<CodeRunnerDbContext>().UseCodeRunnerDatabase(DatabaseProvider.Sqlite, "Data Source=:memory:").Options);
        Assert.NotEmpty(postgres.Database.GetMigrations());
        Assert.DoesNotContain(postgres.Database.GetMigrations(), sqlite.Database.GetMigrations().Contains);
        Assert.Equal(sqlite.Model.GetEntityTypes().Select(e => e.GetTableName()).Order(), postgres.Model.GetEntityTypes().Select(e => e.GetTableName()).Order());
    }

    [Fact]
    public async Task Migrations_apply_to_an_empty_PostgreSQL_database_and_times_come_back_as_UTC()
    {
        using var database = new PostgresTestDatabase();
        await using var db = OpenContext(database.ConnectionString);
        await db.Database.MigrateAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());

        // Written without a kind (as SQLite hands them back), read back as the same UTC instant.
        var unspecified = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified);
        db.Users.Add(new Core.Accounts.AppUser { UserName = "lihua", NormalizedUserName = "LIHUA", CreatedAt = unspecified });
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        var user = await db.Users.SingleAsync(u => u.CreatedAt == unspecified);
        Assert.Equal(DateTimeKind.Utc, user.CreatedAt.Kind);
        Assert.Equal(unspecified.Ticks, user.CreatedAt.Ticks);
    }

    [Fact]
    public async Task On_PostgreSQL_the_SQLite_backup_and_restore_refuse_with_a_sentence_naming_pg_dump()
    {
        using var database = new PostgresTestDatabase();
        await using var app = new CodeRunnerAppFactory().WithSetting("Database:Provider", "postgres").WithSetting("ConnectionStrings:Default", database.ConnectionString);
        var admin = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true), isAdmin: true);
        await app.WithScopeAsync(async sp =>
        {
            var backups = sp.GetRequiredService<BackupService>();
            Assert.Equal("backup.sqlite_only", (await Assert.ThrowsAsync<ConflictError>(() => backups.CreateAsync(admin))).Code);
            Assert.Equal("backup.sqlite_only", (await Assert.ThrowsAsync<ConflictError>(() => backups.GetDatabaseInfoAsync(admin))).Code);
            using var upload = new MemoryStream([0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Equal("backup.sqlite_only", (await Assert.ThrowsAsync<ConflictError>(() =>
                sp.GetRequiredService<BackupRestoreService>().RestoreAsync(admin, upload, "x.zip"))).Code);
        });
    }
}
