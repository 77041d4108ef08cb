using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CodeRunner.Core.Accounts;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Backup;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using CodeRunner.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Tests.Admin;

/// <summary>The app for backup tests: no schedule, and small limits so the zip bomb and the oversize upload stay cheap.</summary>
public sealed class BackupAppFactory : CodeRunnerAppFactory
{
    public const long MaxUnpacked = 48L * 1024 * 1024;
    public const long MaxUpload = 24L * 1024 * 1024;

    public BackupAppFactory()
    {
        WithSetting("Backup:IntervalHours", "0");
        WithSetting("Backup:Keep", "2");
        WithSetting("Backup:MaxUncompressedBytes", MaxUnpacked.ToString());
        WithSetting("Backup:MaxUploadBytes", MaxUpload.ToString());
    }
}

/// <summary>
/// Backup and restore on the app's real SQLite file: snapshots taken while rows are being written are consistent; a good
/// backup comes back exactly; every bad archive is refused with the current data untouched (row counts and a digest of
/// every row compared before and after).
/// </summary>
public class BackupRestoreTests(BackupAppFactory app) : IClassFixture<BackupAppFactory>
{
    private const string ProbeAction = "test.consistency_probe";

    private async Task<UserRef> NewAdminAsync() => CodeRunnerAppFactory.RefOf(await app.CreateUserAsync(isAdmin: true, level: 4), isAdmin: true);

    private string BackupsDirectory => Path.Combine(app.DataDirectory, "backups");

    private async Task<(BackupFileInfo Info, byte[] Bytes)> TakeBackupAsync(UserRef admin, IProgress<BackupProgress>? progress = null)
    {
        var info = await app.WithScopeAsync(sp => sp.GetRequiredService<BackupService>().CreateAsync(admin, progress));
        return (info, await File.ReadAllBytesAsync(Path.Combine(BackupsDirectory, info.Name)));
    }

    private Task<RestoreResult> RestoreAsync(UserRef admin, byte[] archive) =>
        app.WithScopeAsync(sp => sp.GetRequiredService<BackupRestoreService>().RestoreAsync(admin, new MemoryStream(archive), "upload.zip"));

