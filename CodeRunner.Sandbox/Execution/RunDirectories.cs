using System.Globalization;
using CodeRunner.Sandbox.Isolation;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// runs/&lt;id&gt;/fs is the run's one file system: when the host runs as root, a tmpfs of the run's
/// disk quota and file count holding work/ (the sandbox's /sandbox), tmp/ and shm/ (its /tmp and
/// /dev/shm), so together they can never exceed the quota, and removing it is one unmount whatever
/// the program left (any depth, any name, any mode). Elsewhere work/ is a plain dir and bwrap caps
/// /tmp and /dev/shm. runs/&lt;id&gt;/artifacts is kept after the run.
/// </summary>
internal sealed record RunDirectories(string Root, string FileSystem, string Work, string Artifacts, ScratchDirectories? Scratch)
{
    public const string FileSystemName = "fs";

    public bool IsMounted => Scratch is not null;

    public static RunDirectories For(string runsDirectory, string runId, bool mountFileSystem)
    {
        var root = Path.Combine(runsDirectory, runId);
        var fileSystem = Path.Combine(root, FileSystemName);
        var scratch = mountFileSystem ? new ScratchDirectories(Path.Combine(fileSystem, "tmp"), Path.Combine(fileSystem, "shm")) : null;
        return new RunDirectories(root, fileSystem, Path.Combine(fileSystem, "work"), Path.Combine(root, "artifacts"), scratch);
    }

    /// <summary>Creates the dirs (and mounts the tmpfs) owned by <paramref name="owner"/> when given, mode 0700.</summary>
    public void Create(RunLimits limits, (int Uid, int Gid)? owner)
    {
        // The sandbox user (bwrap binds as that user) needs to pass through the run's dir, not to list it.
        CreateDirectory(Root, Private | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        CreatePrivate(FileSystem);
        if (Scratch is not null)
        {
            var options = string.Create(CultureInfo.InvariantCulture,
                $"size={Math.Max(1024 * 1024, limits.DiskQuotaBytes)},nr_inodes={Math.Max(64, limits.MaxFiles)},mode=0700{(owner is { } o ? $",uid={o.Uid},gid={o.Gid}" : "")}");
            if (NativeMethods.mount("tmpfs", FileSystem, "tmpfs", NativeMethods.MS_NOSUID | NativeMethods.MS_NODEV, options) != 0)
                throw new IOException($"cannot mount the run's tmpfs at {FileSystem} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }
        foreach (var directory in Scratch is { } s ? new[] { Work, s.Tmp, s.Shm } : [Work])
        {
            CreatePrivate(directory);
            if (owner is { } o) NativeMethods.chown(directory, o.Uid, o.Gid);
        }
        if (owner is { } fileSystemOwner && Scratch is null) NativeMethods.chown(FileSystem, fileSystemOwner.Uid, fileSystemOwner.Gid);
    }

    /// <summary>Sets the run's tmpfs to <paramref name="limits"/>' quota and file count (a warm pool member, mounted before its run was known).</summary>
    public void Resize(RunLimits limits)
    {
        var options = string.Create(CultureInfo.InvariantCulture, $"size={Math.Max(1024 * 1024, limits.DiskQuotaBytes)},nr_inodes={Math.Max(64, limits.MaxFiles)}");
        if (NativeMethods.mount("tmpfs", FileSystem, "tmpfs", NativeMethods.MS_REMOUNT | NativeMethods.MS_NOSUID | NativeMethods.MS_NODEV, options) != 0)
            throw new IOException($"cannot resize the run's tmpfs at {FileSystem} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Bytes and files used on the run's tmpfs (null without one).</summary>
    public unsafe (long UsedBytes, long FreeBytes, long FreeFiles)? Usage()
    {
        if (Scratch is null) return null;
        NativeMethods.StatVfs stat;
        if (NativeMethods.statvfs(FileSystem, &stat) != 0) return null;
        var blockSize = (long)stat.FragmentSize;
        return ((long)(stat.Blocks - stat.BlocksFree) * blockSize, (long)stat.BlocksAvailable * blockSize, (long)stat.FilesFree);
    }

    private static void CreatePrivate(string path) => CreateDirectory(path, Private);

    // chmod after mkdir: the process umask (027 for the app) must not take the sandbox user's search bit away.
    private static void CreateDirectory(string path, UnixFileMode mode)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
}
