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

    [LibraryImport("libc", SetLastError = true)]
    public static partial long lseek(int fd, long offset, int whence);

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

    /// <summary>A memfd holding <paramref name="content"/>, positioned at its start (close-on-exec until dup2'd into a child).</summary>
    public static int MemoryFile(string name, byte[] content)
    {
        var fd = memfd_create(name, MFD_CLOEXEC);
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
        lseek(fd, 0, 0);
        return fd;
    }

    [LibraryImport("libc")]
    public static partial uint geteuid();

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
