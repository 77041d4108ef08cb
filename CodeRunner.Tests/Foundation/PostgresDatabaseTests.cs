using CodeRunner.Core.Data;
using CodeRunner.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

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
}
