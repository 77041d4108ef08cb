using System.Runtime.InteropServices;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// The few libc calls that .NET has no API for: signals, mounts of per-run file systems, owners,
/// memfds, no-follow stat. Processes themselves are started with CliWrap (see <see cref="RunningProcess"/>).
/// </summary>
internal static unsafe partial class NativeMethods
{
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    public const int O_RDONLY = 0;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_PATH = 0x200000;
    public const int O_NONBLOCK = 0x800;
    public const uint MFD_CLOEXEC = 1;
    public const int MNT_DETACH = 2;
    public const ulong MS_NOSUID = 2;
    public const ulong MS_NODEV = 4;
    public const ulong MS_REMOUNT = 32;
    public const ulong MS_BIND = 4096;
    public const ulong MS_SHARED = 1 << 20;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string? fileSystemType, ulong flags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct StatVfs
    {
        public ulong BlockSize, FragmentSize, Blocks, BlocksFree, BlocksAvailable, Files, FilesFree, FilesAvailable, FileSystemId, Flags, NameMax;
        public fixed int Spare[6];
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statvfs(string path, StatVfs* buffer);

    public const uint MFD_ALLOW_SEALING = 2;
    private const int F_ADD_SEALS = 1033;
    private const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;

    private const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    /// <summary>
    /// Sets close-on-exec on every descriptor above stderr that lacks it: what this process inherited from whoever
    /// started it (a pipe of a test host or a service manager) would otherwise reach every child, sandboxed runs included.
    /// .NET opens its own descriptors close-on-exec; the seccomp program is handed over on purpose (<see cref="InheritedFile"/>).
    /// </summary>
    public static void CloseInheritedDescriptorsOnExec()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var fd) || fd <= 2) continue;
            var flags = fcntl(fd, F_GETFD, 0);
            if (flags >= 0 && (flags & FD_CLOEXEC) == 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }

    /// <summary>A close-on-exec memfd holding <paramref name="content"/>, sealed: nobody (not even a reopened descriptor) can change it.</summary>
    public static int SealedMemoryFile(string name, byte[] content)
    {
        var fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) throw new IOException($"memfd_create failed (errno {Marshal.GetLastPInvokeError()})");
        fixed (byte* data = content)
        {
            nint written = 0;
            while (written < content.Length)
            {
                var count = write(fd, data + written, content.Length - written);
                if (count <= 0) { close(fd); throw new IOException($"write to memfd failed (errno {Marshal.GetLastPInvokeError()})"); }
                written += count;
            }
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw new IOException($"sealing the memfd failed (errno {errno})");
        }
        return fd;
    }

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public nint Name, Password;
        public uint Uid, Gid;
        public nint Gecos, Directory, Shell;
    }

    [LibraryImport("libc")]
    private static partial Passwd* getpwuid(uint uid);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int getgrouplist(string user, uint group, uint* groups, ref int count);

    /// <summary>
    /// The name of the user <paramref name="uid"/> when its primary group is <paramref name="gid"/> and it is in no other
    /// group (so starting a child as it grants nothing setpriv --clear-groups would not); else null. Start-up only (getpwuid is not reentrant).
    /// </summary>
    public static string? UserWithOnlyGroup(int uid, int gid)
    {
        var entry = getpwuid((uint)uid);
        if (entry is null || entry->Uid != (uint)uid || entry->Gid != (uint)gid) return null;
        var name = Marshal.PtrToStringUTF8(entry->Name);
        if (string.IsNullOrEmpty(name)) return null;
        var groups = stackalloc uint[64];
        var count = 64;
        if (getgrouplist(name, (uint)gid, groups, ref count) < 0) return null;
        for (var i = 0; i < count; i++) if (groups[i] != (uint)gid) return null;
        return name;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chown(string path, int uid, int gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int access(string path, int mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, byte* statBuffer);

    /// <summary>stat's owner, group and mode bits (follows links).</summary>
    public static (int Uid, int Gid, uint Mode) OwnerAndMode(string path)
    {
        // x86_64: st_mode at 24, st_uid 28, st_gid 32; aarch64: st_mode 16, st_uid 20, st_gid 24.
        var arm = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
        var buffer = stackalloc byte[256];
        if (stat(path, buffer) != 0) throw new IOException($"stat {path} failed (errno {Marshal.GetLastPInvokeError()})");
        return (*(int*)(buffer + (arm ? 20 : 28)), *(int*)(buffer + (arm ? 24 : 32)), *(uint*)(buffer + (arm ? 16 : 24)));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int stat(string path, byte* statBuffer);

    [LibraryImport("libc")]
    public static partial uint umask(uint mask);

    /// <summary>lstat's S_ISREG: true only for a regular file that is not a symlink.</summary>
    public static bool IsRegularFileNoFollow(string path)
    {
        // struct stat: x86_64 has st_dev, st_ino, st_nlink (8 bytes each) before st_mode; aarch64 has st_mode right after st_ino.
        var modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 16 : 24;
        var buffer = stackalloc byte[256];
        if (lstat(path, buffer) != 0) return false;
        var mode = *(uint*)(buffer + modeOffset);
        return (mode & 0xF000) == 0x8000;
    }
}
