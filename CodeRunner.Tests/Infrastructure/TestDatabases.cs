using Npgsql;

namespace CodeRunner.Tests.Infrastructure;

/// <summary>
/// Which database the app-level tests use. ./test.sh starts a throwaway PostgreSQL cluster and exports its connection
/// string as CODERUNNER_TEST_POSTGRES; it runs the whole suite on SQLite, then the classes marked
/// <c>[Trait("Postgres", "yes")]</c> again with CODERUNNER_TEST_DATABASE=postgres. A test that needs PostgreSQL fails
/// (it never skips) when the variable is missing, with the sentence below.
/// </summary>
public static class TestDatabases
{
    public const string PostgresVariable = "CODERUNNER_TEST_POSTGRES";

    /// <summary>True in the PostgreSQL pass: every <see cref="CodeRunnerAppFactory"/> gets its own PostgreSQL database.</summary>
    public static bool UsePostgres =>
        string.Equals(Environment.GetEnvironmentVariable("CODERUNNER_TEST_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The throwaway cluster's admin connection string, or a failure that says how to get one.</summary>
    public static string PostgresServer =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value
        : throw new InvalidOperationException($"{PostgresVariable} is not set: run ./test.sh, which starts a throwaway PostgreSQL " +
            "(Debian package 'postgresql'), or export a connection string to a server where this user may CREATE DATABASE.");
}

/// <summary>An empty PostgreSQL database on the test cluster, dropped (connections and all) on dispose.</summary>
public sealed class PostgresTestDatabase : IDisposable
{
    public PostgresTestDatabase(string prefix = "cr")
    {
        Name = $"{prefix}_{Guid.NewGuid():N}"[..30];
        using var connection = new NpgsqlConnection(TestDatabases.PostgresServer);
        connection.Open();
        using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", connection);
        create.ExecuteNonQuery();
        ConnectionString = new NpgsqlConnectionStringBuilder(TestDatabases.PostgresServer) { Database = Name }.ConnectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            using var connection = new NpgsqlConnection(TestDatabases.PostgresServer);
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // The cluster is thrown away at the end of the run anyway.
        }
    }
}
