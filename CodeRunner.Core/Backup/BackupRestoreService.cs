using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Execution;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Backup;

/// <summary>
/// Restores an uploaded backup archive. Everything is checked before the live database is touched: size, zip structure
/// (entry names, count, unpacked size: no path traversal, no zip bomb), manifest, SHA-256, <c>PRAGMA integrity_check</c>,
/// and a schema this app knows and is not older than. Then the current database is saved as a "prerestore" backup and
/// the archive's database is copied over the live one with SQLite's backup API — one write transaction on the live
/// file, so open connections see the old data or the new, never a mix, and a failure part-way rolls back. Pooled
/// connections are cleared and the WAL checkpointed afterwards; newer migrations are applied to an older backup.
/// Any refusal leaves the current data as it was (only the refusal itself is audited).
/// </summary>
public sealed class BackupRestoreService(
    CodeRunnerDbContext db,
    BackupService backups,
    BackupCoordinator coordinator,
    DataDirectory data,
    ActiveRuns activeRuns,
    AuditService audit,
    IServiceScopeFactory scopes,
    IOptions<BackupOptions> options,
    ILogger<BackupRestoreService> logger)
{
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];

    public async Task<RestoreResult> RestoreAsync(UserRef actor, Stream upload, string? fileName, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        backups.LiveDatabasePath(); // SQLite only: on PostgreSQL refuse before receiving anything
        using var held = await coordinator.EnterAsync(cancellationToken);
        var work = Directory.CreateDirectory(Path.Combine(backups.BackupsDirectory, ".restore-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            BackupManifest manifest;
            string databaseFile, avatarsDirectory;
            try
            {
                if (activeRuns.LiveCount > 0)
                    throw new ConflictError("backup.runs_in_progress", "Runs are in progress; stop them or wait, then restore.", activeRuns.LiveCount);
                var archive = Path.Combine(work, "upload.zip");
                await ReceiveAsync(upload, archive, progress, cancellationToken);
                progress?.Report(new BackupProgress(BackupProgress.Verify));
                (manifest, databaseFile, avatarsDirectory) = await UnpackAsync(archive, work, cancellationToken);
                await VerifyDatabaseAsync(manifest, databaseFile, cancellationToken);
            }
            catch (CodeRunnerError refused)
            {
                await audit.RecordAsync(actor, "admin.backup_restore", "backup", fileName is null ? null : Path.GetFileName(fileName),
                    new { refused = refused.Code }, AuditStatus.Error, CancellationToken.None);
                throw;
            }

            progress?.Report(new BackupProgress(BackupProgress.SafetyBackup));
            var safety = await backups.CreateLockedAsync(BackupService.PreRestore, null, cancellationToken);

            progress?.Report(new BackupProgress(BackupProgress.Swap));
            await SwapAsync(databaseFile, CancellationToken.None);
            ReplaceAvatars(avatarsDirectory, manifest.AvatarFiles > 0);

            progress?.Report(new BackupProgress(BackupProgress.Migrate));
            var applied = await MigrateAsync();
            // This scope's context may hold entities of the replaced database.
            db.ChangeTracker.Clear();
            await RecordRestoredAsync(actor, fileName, manifest, safety.Name, applied);
            logger.LogWarning("Database restored by {Admin} from a backup of {CreatedAt:u} (migration {Migration}); previous data saved as {Safety}",
                actor.UserName, manifest.CreatedAtUtc, manifest.MigrationId, safety.Name);
            progress?.Report(new BackupProgress(BackupProgress.Finished, 1, 1));
            return new RestoreResult(manifest, safety.Name, applied);
        }
        finally
        {
            BackupService.TryDeleteDirectory(work);
        }
    }

    /// <summary>
    /// Audits the restore in the restored database. The acting admin may not exist there (an older backup): then the
    /// row carries only their name. The restore has happened by now, so a failure here is logged, not thrown.
    /// </summary>
    private async Task RecordRestoredAsync(UserRef actor, string? fileName, BackupManifest manifest, string safetyBackup, IReadOnlyList<string> applied)
    {
        try
        {
            var actorExists = await db.Users.AnyAsync(u => u.Id == actor.Id);
            await audit.RecordAsync(actorExists ? actor.Id : null, actor.UserName, "admin.backup_restore", "backup", fileName is null ? null : Path.GetFileName(fileName),
                new { manifest.CreatedAtUtc, manifest.MigrationId, manifest.AppVersion, safetyBackup, migrationsApplied = applied });
        }
        catch (Exception exception) when (exception is DbUpdateException or SqliteException)
        {
            logger.LogError(exception, "The restore from {File} succeeded but could not be audited", fileName);
        }
    }

    /// <summary>Copies the upload to disk, refusing it past <see cref="BackupOptions.MaxUploadBytes"/> and when it is not a zip.</summary>
    private async Task ReceiveAsync(Stream upload, string archive, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxUploadBytes;
        await using (var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write, FileShare.None, 128 * 1024, useAsync: true))
        {
            var buffer = new byte[128 * 1024];
            long total = 0;
            int read;
            while ((read = await upload.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > max)
                    throw new ValidationError("backup.too_large", "file", $"The file is larger than {max / (1024 * 1024)} MB.", max / (1024 * 1024));
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                progress?.Report(new BackupProgress(BackupProgress.Upload, total, 0));
            }
        }
        await using var check = File.OpenRead(archive);
        var magic = new byte[4];
        if (await check.ReadAtLeastAsync(magic, 4, throwOnEndOfStream: false, cancellationToken) < 4 || !magic.AsSpan().SequenceEqual(ZipMagic))
            throw new ValidationError("backup.not_zip", "file", "The file is not a zip archive.");
    }

    /// <summary>Checks the archive's entries and unpacks them, counting real bytes (declared sizes can lie).</summary>
    private async Task<(BackupManifest Manifest, string DatabaseFile, string AvatarsDirectory)> UnpackAsync(string archive, string work, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var avatars = Directory.CreateDirectory(Path.Combine(work, "avatars")).FullName;
        var databaseFile = Path.Combine(work, BackupManifest.DatabaseEntry);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(File.OpenRead(archive), ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException)
        {
            throw new ValidationError("backup.not_zip", "file", "The file is not a readable zip archive.");
        }
        using (zip)
        {
            if (zip.Entries.Count > limits.MaxEntries)
                throw new ValidationError("backup.too_many_entries", "file", $"The archive holds more than {limits.MaxEntries} files.", limits.MaxEntries);
            var names = new HashSet<string>(StringComparer.Ordinal);
            long declared = 0;
            foreach (var entry in zip.Entries)
            {
                if (!IsAllowedEntryName(entry.FullName) || !names.Add(entry.FullName))
                    throw new ValidationError("backup.bad_entry", "file", $"The archive holds an unexpected entry '{entry.FullName}'.", entry.FullName);
                declared += entry.Length;
            }
            if (declared > limits.MaxUncompressedBytes)
                throw new ValidationError("backup.too_large_unpacked", "file", "The archive unpacks to more than the allowed size.", limits.MaxUncompressedBytes / (1024 * 1024));
            if (!names.Contains(BackupManifest.FileName) || !names.Contains(BackupManifest.DatabaseEntry))
                throw new ValidationError("backup.manifest_missing", "file", "The archive has no manifest.json or no database.");

            var manifest = await ReadManifestAsync(zip.GetEntry(BackupManifest.FileName)!, cancellationToken);
            long budget = limits.MaxUncompressedBytes;
            string sha256;
            await using (var output = new FileStream(databaseFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 128 * 1024, useAsync: true))
            await using (var input = zip.GetEntry(BackupManifest.DatabaseEntry)!.Open())
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                budget -= await CopyBoundedAsync(input, output, budget, hash, cancellationToken);
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            if (!string.Equals(sha256, manifest.DatabaseSha256, StringComparison.OrdinalIgnoreCase))
                throw new ValidationError("backup.checksum_mismatch", "file", "The database in the archive does not match the manifest's checksum.");

            foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(BackupManifest.AvatarsFolder, StringComparison.Ordinal) && !e.FullName.EndsWith('/')))
            {
                var target = Path.GetFullPath(Path.Combine(avatars, entry.FullName[BackupManifest.AvatarsFolder.Length..]));
                // Belt and braces after the name check: nothing lands outside the temporary avatars folder.
                if (!target.StartsWith(avatars + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new ValidationError("backup.bad_entry", "file", $"The archive holds an unexpected entry '{entry.FullName}'.", entry.FullName);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                await using var input = entry.Open();
                budget -= await CopyBoundedAsync(input, output, budget, null, cancellationToken);
            }
            return (manifest, databaseFile, avatars);
        }
    }

    /// <summary>Only our own layout: the manifest, the database, and plain relative files under avatars/.</summary>
    internal static bool IsAllowedEntryName(string name)
    {
        if (name is BackupManifest.FileName or BackupManifest.DatabaseEntry) return true;
        if (!name.StartsWith(BackupManifest.AvatarsFolder, StringComparison.Ordinal) || name.Length > 300) return false;
        var rest = name[BackupManifest.AvatarsFolder.Length..];
        if (rest.Length == 0) return true;
        return !rest.Contains('\\') && !rest.Contains('\0') && !rest.Contains(':')
            && rest.TrimEnd('/').Split('/').All(part => part.Length > 0 && part != "." && part != "..");
    }

    private static async Task<BackupManifest> ReadManifestAsync(ZipArchiveEntry entry, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await using (var input = entry.Open())
            await CopyBoundedAsync(input, buffer, BackupManifest.MaxBytes, null, cancellationToken, "backup.manifest_invalid");
        buffer.Position = 0;
        BackupManifest? manifest;
        try
        {
            manifest = await JsonSerializer.DeserializeAsync<BackupManifest>(buffer, BackupManifest.Json, cancellationToken);
        }
        catch (JsonException)
        {
            manifest = null;
        }
        if (manifest is null || manifest.Format != BackupManifest.CurrentFormat || string.IsNullOrEmpty(manifest.MigrationId)
            || manifest.DatabaseSha256 is not { Length: 64 } || manifest.TableRowCounts is null)
            throw new ValidationError("backup.manifest_invalid", "file", "The archive's manifest.json is missing fields or from an unknown format.");
        return manifest;
    }

    /// <summary>Copies at most <paramref name="budget"/> bytes; one more is a refusal (the zip bomb guard).</summary>
    private static async Task<long> CopyBoundedAsync(Stream input, Stream output, long budget, IncrementalHash? hash, CancellationToken cancellationToken,
        string code = "backup.too_large_unpacked")
    {
        var buffer = new byte[128 * 1024];
        long total = 0;
        int read;
        try
        {
            while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > budget)
                    throw new ValidationError(code, "file", "The archive unpacks to more than the allowed size.", budget / (1024 * 1024));
                hash?.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (InvalidDataException)
        {
            throw new ValidationError("backup.not_zip", "file", "The zip archive is damaged.");
        }
        return total;
    }

    /// <summary>The unpacked database: SQLite, intact, the manifest's row counts, a schema this app knows and not newer than it.</summary>
    private async Task VerifyDatabaseAsync(BackupManifest manifest, string databaseFile, CancellationToken cancellationToken)
    {
        if (!SqliteFiles.HasSqliteHeader(databaseFile))
            throw new ValidationError("backup.not_sqlite", "file", "The archive's database is not an SQLite file.");
        try
        {
            await using var connection = SqliteFiles.Open(databaseFile);
            // The archive's copy is standalone; make sure it stays so while it is checked.
            await SqliteFiles.PragmaAsync(connection, "journal_mode=DELETE", cancellationToken);
            var integrity = await SqliteFiles.PragmaAsync(connection, "integrity_check", cancellationToken);
            if (!string.Equals(integrity, "ok", StringComparison.OrdinalIgnoreCase))
                throw new ValidationError("backup.integrity_failed", "file", "The archive's database failed SQLite's integrity check.", integrity);

            var applied = await SqliteFiles.AppliedMigrationsAsync(connection, cancellationToken);
            var known = db.Database.GetMigrations().ToList();
            var latest = applied.LastOrDefault();
            if (latest is null || latest != manifest.MigrationId)
                throw new ValidationError("backup.schema_unknown", "file", "The archive's database has no schema version matching its manifest.", manifest.MigrationId);
            var unknown = applied.FirstOrDefault(id => !known.Contains(id, StringComparer.Ordinal));
            if (unknown is not null)
            {
                var newer = known.Count > 0 && string.CompareOrdinal(unknown, known[^1]) > 0;
                throw newer
                    ? new ValidationError("backup.schema_newer", "file", "The backup comes from a newer version of CodeRunner; update the app first.", unknown)
                    : new ValidationError("backup.schema_unknown", "file", "The backup's schema is not one this version of CodeRunner knows.", unknown);
            }

            var counts = await SqliteFiles.CountRowsAsync(connection, cancellationToken);
            if (!counts.OrderBy(c => c.Key, StringComparer.Ordinal).SequenceEqual(manifest.TableRowCounts.OrderBy(c => c.Key, StringComparer.Ordinal)))
                throw new ValidationError("backup.counts_mismatch", "file", "The archive's database does not hold the rows its manifest lists.");
            await MatchPageSizeAsync(connection, cancellationToken);
        }
        catch (SqliteException exception)
        {
            logger.LogWarning(exception, "Uploaded backup database could not be read");
            throw new ValidationError("backup.integrity_failed", "file", "The archive's database failed SQLite's integrity check.", exception.Message);
        }
    }

    /// <summary>SQLite's backup into a WAL database needs equal page sizes; rebuild the copy with the live page size if they differ.</summary>
    private async Task MatchPageSizeAsync(SqliteConnection copy, CancellationToken cancellationToken)
    {
        await using var live = SqliteFiles.Open(backups.LiveDatabasePath(), SqliteOpenMode.ReadOnly);
        var livePageSize = await SqliteFiles.PragmaAsync(live, "page_size", cancellationToken);
        if (await SqliteFiles.PragmaAsync(copy, "page_size", cancellationToken) == livePageSize) return;
        await SqliteFiles.PragmaAsync(copy, $"page_size={int.Parse(livePageSize, System.Globalization.CultureInfo.InvariantCulture)}", cancellationToken);
        await SqliteFiles.PragmaAsync(copy, "journal_mode=DELETE", cancellationToken);
        await using var vacuum = copy.CreateCommand();
        vacuum.CommandText = "VACUUM";
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Copies the verified database over the live one in one transaction (SQLite's backup API with the live file as
    /// destination), then drops pooled connections — they would keep prepared statements of the old schema — and
    /// checkpoints the WAL so the main file holds the restored data.
    /// </summary>
    private async Task SwapAsync(string databaseFile, CancellationToken cancellationToken)
    {
        var livePath = backups.LiveDatabasePath();
        SqliteConnection.ClearAllPools();
        await Task.Run(() =>
        {
            using var source = SqliteFiles.Open(databaseFile, SqliteOpenMode.ReadOnly);
            using var live = SqliteFiles.Open(livePath);
            source.BackupDatabase(live);
        }, cancellationToken);
        SqliteConnection.ClearAllPools();
        await using var connection = SqliteFiles.Open(livePath);
        await SqliteFiles.PragmaAsync(connection, "journal_mode=WAL", cancellationToken);
        await SqliteFiles.PragmaAsync(connection, "wal_checkpoint(TRUNCATE)", cancellationToken);
    }

    /// <summary>Puts the archive's avatars in place (the previous ones are in the prerestore backup). Archives without avatars leave them alone.</summary>
    private void ReplaceAvatars(string unpacked, bool archiveHasAvatars)
    {
        if (!archiveHasAvatars) return;
        var current = Path.Combine(data.Root, "avatars");
        var previous = current + ".replaced-" + Guid.NewGuid().ToString("N");
        if (Directory.Exists(current)) Directory.Move(current, previous);
        Directory.Move(unpacked, current);
        BackupService.TryDeleteDirectory(previous);
    }

    /// <summary>Brings an older backup up to this app's schema and marks runs that were going when it was taken as failed.</summary>
    private async Task<IReadOnlyList<string>> MigrateAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        var fresh = scope.ServiceProvider.GetRequiredService<CodeRunnerDbContext>();
        var pending = (await fresh.Database.GetPendingMigrationsAsync()).ToList();
        if (pending.Count > 0) await fresh.Database.MigrateAsync();
        await fresh.CodeExecutions.Where(e => e.Status == ExecutionStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, ExecutionStatus.Failed));
        return pending;
    }
}
