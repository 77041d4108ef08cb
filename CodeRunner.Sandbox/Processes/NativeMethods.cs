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
