using System.Runtime.InteropServices;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// A classic-BPF seccomp program, modelled on Docker's default profile, that bwrap loads
/// (--seccomp FD) right before it execs the program: syscalls a Python program never needs
/// and that widen the kernel surface (keyrings, eBPF, perf, userfaultfd, io_uring, mounts,
/// namespaces, modules, kexec, clocks, ptrace, ...) fail with EPERM; clone with a namespace
/// flag fails with EPERM and clone3 with ENOSYS (glibc then falls back to clone, as under Docker).
/// Other architectures of the same kernel (i386 via int 0x80, x32) are killed outright.
/// Generated here, so no library or python runs on the host to build it.
/// </summary>
public static class SeccompFilter
{
    private const uint AuditArchX8664 = 0xC000003E;
    private const uint AuditArchAarch64 = 0xC00000B7;
    private const uint X32SyscallBit = 0x40000000;
    private const uint RetKillProcess = 0x80000000;
    private const uint RetErrno = 0x00050000;
    private const uint RetAllow = 0x7FFF0000;
    private const int EPERM = 1;
    private const int ENOSYS = 38;
    // CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
    private const uint CloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

    // BPF opcodes: ld word absolute, jeq/jge/jset immediate, ret immediate.
    private const ushort LdAbsWord = 0x20;
    private const ushort JumpIfEqual = 0x15;
    private const ushort JumpIfGreaterOrEqual = 0x35;
    private const ushort JumpIfAnyBit = 0x45;
    private const ushort Return = 0x06;

    /// <summary>The blocked syscall names, for documentation and tests.</summary>
    public static IReadOnlyCollection<string> BlockedSyscalls => X8664.Keys;

    private static readonly Dictionary<string, uint> X8664 = new()
    {
        ["acct"] = 163, ["add_key"] = 248, ["bpf"] = 321, ["clock_adjtime"] = 305, ["clock_settime"] = 227, ["adjtimex"] = 159,
        ["settimeofday"] = 164, ["create_module"] = 174, ["delete_module"] = 176, ["finit_module"] = 313, ["init_module"] = 175,
        ["get_kernel_syms"] = 177, ["query_module"] = 178, ["ioperm"] = 173, ["iopl"] = 172, ["kcmp"] = 312, ["kexec_file_load"] = 320,
        ["kexec_load"] = 246, ["keyctl"] = 250, ["request_key"] = 249, ["lookup_dcookie"] = 212, ["name_to_handle_at"] = 303,
        ["open_by_handle_at"] = 304, ["nfsservctl"] = 180, ["perf_event_open"] = 298, ["pivot_root"] = 155, ["mount"] = 165,
        ["umount2"] = 166, ["fsopen"] = 430, ["fsconfig"] = 431, ["fsmount"] = 432, ["fspick"] = 433, ["move_mount"] = 429,
        ["open_tree"] = 428, ["mount_setattr"] = 442, ["process_vm_readv"] = 310, ["process_vm_writev"] = 311, ["ptrace"] = 101,
        ["quotactl"] = 179, ["reboot"] = 169, ["setns"] = 308, ["unshare"] = 272, ["swapon"] = 167, ["swapoff"] = 168,
        ["sysfs"] = 139, ["_sysctl"] = 156, ["uselib"] = 134, ["userfaultfd"] = 323, ["ustat"] = 136, ["io_uring_setup"] = 425,
        ["io_uring_enter"] = 426, ["io_uring_register"] = 427, ["syslog"] = 103, ["fanotify_init"] = 300, ["vhangup"] = 153,
    };

    private static readonly Dictionary<string, uint> Aarch64 = new()
    {
        ["acct"] = 89, ["add_key"] = 217, ["bpf"] = 280, ["clock_adjtime"] = 266, ["clock_settime"] = 112, ["adjtimex"] = 171,
        ["settimeofday"] = 170, ["delete_module"] = 106, ["finit_module"] = 273, ["init_module"] = 105, ["kcmp"] = 272,
        ["kexec_file_load"] = 294, ["kexec_load"] = 104, ["keyctl"] = 219, ["request_key"] = 218, ["lookup_dcookie"] = 18,
        ["name_to_handle_at"] = 264, ["open_by_handle_at"] = 265, ["nfsservctl"] = 42, ["perf_event_open"] = 241, ["pivot_root"] = 41,
        ["mount"] = 40, ["umount2"] = 39, ["fsopen"] = 430, ["fsconfig"] = 431, ["fsmount"] = 432, ["fspick"] = 433, ["move_mount"] = 429,
        ["open_tree"] = 428, ["mount_setattr"] = 442, ["process_vm_readv"] = 270, ["process_vm_writev"] = 271, ["ptrace"] = 117,
        ["quotactl"] = 60, ["reboot"] = 142, ["setns"] = 268, ["unshare"] = 97, ["swapon"] = 224, ["swapoff"] = 225,
        ["userfaultfd"] = 282, ["io_uring_setup"] = 425, ["io_uring_enter"] = 426, ["io_uring_register"] = 427, ["syslog"] = 116,
        ["fanotify_init"] = 262, ["vhangup"] = 58,
    };

    /// <summary>The filter for this machine's architecture, or null where we have no syscall table (then runs go without one, and the log says so).</summary>
    public static byte[]? ForCurrentArchitecture() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => Build(AuditArchX8664, X8664, clone: 56, clone3: 435, rejectX32: true),
        Architecture.Arm64 => Build(AuditArchAarch64, Aarch64, clone: 220, clone3: 435, rejectX32: false),
        _ => null,
    };

    private static byte[] Build(uint arch, Dictionary<string, uint> blocked, uint clone, uint clone3, bool rejectX32)
    {
        var program = new List<(ushort Code, byte JumpTrue, byte JumpFalse, uint K)>
        {
            (LdAbsWord, 0, 0, 4),                       // seccomp_data.arch
            (JumpIfEqual, 1, 0, arch),
            (Return, 0, 0, RetKillProcess),
            (LdAbsWord, 0, 0, 0),                       // seccomp_data.nr
        };
        if (rejectX32)
        {
            program.Add((JumpIfGreaterOrEqual, 0, 1, X32SyscallBit));
            program.Add((Return, 0, 0, RetKillProcess));
        }
        foreach (var number in blocked.Values.Distinct().Order())
        {
            program.Add((JumpIfEqual, 0, 1, number));
            program.Add((Return, 0, 0, RetErrno | EPERM));
        }
        program.Add((JumpIfEqual, 0, 1, clone3));
        program.Add((Return, 0, 0, RetErrno | ENOSYS));
        program.Add((JumpIfEqual, 0, 3, clone));
        program.Add((LdAbsWord, 0, 0, 16));             // low word of args[0], the clone flags (little-endian)
        program.Add((JumpIfAnyBit, 0, 1, CloneNamespaceFlags));
        program.Add((Return, 0, 0, RetErrno | EPERM));
        program.Add((Return, 0, 0, RetAllow));

        var bytes = new byte[program.Count * 8];
        for (var i = 0; i < program.Count; i++)
        {
            var (code, jumpTrue, jumpFalse, k) = program[i];
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), code);
            bytes[i * 8 + 2] = jumpTrue;
            bytes[i * 8 + 3] = jumpFalse;
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8 + 4), k);
        }
        return bytes;
    }
}
