using CodeRunner.Core.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace CodeRunner.Core.Data;

/// <summary>Which database holds the app's state: one SQLite file (default, one web node) or a PostgreSQL server (several nodes).</summary>
public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>The database this app instance was configured with (a singleton, for code that must differ by provider).</summary>
public sealed record DatabaseSelection(DatabaseProvider Provider)
{
    /// <summary>Several web nodes may share the database (PostgreSQL): shared state must live in it, not in a node's memory or disk.</summary>
    public bool IsShared => Provider == DatabaseProvider.Postgres;
}

/// <summary>
/// The one home of "Database:Provider" and "ConnectionStrings:Default": the app, the migration tool, the data copy
/// and the tests all open the database through <see cref="UseCodeRunnerDatabase"/>.
/// </summary>
public static class DatabaseConfiguration
{
    public const string ProviderKey = "Database:Provider";
    /// <summary>PostgreSQL's migrations live in their own assembly (EF finds one migration set per assembly and context).</summary>
    public const string PostgresMigrationsAssembly = "CodeRunner.Core.Postgres";

    public static DatabaseProvider ProviderOf(IConfiguration configuration) => Parse(configuration[ProviderKey]);

    public static DatabaseProvider Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" or "npgsql" => DatabaseProvider.Postgres,
        _ => throw new InvalidOperationException($"{ProviderKey} '{value}' is not known: use 'sqlite' (default) or 'postgres'."),
    };

    /// <summary>The configured connection string; SQLite defaults to data/coderunner.db, PostgreSQL has no default.</summary>
    public static string ConnectionStringOf(IConfiguration configuration, DatabaseProvider provider, DataDirectory dataDirectory)
    {
        var configured = configuration.GetConnectionString("Default");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        if (provider == DatabaseProvider.Postgres)
            throw new InvalidOperationException("Database:Provider is 'postgres' but ConnectionStrings:Default is empty " +
                "(e.g. CODERUNNER_ConnectionStrings__Default=\"Host=db;Database=coderunner;Username=coderunner;Password=...\").");
        return $"Data Source={dataDirectory.DatabasePath};Cache=Shared;Pooling=True;Default Timeout=30";
    }

    public static TBuilder UseCodeRunnerDatabase<TBuilder>(this TBuilder options, DatabaseProvider provider, string connectionString)
        where TBuilder : DbContextOptionsBuilder
    {
        if (provider == DatabaseProvider.Postgres) options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));
        else options.UseSqlite(connectionString).AddInterceptors(SqliteDurability.Instance);
        return options;
    }
}
