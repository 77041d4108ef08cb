using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CodeRunner.Core.Data;

/// <summary>
/// The one place SQLite's per-connection settings are made: every connection EF opens runs this.
/// The database is in WAL mode (set once, it persists in the file: <see cref="DatabaseInitializer"/>), and each
/// connection uses <c>synchronous=NORMAL</c>: a commit appends to the WAL without an fsync; the WAL is fsynced at
/// each checkpoint (about every 1000 pages, and when the app stops).
/// What a power cut (or kernel crash; a crash of the app alone loses nothing) can lose with this setting:
/// the transactions committed since the last checkpoint may roll back — runs recorded, quota used, audit rows,
/// snippets and posts saved in those last moments. The database is never corrupted: it opens at the last
/// durable commit. Quota may under-count by exactly the rolled-back uses (never over-count), and a run may be
/// missing from history. With <c>synchronous=FULL</c> every commit was fsynced (~5–20 ms each on this disk).
/// </summary>
public sealed class SqliteDurability : DbConnectionInterceptor
{
    public static readonly SqliteDurability Instance = new();

    private const string Pragmas = "PRAGMA synchronous=NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (connection is not SqliteConnection) return;
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (connection is not SqliteConnection) return;
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
