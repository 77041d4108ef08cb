using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// The sandbox's minimal /etc (<see cref="BubblewrapIsolation.EtcFiles"/>) copied once, at start-up, into one directory
/// that a run binds read-only at /etc: one mount instead of one per entry. Each bwrap bind re-reads the whole mount
/// table to remount it read-only, about 0.4 ms apiece here, so the ten entries of this host's list cost ~4 ms of every
/// sandbox start, a fifth of a cold run's overhead. Only what the sandbox user could read on the host is copied
/// (world-readable files, searchable dirs); symbolic links are copied as links, so they resolve inside the sandbox as
/// before. The host's own /etc is never modified or bound. A change to those files on the host (a new time zone,
/// ldconfig after installing a system library) reaches runs at the next start of the app.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class SandboxEtc
{
    /// <summary>A copied file larger than this is left out (the list holds small configuration files).</summary>
    private const long MaxFileBytes = 16L * 1024 * 1024;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// Replaces <paramref name="directory"/> with a fresh copy of the host's entries; returns it, or null (and logs why) when
    /// it cannot be made: runs then bind each entry on its own, as before.
    /// </summary>
    public static string? Create(string directory, ILogger logger)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            CreateDirectory(directory);
            foreach (var path in BubblewrapIsolation.EtcFiles.Where(p => File.Exists(p) || Directory.Exists(p) || new FileInfo(p).LinkTarget is not null))
                Copy(path, Path.Combine(directory, Path.GetFileName(path)));
            return directory;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Could not copy the sandbox's /etc to {Directory}; each file is bound on its own (slower starts)", directory);
            return null;
        }
    }

    private static void Copy(string source, string target)
    {
        if (new FileInfo(source).LinkTarget is { } link)
        {
            File.CreateSymbolicLink(target, link);
            return;
        }
        if (Directory.Exists(source))
        {
            if (!File.GetUnixFileMode(source).HasFlag(UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) return;
            CreateDirectory(target);
            foreach (var entry in Directory.EnumerateFileSystemEntries(source)) Copy(entry, Path.Combine(target, Path.GetFileName(entry)));
            return;
        }
        // Regular files the sandbox user could read on the host; never devices, sockets or fifos.
        if (!NativeMethods.IsRegularFileNoFollow(source) || !File.GetUnixFileMode(source).HasFlag(UnixFileMode.OtherRead) || new FileInfo(source).Length > MaxFileBytes) return;
        File.Copy(source, target);
        File.SetUnixFileMode(target, FileMode);
    }

    // chmod after mkdir: the app's umask (027) must not take the sandbox user's read and search bits away.
    private static void CreateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, DirectoryMode);
    }
}
