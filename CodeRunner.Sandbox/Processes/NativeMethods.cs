using System.Runtime.InteropServices;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// The few libc calls the command runner needs. posix_spawn + wait4 instead of
/// System.Diagnostics.Process because Process can neither start a child in a new session
/// without an extra exec nor report the rusage (CPU, peak RSS) of the whole reaped tree.
/// </summary>
internal static unsafe partial class NativeMethods
{
    public const int SIGKILL = 9;
    public const int SIGSTOP = 19;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int O_CLOEXEC = 0x80000;
    public const short POLLIN = 0x1;
    public const short POLLHUP = 0x10;
    public const short POLLERR = 0x8;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal { public long Seconds; public long Microseconds; }

    [StructLayout(LayoutKind.Sequential)]
    public struct RUsage
    {
        public TimeVal UserTime;
        public TimeVal SystemTime;
        public long MaxRssKb;
        public long IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVcsw, NIvcsw;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short REvents; }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

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

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int wait4(int pid, int* status, int options, RUsage* usage);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitid(int idType, int id, byte* info, int options);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chown(string path, int uid, int gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int access(string path, int mode);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* actions, string path);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setsigmask(void* attributes, void* mask);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setsigdefault(void* attributes, void* mask);

    [LibraryImport("libc")]
    public static partial int sigemptyset(void* set);

    [LibraryImport("libc")]
    public static partial int sigaddset(void* set, int signal);

    [LibraryImport("libc")]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

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
