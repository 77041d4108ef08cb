using Microsoft.Data.Sqlite;

namespace CodeRunner.Core.Backup;

/// <summary>Low-level facts about SQLite files: row counts, the applied schema version, a non-pooled connection.</summary>
internal static class SqliteFiles
{
    public const string MigrationsTable = "__EFMigrationsHistory";
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    /// <summary>A private connection (not pooled) to a file, so closing it really releases the file.</summary>
    public static SqliteConnection Open(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWrite)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Rows of every user table (SQLite's own tables left out), by name.</summary>
    public static async Task<SortedDictionary<string, long>> CountRowsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) tables.Add(reader.GetString(0));
        }
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM {Quote(table)}";
            counts[table] = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken));
        }
        return counts;
    }

    /// <summary>Every migration recorded in the file, in order; empty when the history table is missing.</summary>
    public static async Task<IReadOnlyList<string>> AppliedMigrationsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        exists.Parameters.AddWithValue("$name", MigrationsTable);
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken)) == 0) return [];
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT MigrationId FROM {Quote(MigrationsTable)} ORDER BY MigrationId";
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        return ids;
    }

    public static async Task<string> PragmaAsync(SqliteConnection connection, string pragma, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma}";
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>True when the file starts with SQLite's 16-byte header.</summary>
    public static bool HasSqliteHeader(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> start = stackalloc byte[16];
        return file.ReadAtLeast(start, 16, throwOnEndOfStream: false) == 16 && start.SequenceEqual(Header);
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
