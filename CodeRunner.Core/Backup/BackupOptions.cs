namespace CodeRunner.Core.Backup;

/// <summary>Backups in data/backups: the schedule and the limits an uploaded archive must respect ("Backup" section).</summary>
public sealed class BackupOptions
{
    public const string Section = "Backup";

    /// <summary>Hours between automatic backups; 0 or less turns them off.</summary>
    public double IntervalHours { get; set; } = 24;
    /// <summary>Automatic backups kept; older ones are deleted (manual and pre-restore backups are never pruned).</summary>
    public int Keep { get; set; } = 7;
    /// <summary>Largest archive accepted for a restore.</summary>
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;
    /// <summary>Largest total size of the archive's files once unpacked (a zip bomb stops here).</summary>
    public long MaxUncompressedBytes { get; set; } = 8L * 1024 * 1024 * 1024;
    /// <summary>Most files an archive may hold (database, manifest, avatars).</summary>
    public int MaxEntries { get; set; } = 20_000;
}
