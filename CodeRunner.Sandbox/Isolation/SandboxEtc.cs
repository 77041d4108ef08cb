using System.Security.Cryptography;
using System.Text;
using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// The sandbox's minimal /etc (<see cref="BubblewrapIsolation.EtcFiles"/>) copied at start-up into one directory that a
/// run binds read-only at /etc: one mount instead of one per entry. Each bwrap bind re-reads the whole mount table to
/// remount it read-only, and the ten entries of this host's list cost ~5 ms of every sandbox start, about a third of a
/// cold run's overhead. Only what the sandbox user could read on the host is copied (world-readable files, searchable
/// dirs); symbolic links are copied as links, so they resolve inside the sandbox as before. The host's own /etc is never
/// modified or bound. A change to those files on the host (a new time zone, ldconfig after installing a system library)
/// reaches runs at the next start of the app.
/// The copy is named by a hash of what it holds (runs/.etc-&lt;hash&gt;) and never changed once made: several app
/// processes or nodes may share one runs dir, and a copy bound into another's running sandbox must not be emptied or
/// rewritten under it. Hosts with the same files share one copy; a changed /etc gets a new one (old ones stay, a few
/// hundred KB each, since another node may still use them).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class SandboxEtc
{
    /// <summary>A copied file larger than this is left out (the list holds small configuration files).</summary>
    private const long MaxFileBytes = 16L * 1024 * 1024;

    private const string Prefix = ".etc-";
    private const string StagingPrefix = ".etc-new-";
    private static readonly TimeSpan AbandonedStagingAge = TimeSpan.FromHours(1);

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>
    /// The copy of this host's entries in <paramref name="runsDirectory"/> (made now unless an identical one exists), or null
    /// (and the log says why) when it cannot be made: runs then bind each entry on its own, as before.
    /// </summary>
    public static string? Create(string runsDirectory, ILogger logger)
    {
        RemoveAbandonedStaging(runsDirectory);
        // A leading dot: a run id cannot start with one, so the copy is never taken for a run's directory.
        var staging = Path.Combine(runsDirectory, StagingPrefix + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            CreateDirectory(staging);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // An entry missing on this host is skipped by Copy, as bwrap's --ro-bind-try skipped it.
            foreach (var path in BubblewrapIsolation.EtcFiles)
                Copy(path, Path.Combine(staging, Path.GetFileName(path)), Path.GetFileName(path), hash);
            var copy = Path.Combine(runsDirectory, Prefix + Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant());
            if (!Directory.Exists(copy))
            {
                try
                {
                    Directory.Move(staging, copy);
                }
                catch (IOException) when (Directory.Exists(copy))
                {
                    // Another process made the same copy meanwhile.
                }
            }
            return copy;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(exception, "Could not copy the sandbox's /etc to {Directory}; each file is bound on its own (slower starts)", runsDirectory);
            return null;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Copies one entry; what it copies (name, kind, link target or bytes) goes into <paramref name="hash"/>.</summary>
    private static void Copy(string source, string target, string relative, IncrementalHash hash)
    {
        if (new FileInfo(source).LinkTarget is { } link)
        {
            File.CreateSymbolicLink(target, link);
            Add(hash, "link", relative, Encoding.UTF8.GetBytes(link));
            return;
        }
        if (Directory.Exists(source))
        {
            if (!File.GetUnixFileMode(source).HasFlag(UnixFileMode.OtherRead | UnixFileMode.OtherExecute)) return;
            CreateDirectory(target);
            Add(hash, "dir", relative, []);
            foreach (var entry in Directory.EnumerateFileSystemEntries(source).Order(StringComparer.Ordinal))
                Copy(entry, Path.Combine(target, Path.GetFileName(entry)), relative + "/" + Path.GetFileName(entry), hash);
            return;
        }
        // Regular files the sandbox user could read on the host; never devices, sockets or fifos.
        if (!NativeMethods.IsRegularFileNoFollow(source) || !File.GetUnixFileMode(source).HasFlag(UnixFileMode.OtherRead) || new FileInfo(source).Length > MaxFileBytes) return;
        var bytes = File.ReadAllBytes(source);
        File.WriteAllBytes(target, bytes);
        File.SetUnixFileMode(target, FileMode);
        Add(hash, "file", relative, bytes);
    }

    private static void Add(IncrementalHash hash, string kind, string relative, byte[] content)
    {
        hash.AppendData(Encoding.UTF8.GetBytes($"{kind}\0{relative}\0{content.Length}\0"));
        hash.AppendData(content);
    }

    /// <summary>Staging dirs of a process that died while copying (nobody stages for an hour).</summary>
    private static void RemoveAbandonedStaging(string runsDirectory)
    {
        try
        {
            foreach (var staging in Directory.EnumerateDirectories(runsDirectory, StagingPrefix + "*"))
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(staging) > AbandonedStagingAge) Directory.Delete(staging, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }

    // chmod after mkdir: the app's umask (027) must not take the sandbox user's read and search bits away.
    private static void CreateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, DirectoryMode);
    }
}
