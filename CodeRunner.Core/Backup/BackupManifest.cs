using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodeRunner.Core.Backup;

/// <summary>manifest.json of a backup archive: what it holds and how to check it.</summary>
public sealed record BackupManifest
{
    public const int CurrentFormat = 1;
    public const string FileName = "manifest.json";
    public const string DatabaseEntry = "coderunner.db";
    public const string AvatarsFolder = "avatars/";
    /// <summary>A manifest is a few KB; anything bigger is not one of ours.</summary>
    public const int MaxBytes = 1024 * 1024;

    public int Format { get; init; } = CurrentFormat;
    public required string AppVersion { get; init; }
    /// <summary>The newest EF Core migration applied to the database (schema version).</summary>
    public required string MigrationId { get; init; }
    public required DateTime CreatedAtUtc { get; init; }
    /// <summary>Lower-case hex SHA-256 of <see cref="DatabaseEntry"/>.</summary>
    public required string DatabaseSha256 { get; init; }
    public required long DatabaseBytes { get; init; }
    public required IReadOnlyDictionary<string, long> TableRowCounts { get; init; }
    public int AvatarFiles { get; init; }
    /// <summary>manual, auto or prerestore.</summary>
    public string Kind { get; init; } = "manual";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>A backup archive in data/backups.</summary>
public sealed record BackupFileInfo(string Name, string Kind, long SizeBytes, DateTime CreatedAtUtc);

/// <summary>Where a backup or restore is: a stage name and, for byte-counted stages, how far.</summary>
public sealed record BackupProgress(string Stage, long Done = 0, long Total = 0)
{
    public const string Snapshot = "snapshot";
    public const string Checksum = "checksum";
    public const string Compress = "compress";
    public const string Avatars = "avatars";
    public const string Upload = "upload";
    public const string Verify = "verify";
    public const string SafetyBackup = "safety_backup";
    public const string Swap = "swap";
    public const string Migrate = "migrate";
    public const string Finished = "done";

    public double? Fraction => Total > 0 ? Math.Clamp((double)Done / Total, 0, 1) : null;
}

/// <summary>The database file as the admin's database page shows it.</summary>
public sealed record DatabaseInfo(string Path, long SizeBytes, long WalBytes, string? MigrationId, IReadOnlyDictionary<string, long> TableRowCounts,
    BackupFileInfo? LastBackup, int BackupCount);

/// <summary>What a finished restore did.</summary>
public sealed record RestoreResult(BackupManifest Manifest, string SafetyBackupName, IReadOnlyList<string> MigrationsApplied);