    [Fact]
    public async Task Backups_taken_while_runs_are_written_are_consistent_and_restorable()
    {
        var admin = await NewAdminAsync();
        var writer = await app.CreateUserAsync();
        using var stop = new CancellationTokenSource();
        var written = 0;
        // Each iteration writes a run and its audit row in one transaction, pausing between the two statements:
        // a snapshot that is not one point in time would catch a run without its audit row.
        var writing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var scope = app.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
                await using var transaction = await db.Database.BeginTransactionAsync();
                var run = new CodeExecution { UserId = writer.Id, Code = "print(1)", Status = ExecutionStatus.Success, CreatedAt = DateTime.UtcNow, Output = new string('x', 2000) };
                db.CodeExecutions.Add(run);
                await db.SaveChangesAsync();
                await Task.Delay(3);
                db.AuditLogs.Add(new AuditLog { UserId = writer.Id, Action = ProbeAction, ResourceId = run.Id.ToString(), CreatedAt = DateTime.UtcNow });
                await db.SaveChangesAsync();
                await transaction.CommitAsync();
                Interlocked.Increment(ref written);
            }
        });

        var progress = new List<BackupProgress>();
        var archives = new List<byte[]>();
        for (var i = 0; i < 3; i++)
        {
            while (Volatile.Read(ref written) < (i + 1) * 15) await Task.Delay(20);
            archives.Add((await TakeBackupAsync(admin, new SynchronousProgress(progress))).Bytes);
        }
        await stop.CancelAsync();
        await writing;

        Assert.Contains(progress, p => p.Stage == BackupProgress.Snapshot);
        Assert.Contains(progress, p => p.Stage == BackupProgress.Compress && p.Done == p.Total && p.Total > 0);
        var runCounts = new List<long>();
        foreach (var archive in archives)
        {
            using var unpacked = new TempDirectory();
            var (manifest, database) = Unpack(archive, unpacked.Path);
            await using var connection = OpenFile(database);
            Assert.Equal("ok", await ScalarAsync(connection, "PRAGMA integrity_check"));
            var runs = await ScalarAsync(connection, $"SELECT COUNT(*) FROM CodeExecutions WHERE UserId = '{writer.Id}'");
            var probes = await ScalarAsync(connection, $"SELECT COUNT(*) FROM AuditLogs WHERE Action = '{ProbeAction}' AND UserId = '{writer.Id}'");
            Assert.Equal(runs, probes);
            Assert.Equal(manifest.TableRowCounts["CodeExecutions"], Convert.ToInt64(await ScalarAsync(connection, "SELECT COUNT(*) FROM CodeExecutions")));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(database))), manifest.DatabaseSha256);
            Assert.Equal(await LatestMigrationAsync(), manifest.MigrationId);
            runCounts.Add(Convert.ToInt64(runs));
        }
        Assert.True(runCounts[0] >= 15 && runCounts[2] > runCounts[0], string.Join(",", runCounts));

        // The middle snapshot restores to exactly its runs, while the writer's later rows go.
        await RestoreAsync(admin, archives[1]);
        var restoredRuns = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().CodeExecutions.LongCountAsync(e => e.UserId == writer.Id));
        Assert.Equal(runCounts[1], restoredRuns);
    }

    [Fact]
    public async Task A_good_backup_restores_exactly_its_rows_and_the_replaced_data_is_kept_as_a_backup()
    {
        var admin = await NewAdminAsync();
        var kept = await app.CreateUserAsync();
        var (backup, archive) = await TakeBackupAsync(admin);
        var atBackup = await DigestOfArchiveAsync(archive);

        // Changes after the backup: a new user with a run, a deleted user, a changed level.
        var later = await app.CreateUserAsync();
        await app.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<CodeRunnerDbContext>();
            db.CodeExecutions.Add(new CodeExecution { UserId = later.Id, Code = "print(2)", Status = ExecutionStatus.Success, CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            var users = sp.GetRequiredService<UserManager<AppUser>>();
            var k = (await users.FindByIdAsync(kept.Id))!;
            k.Level = 4;
            await users.UpdateAsync(k);
        });
        var beforeRestore = await DigestOfLiveAsync();
        Assert.NotEqual(atBackup.Rows, beforeRestore.Rows);

        var result = await RestoreAsync(admin, archive);

        var after = await DigestOfLiveAsync();
        Assert.Equal(atBackup.Counts, after.Counts);
        Assert.Equal(atBackup.Rows, after.Rows);
        // The audit log is the backup's rows plus the restore's own entry.
        Assert.Equal(atBackup.AuditRows, await AuditDigestUpToAsync(atBackup.MaxAuditId));
        var newAudit = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs.Where(a => a.Id > atBackup.MaxAuditId).ToListAsync());
        Assert.Equal("admin.backup_restore", Assert.Single(newAudit).Action);

        // The data that was replaced is a backup now, and the app keeps working on the restored file.
        var safety = await app.WithScopeAsync(sp => Task.FromResult(sp.GetRequiredService<BackupService>().List(admin).Single(b => b.Name == result.SafetyBackupName)));
        Assert.Equal(BackupService.PreRestore, safety.Kind);
        var safetyDigest = await DigestOfArchiveAsync(await File.ReadAllBytesAsync(Path.Combine(BackupsDirectory, safety.Name)));
        Assert.Equal(beforeRestore.Rows, safetyDigest.Rows);
        Assert.Null(await app.WithScopeAsync(sp => sp.GetRequiredService<UserManager<AppUser>>().FindByIdAsync(later.Id)));
        Assert.Equal(1, (await app.WithScopeAsync(sp => sp.GetRequiredService<UserManager<AppUser>>().FindByIdAsync(kept.Id)))!.Level);
        var created = await app.CreateUserAsync();
        Assert.NotNull(created.Id);
        Assert.NotEqual(backup.Name, result.SafetyBackupName);
    }

    public static TheoryData<string, string> BadArchives => new()
    {
        { "not_a_zip", "backup.not_zip" },
        { "truncated_zip", "backup.not_zip" },
        { "corrupt_database", "backup.integrity_failed" },
        { "not_sqlite", "backup.not_sqlite" },
        { "wrong_checksum", "backup.checksum_mismatch" },
        { "newer_schema", "backup.schema_newer" },
        { "zip_bomb", "backup.too_large_unpacked" },
        { "path_traversal", "backup.bad_entry" },
        { "no_manifest", "backup.manifest_missing" },
        { "counts_do_not_match", "backup.counts_mismatch" },
        { "too_large_upload", "backup.too_large" },
    };

    [Theory]
    [MemberData(nameof(BadArchives))]
    public async Task A_bad_archive_is_refused_and_the_current_data_stays_exactly_as_it_was(string kind, string expectedCode)
    {
        var admin = await NewAdminAsync();
        await app.CreateUserAsync();
        var (_, good) = await TakeBackupAsync(admin);
        var bad = await BuildBadArchiveAsync(kind, good);
        var before = await DigestOfLiveAsync();
        var backupsBefore = Directory.GetFiles(BackupsDirectory, "*.zip").Order().ToList();

        var refused = await Assert.ThrowsAsync<ValidationError>(() => RestoreAsync(admin, bad));

        Assert.Equal(expectedCode, refused.Code);
        var after = await DigestOfLiveAsync();
        Assert.Equal(before.Counts, after.Counts);
        Assert.Equal(before.Rows, after.Rows);
        Assert.Equal(before.AuditRows, await AuditDigestUpToAsync(before.MaxAuditId));
        // The only trace: the refusal in the audit log. No safety backup was needed, no work files are left.
        var trace = await app.WithScopeAsync(sp => sp.GetRequiredService<CodeRunnerDbContext>().AuditLogs.Where(a => a.Id > before.MaxAuditId).ToListAsync());
        var refusal = Assert.Single(trace);
        Assert.Equal(("admin.backup_restore", AuditStatus.Error), (refusal.Action, refusal.Status));
        Assert.Contains(expectedCode, refusal.Details);
        Assert.Equal(backupsBefore, Directory.GetFiles(BackupsDirectory, "*.zip").Order().ToList());
        Assert.Empty(Directory.GetDirectories(BackupsDirectory));
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "avatars", "..", "evil")));
    }

    [Fact]
    public async Task An_older_backup_is_brought_up_to_the_current_schema()
    {
        var admin = await NewAdminAsync();
        using var work = new TempDirectory();
        var database = Path.Combine(work.Path, "old.db");
        List<string> migrations;
        await using (var db = new CodeRunnerDbContext(new DbContextOptionsBuilder<CodeRunnerDbContext>().UseSqlite($"Data Source={database};Pooling=False").Options))
        {
            migrations = db.Database.GetMigrations().ToList();
            await db.GetInfrastructure().GetRequiredService<IMigrator>().MigrateAsync(migrations[0]);
        }
        await using (var connection = OpenFile(database))
        {
            await ScalarAsync(connection, """
                INSERT INTO AspNetUsers (Id, UserName, NormalizedUserName, Email, NormalizedEmail, EmailConfirmed, PhoneNumberConfirmed,
                    TwoFactorEnabled, LockoutEnabled, AccessFailedCount, FullName, IsActive, Level, MustChangePassword, CreatedAt)
                VALUES ('old-1', 'zhaolei', 'ZHAOLEI', 'zl@example.test', 'ZL@EXAMPLE.TEST', 1, 0, 0, 1, 0, '赵雷', 1, 2, 0, '2026-01-02 03:04:05');
                """);
        }
        var archive = await ZipAsync(database, migrations[0]);

        var result = await RestoreAsync(admin, archive);
        try
        {
            Assert.Equal(migrations.Skip(1), result.MigrationsApplied);
            await app.WithScopeAsync(async sp =>
            {
                var db = sp.GetRequiredService<CodeRunnerDbContext>();
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());
                Assert.Equal("赵雷", (await db.Users.SingleAsync(u => u.UserName == "zhaolei")).FullName);
                Assert.Equal(0, await db.CodeExecutions.CountAsync());
            });
        }
        finally
        {
            // The old database has no admin role; put the class's data back for the other tests.
            await RestoreAsync(admin, await File.ReadAllBytesAsync(Path.Combine(BackupsDirectory, result.SafetyBackupName)));
        }
    }

    [Fact]
    public async Task A_restore_is_refused_while_runs_are_in_progress()
    {
        var admin = await NewAdminAsync();
        var (_, archive) = await TakeBackupAsync(admin);
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        await using var scope = app.Services.CreateAsyncScope();
        await using var run = await scope.ServiceProvider.GetRequiredService<IExecutionService>()
            .StartAsync(user, new ExecutionRequest { Code = "import time\ntime.sleep(60)\n" }, ExecutionOrigin.Web, CancellationToken.None);
        var before = await DigestOfLiveAsync();

        var refused = await Assert.ThrowsAsync<ConflictError>(() => RestoreAsync(admin, archive));

        Assert.Equal("backup.runs_in_progress", refused.Code);
        Assert.Equal(before.Rows, (await DigestOfLiveAsync()).Rows);
        run.Cancel();
        await run.Completion;
    }

    [Fact]
    public async Task Backups_are_listed_downloaded_and_deleted_by_name_only_and_automatic_ones_are_pruned()
    {
        var admin = await NewAdminAsync();
        var user = CodeRunnerAppFactory.RefOf(await app.CreateUserAsync());
        var (info, bytes) = await TakeBackupAsync(admin);
        await app.WithScopeAsync(async sp =>
        {
            var backups = sp.GetRequiredService<BackupService>();
            Assert.Contains(backups.List(admin), b => b.Name == info.Name && b.SizeBytes == bytes.Length && b.Kind == BackupService.Manual);
            await using (var download = await backups.OpenReadAsync(admin, info.Name))
            {
                using var copy = new MemoryStream();
                await download.CopyToAsync(copy);
                Assert.Equal(bytes, copy.ToArray());
            }
            await Assert.ThrowsAsync<NotFoundError>(() => backups.OpenReadAsync(admin, "../coderunner.db"));
            await Assert.ThrowsAsync<NotFoundError>(() => backups.OpenReadAsync(admin, "/etc/passwd"));
            await Assert.ThrowsAsync<ForbiddenError>(() => backups.OpenReadAsync(user, info.Name));
            await Assert.ThrowsAsync<ForbiddenError>(() => backups.CreateAsync(user));
            await Assert.ThrowsAsync<ForbiddenError>(() => sp.GetRequiredService<BackupRestoreService>().RestoreAsync(user, new MemoryStream(bytes), "x.zip"));

            for (var i = 0; i < 3; i++) await backups.CreateScheduledAsync(CancellationToken.None);
            Assert.Equal(2, backups.List(admin).Count(b => b.Kind == BackupService.Automatic));
            Assert.Contains(backups.List(admin), b => b.Name == info.Name);

            await backups.DeleteAsync(admin, info.Name);
            Assert.DoesNotContain(backups.List(admin), b => b.Name == info.Name);

            var database = await backups.GetDatabaseInfoAsync(admin);
            Assert.True(database.SizeBytes > 0);
            Assert.True(database.TableRowCounts["AspNetUsers"] >= 2);
            Assert.Equal(await LatestMigrationAsync(), database.MigrationId);
            Assert.Equal(BackupService.Automatic, database.LastBackup!.Kind);
        });
    }

    // ---------- bad archives ----------

    private async Task<byte[]> BuildBadArchiveAsync(string kind, byte[] good)
    {
        switch (kind)
        {
            case "not_a_zip":
                return Encoding.UTF8.GetBytes("SQLite format 3 — no, just text pretending");
            case "truncated_zip":
                return good[..(good.Length / 2)];
            case "too_large_upload":
                return [.. good, .. new byte[BackupAppFactory.MaxUpload]];
            case "zip_bomb":
            {
                // 64 MB of zeros compresses to a few hundred KB; the limit is 48 MB.
                using var output = new MemoryStream();
                using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
                {
                    CopyEntry(good, zip, BackupManifest.FileName);
                    await using var entry = zip.CreateEntry(BackupManifest.DatabaseEntry, CompressionLevel.SmallestSize).Open();
                    var zeros = new byte[1024 * 1024];
                    for (var i = 0; i < 64; i++) await entry.WriteAsync(zeros);
                }
                return output.ToArray();
            }
            case "path_traversal":
            {
                using var output = new MemoryStream();
                using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
                {
                    CopyEntry(good, zip, BackupManifest.FileName);
                    CopyEntry(good, zip, BackupManifest.DatabaseEntry);
                    await using var entry = zip.CreateEntry("avatars/../../evil/x.png").Open();
                    await entry.WriteAsync("png"u8.ToArray());
                }
                return output.ToArray();
            }
            case "no_manifest":
            {
                using var output = new MemoryStream();
                using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
                    CopyEntry(good, zip, BackupManifest.DatabaseEntry);
                return output.ToArray();
            }
            case "wrong_checksum":
                return await RewriteAsync(good, null, m => m with { DatabaseSha256 = new string('0', 64) }, recomputeChecksum: false);
            case "newer_schema":
                return await RewriteAsync(good, async db =>
                {
                    await using var connection = OpenFile(db);
                    await ScalarAsync(connection, "INSERT INTO __EFMigrationsHistory (MigrationId, ProductVersion) VALUES ('29991231235959_FromTheFuture', '99.0')");
                }, m => m with { MigrationId = "29991231235959_FromTheFuture" });
            case "counts_do_not_match":
                return await RewriteAsync(good, async db =>
                {
                    await using var connection = OpenFile(db);
                    await ScalarAsync(connection, "DELETE FROM AuditLogs WHERE Id = (SELECT MAX(Id) FROM AuditLogs)");
                }, m => m);
            case "not_sqlite":
                return await RewriteAsync(good, db => File.WriteAllBytesAsync(db, RandomNumberGenerator.GetBytes(64 * 1024)), m => m);
            case "corrupt_database":
                return await RewriteAsync(good, async db =>
                {
                    // Keep the header, scramble pages after the first two: a valid-looking file whose b-trees are broken.
                    var bytes = await File.ReadAllBytesAsync(db);
                    var scrambled = RandomNumberGenerator.GetBytes(bytes.Length - 8192);
                    scrambled.CopyTo(bytes, 8192);
                    await File.WriteAllBytesAsync(db, bytes);
                }, m => m);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>The archive with its database changed by <paramref name="changeDatabase"/> and its manifest by <paramref name="changeManifest"/>; the checksum follows the new file unless told otherwise.</summary>
    private static async Task<byte[]> RewriteAsync(byte[] archive, Func<string, Task>? changeDatabase, Func<BackupManifest, BackupManifest> changeManifest, bool recomputeChecksum = true)
    {
        using var work = new TempDirectory();
        var (manifest, database) = Unpack(archive, work.Path);
        if (changeDatabase is not null) await changeDatabase(database);
        SqliteConnection.ClearAllPools();
        if (recomputeChecksum)
            manifest = manifest with { DatabaseSha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(database))) };
        return await ZipAsync(database, manifest: changeManifest(manifest));
    }

    /// <summary>Zips a database the way the app does; a manifest is computed from the file unless given.</summary>
    private static async Task<byte[]> ZipAsync(string database, string? migrationId = null, BackupManifest? manifest = null)
    {
        if (manifest is null)
        {
            var counts = new Dictionary<string, long>();
            await using (var connection = OpenFile(database))
            {
                var tables = new List<string>();
                await using (var command = connection.CreateCommand())
                {
                    command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'";
                    await using var reader = await command.ExecuteReaderAsync();
                    while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
                }
                foreach (var table in tables) counts[table] = Convert.ToInt64(await ScalarAsync(connection, $"SELECT COUNT(*) FROM \"{table}\""));
            }
            SqliteConnection.ClearAllPools();
            manifest = new BackupManifest
            {
                AppVersion = "test", MigrationId = migrationId!, CreatedAtUtc = DateTime.UtcNow, DatabaseBytes = new FileInfo(database).Length,
                DatabaseSha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(database))), TableRowCounts = counts,
            };
        }
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using (var entry = zip.CreateEntry(BackupManifest.FileName).Open())
                await JsonSerializer.SerializeAsync(entry, manifest, BackupManifest.Json);
            zip.CreateEntryFromFile(database, BackupManifest.DatabaseEntry);
        }
        return output.ToArray();
    }

    private static void CopyEntry(byte[] archive, ZipArchive target, string name)
    {
        using var source = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        using var input = source.GetEntry(name)!.Open();
        using var output = target.CreateEntry(name).Open();
        input.CopyTo(output);
    }

    private static (BackupManifest Manifest, string Database) Unpack(byte[] archive, string directory)
    {
        using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        var database = Path.Combine(directory, BackupManifest.DatabaseEntry);
        zip.GetEntry(BackupManifest.DatabaseEntry)!.ExtractToFile(database);
        using var manifestStream = zip.GetEntry(BackupManifest.FileName)!.Open();
        return (JsonSerializer.Deserialize<BackupManifest>(manifestStream, BackupManifest.Json)!, database);
    }

    // ---------- digests ----------

    /// <summary>Row counts of every table, a SHA-256 over every row of every table but the audit log, and one over the audit rows.</summary>
    private sealed record DataDigest(SortedDictionary<string, long> Counts, string Rows, string AuditRows, long MaxAuditId);

    private Task<DataDigest> DigestOfLiveAsync() => DigestAsync(Path.Combine(app.DataDirectory, "coderunner.db"), excludeAuditCount: true);

    private static async Task<DataDigest> DigestOfArchiveAsync(byte[] archive)
    {
        using var work = new TempDirectory();
        var (_, database) = Unpack(archive, work.Path);
        var digest = await DigestAsync(database, excludeAuditCount: true);
        SqliteConnection.ClearAllPools();
        return digest;
    }

    private async Task<string> AuditDigestUpToAsync(long maxId)
    {
        await using var connection = OpenFile(Path.Combine(app.DataDirectory, "coderunner.db"), SqliteOpenMode.ReadOnly);
        return await TableDigestAsync(connection, "AuditLogs", $"WHERE Id <= {maxId}");
    }

    private static async Task<DataDigest> DigestAsync(string database, bool excludeAuditCount)
    {
        await using var connection = OpenFile(database, SqliteOpenMode.ReadOnly);
        var tables = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var rows = new StringBuilder();
        foreach (var table in tables)
        {
            if (!(excludeAuditCount && table == "AuditLogs"))
                counts[table] = Convert.ToInt64(await ScalarAsync(connection, $"SELECT COUNT(*) FROM \"{table}\""));
            if (table != "AuditLogs") rows.Append(table).Append(':').Append(await TableDigestAsync(connection, table, "")).Append('\n');
        }
        var maxAudit = Convert.ToInt64(await ScalarAsync(connection, "SELECT COALESCE(MAX(Id), 0) FROM AuditLogs"));
        return new DataDigest(counts, rows.ToString(), await TableDigestAsync(connection, "AuditLogs", $"WHERE Id <= {maxAudit}"), maxAudit);
    }

    private static async Task<string> TableDigestAsync(SqliteConnection connection, string table, string where)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var command = connection.CreateCommand();
        // WITHOUT ROWID tables (the search index's shadow tables) have no rowid; they are read in primary key order anyway.
        await using (var schema = connection.CreateCommand())
        {
            schema.CommandText = "SELECT COALESCE(sql, '') FROM sqlite_master WHERE name = $name";
            schema.Parameters.AddWithValue("$name", table);
            var withoutRowid = Convert.ToString(await schema.ExecuteScalarAsync())!.Contains("WITHOUT ROWID", StringComparison.OrdinalIgnoreCase);
            command.CommandText = $"SELECT * FROM \"{table}\" {where} {(withoutRowid ? "" : "ORDER BY rowid")}";
        }
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
                hash.AppendData(Encoding.UTF8.GetBytes((reader.IsDBNull(i) ? "\u0000null" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)) + "\u001f"));
            hash.AppendData("\u001e"u8);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private async Task<string> LatestMigrationAsync() =>
        await app.WithScopeAsync(sp => Task.FromResult(sp.GetRequiredService<CodeRunnerDbContext>().Database.GetMigrations().Last()));

    private static SqliteConnection OpenFile(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWrite)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this records reports in order, as they happen.</summary>
    private sealed class SynchronousProgress(List<BackupProgress> reports) : IProgress<BackupProgress>
    {
        public void Report(BackupProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
