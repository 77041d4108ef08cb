using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using CodeRunner.Core.Admin;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Backup;

/// <summary>One backup or restore at a time in this process (they read or replace the same files).</summary>
public sealed class BackupCoordinator
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public Task<IDisposable> EnterAsync(CancellationToken cancellationToken) => gate.LeaseAsync(cancellationToken);
}

/// <summary>
/// Backups of the running site: a consistent snapshot of the SQLite database taken with SQLite's online backup API
/// (readers and writers keep going; the copy is one point in time, unlike a file copy of a WAL database), zipped with
/// a manifest and the avatars into data/backups. Listing, download and delete for admins; automatic ones via <see cref="BackupScheduler"/>.
/// </summary>
public sealed partial class BackupService(
    CodeRunnerDbContext db,
    DataDirectory data,
    BackupCoordinator coordinator,
    AuditService audit,
    IOptions<BackupOptions> options,
    TimeProvider clock,
    ILogger<BackupService> logger)
{
    public const string Manual = "manual";
    public const string Automatic = "auto";
    public const string PreRestore = "prerestore";
    private const int CopyBufferBytes = 128 * 1024;

    [GeneratedRegex(@"^coderunner-(manual|auto|prerestore)-(\d{8}-\d{6})-[0-9a-f]{6}\.zip$")]
    private static partial Regex BackupNamePattern();

    public string BackupsDirectory => data.Sub("backups");

    /// <summary>Takes a backup now (admin), reporting progress; cancelling leaves no partial file behind.</summary>
    public async Task<BackupFileInfo> CreateAsync(UserRef actor, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        BackupFileInfo created;
        using (await coordinator.EnterAsync(cancellationToken))
            created = await CreateLockedAsync(Manual, progress, cancellationToken);
        await audit.RecordAsync(actor, "admin.backup_create", "backup", created.Name, new { created.SizeBytes }, cancellationToken: cancellationToken);
        return created;
    }

    /// <summary>The scheduler's backup: taken, audited as the system, and old automatic ones pruned to <see cref="BackupOptions.Keep"/>.</summary>
    public async Task<BackupFileInfo> CreateScheduledAsync(CancellationToken cancellationToken)
    {
        BackupFileInfo created;
        using (await coordinator.EnterAsync(cancellationToken))
        {
            created = await CreateLockedAsync(Automatic, null, cancellationToken);
            PruneAutomatic(options.Value.Keep);
        }
        await audit.RecordAsync(null, null, "backup.auto", "backup", created.Name, new { created.SizeBytes }, cancellationToken: cancellationToken);
        return created;
    }

    public IReadOnlyList<BackupFileInfo> List(UserRef actor)
    {
        UserAdministrationService.RequireAdmin(actor);
        return ListFiles();
    }

    /// <summary>Opens a backup for download (admin); NotFound for names that are not ours.</summary>
    public async Task<Stream> OpenReadAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        var path = PathOf(name);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, CopyBufferBytes, useAsync: true);
        await audit.RecordAsync(actor, "admin.backup_download", "backup", name, cancellationToken: cancellationToken);
        return stream;
    }

    public async Task DeleteAsync(UserRef actor, string name, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        var path = PathOf(name);
        File.Delete(path);
        await audit.RecordAsync(actor, "admin.backup_delete", "backup", name, cancellationToken: cancellationToken);
    }

    /// <summary>Size of the database and its WAL, rows per table, schema version, the newest backup.</summary>
    public async Task<DatabaseInfo> GetDatabaseInfoAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        UserAdministrationService.RequireAdmin(actor);
        var path = LiveDatabasePath();
        await using var connection = SqliteFiles.Open(path, SqliteOpenMode.ReadOnly);
        var counts = await SqliteFiles.CountRowsAsync(connection, cancellationToken);
        var migrations = await SqliteFiles.AppliedMigrationsAsync(connection, cancellationToken);
        var backups = ListFiles();
        return new DatabaseInfo(path, new FileInfo(path).Length, FileLength(path + "-wal"), migrations.LastOrDefault(), counts,
            backups.FirstOrDefault(), backups.Count);
    }

    /// <summary>The live database file; backups are SQLite only (a PostgreSQL deployment uses pg_dump).</summary>
    internal string LiveDatabasePath()
    {
        if (!db.Database.IsSqlite())
            throw new ConflictError("backup.sqlite_only", "Backups here are of the SQLite database; back up PostgreSQL with its own tools.");
        var builder = new SqliteConnectionStringBuilder(db.Database.GetConnectionString());
        return Path.GetFullPath(builder.DataSource);
    }

    /// <summary>Backup work; the caller holds the coordinator.</summary>
    internal async Task<BackupFileInfo> CreateLockedAsync(string kind, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var directory = BackupsDirectory;
        var now = clock.GetUtcNow().UtcDateTime;
        var name = $"coderunner-{kind}-{now:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}.zip";
        var work = Directory.CreateDirectory(Path.Combine(directory, ".work-" + Guid.NewGuid().ToString("N"))).FullName;
        var partial = Path.Combine(directory, "." + name + ".partial");
        try
        {
            progress?.Report(new BackupProgress(BackupProgress.Snapshot));
            var snapshot = Path.Combine(work, BackupManifest.DatabaseEntry);
            var livePath = LiveDatabasePath();
            await Task.Run(() =>
            {
                using var source = SqliteFiles.Open(livePath);
                using var target = SqliteFiles.Open(snapshot, SqliteOpenMode.ReadWriteCreate);
                // One step over every page, under a read transaction: a single point in time even while runs are written.
                source.BackupDatabase(target);
            }, cancellationToken);

            SortedDictionary<string, long> counts;
            IReadOnlyList<string> migrations;
            await using (var copy = SqliteFiles.Open(snapshot))
            {
                // The copy is a standalone file: no WAL beside it.
                await SqliteFiles.PragmaAsync(copy, "journal_mode=DELETE", cancellationToken);
                counts = await SqliteFiles.CountRowsAsync(copy, cancellationToken);
                migrations = await SqliteFiles.AppliedMigrationsAsync(copy, cancellationToken);
            }
            var databaseBytes = new FileInfo(snapshot).Length;
            progress?.Report(new BackupProgress(BackupProgress.Checksum, 0, databaseBytes));
            var sha256 = await Sha256Async(snapshot, cancellationToken);

            var avatarRoot = Path.Combine(data.Root, "avatars");
            var avatars = Directory.Exists(avatarRoot)
                ? new DirectoryInfo(avatarRoot).EnumerateFiles("*", SearchOption.AllDirectories).Where(f => f.LinkTarget is null).ToList()
                : [];
            var manifest = new BackupManifest
            {
                AppVersion = SystemInfoService.AppVersion,
                MigrationId = migrations.LastOrDefault() ?? "",
                CreatedAtUtc = now,
                DatabaseSha256 = sha256,
                DatabaseBytes = databaseBytes,
                TableRowCounts = counts,
                AvatarFiles = avatars.Count,
                Kind = kind,
            };

            await using (var zipFile = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferBytes, useAsync: true))
            await using (var zip = new ZipArchive(zipFile, ZipArchiveMode.Create, leaveOpen: false))
            {
                await using (var manifestStream = await zip.CreateEntry(BackupManifest.FileName, CompressionLevel.Optimal).OpenAsync(cancellationToken))
                    await JsonSerializer.SerializeAsync(manifestStream, manifest, BackupManifest.Json, cancellationToken);

                await using (var input = new FileStream(snapshot, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes, useAsync: true))
                await using (var entry = await zip.CreateEntry(BackupManifest.DatabaseEntry, CompressionLevel.Fastest).OpenAsync(cancellationToken))
                    await CopyWithProgressAsync(input, entry, databaseBytes, BackupProgress.Compress, progress, cancellationToken);

                for (var i = 0; i < avatars.Count; i++)
                {
                    progress?.Report(new BackupProgress(BackupProgress.Avatars, i, avatars.Count));
                    var relative = Path.GetRelativePath(avatarRoot, avatars[i].FullName).Replace(Path.DirectorySeparatorChar, '/');
                    await using var input = avatars[i].OpenRead();
                    await using var entry = await zip.CreateEntry(BackupManifest.AvatarsFolder + relative, CompressionLevel.Fastest).OpenAsync(cancellationToken);
                    await input.CopyToAsync(entry, cancellationToken);
                }
            }
            var final = Path.Combine(directory, name);
            File.Move(partial, final);
            progress?.Report(new BackupProgress(BackupProgress.Finished, 1, 1));
            logger.LogInformation("Backup {Name} written ({Bytes} bytes, migration {Migration})", name, new FileInfo(final).Length, manifest.MigrationId);
            return Describe(new FileInfo(final))!;
        }
        catch
        {
            TryDelete(partial);
            throw;
        }
        finally
        {
            TryDeleteDirectory(work);
        }
    }

    /// <summary>Newest first (by the file's write time: names only carry whole seconds).</summary>
    internal IReadOnlyList<BackupFileInfo> ListFiles() =>
        new DirectoryInfo(BackupsDirectory).EnumerateFiles("coderunner-*.zip")
            .OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal)
            .Select(Describe).OfType<BackupFileInfo>()
            .ToList();

    private void PruneAutomatic(int keep)
    {
        foreach (var old in ListFiles().Where(b => b.Kind == Automatic).Skip(Math.Max(1, keep)))
        {
            TryDelete(Path.Combine(BackupsDirectory, old.Name));
            logger.LogInformation("Automatic backup {Name} pruned (keeping {Keep})", old.Name, keep);
        }
    }

    /// <summary>Full path of one of our backups; anything else (other names, path tricks, missing files) is NotFound.</summary>
    private string PathOf(string name)
    {
        if (string.IsNullOrEmpty(name) || !BackupNamePattern().IsMatch(name)) throw new NotFoundError("backup", name ?? "");
        var path = Path.Combine(BackupsDirectory, name);
        if (!File.Exists(path)) throw new NotFoundError("backup", name);
        return path;
    }

    private static BackupFileInfo? Describe(FileInfo file)
    {
        var match = BackupNamePattern().Match(file.Name);
        if (!match.Success || file.LinkTarget is not null) return null;
        var created = DateTime.ParseExact(match.Groups[2].Value, "yyyyMMdd-HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return new BackupFileInfo(file.Name, match.Groups[1].Value, file.Length, created);
    }

    internal static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferBytes, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    internal static async Task CopyWithProgressAsync(Stream input, Stream output, long total, string stage, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[CopyBufferBytes];
        long done = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            done += read;
            progress?.Report(new BackupProgress(stage, done, total));
        }
    }

    private static long FileLength(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    internal static void TryDeleteDirectory(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
