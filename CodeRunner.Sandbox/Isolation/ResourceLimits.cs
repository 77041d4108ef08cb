using System.Globalization;
using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// Turns <see cref="RunLimits"/> into rlimits applied by util-linux prlimit, which execs the
/// interpreter inside the sandbox (one exec, no extra interpreter start).
/// Memory: RLIMIT_AS alone cannot equal the tier's memory, because numpy/matplotlib map
/// ~200 MB of address space (shared libraries, arenas, thread stacks) while using ~60 MB of
/// RAM. So RLIMIT_AS = memory + allowance stops runaway allocations quickly (MemoryError),
/// and the real limit is enforced on the resident memory the run reports as its peak (the
/// program's processes only, file-backed pages counted once; see ProcessTree.ResidentBytes and
/// UsageReport) by polling /proc, because delegated cgroup v2 memory controllers are not available everywhere.
/// </summary>
public static class ResourceLimits
{
    public static IReadOnlyList<string> PrlimitArguments(RunLimits limits, int addressSpaceAllowanceMb) =>
        [.. Values(limits, addressSpaceAllowanceMb).Select(l => Format("--" + l.Name.ToLowerInvariant(), l.Soft, l.Hard)), "--"];

    /// <summary>
    /// Every rlimit of a run (soft, hard), named as in RLIMIT_&lt;Name&gt;: prlimit applies them at a cold start, the warm
    /// pool's bootstrap lowers a pool member's ceiling to them before the program's first line (see <see cref="Execution.PoolBootstrap"/>).
    /// </summary>
    public static IReadOnlyList<(string Name, long Soft, long Hard)> Values(RunLimits limits, int addressSpaceAllowanceMb)
    {
        var cpuSeconds = Math.Max(1, (long)Math.Ceiling(limits.CpuTime.TotalSeconds));
        long addressSpace = ((long)limits.MemoryMb + addressSpaceAllowanceMb) * 1024 * 1024;
        return
        [
            ("AS", addressSpace, addressSpace),
            // Soft limit sends SIGXCPU, the hard one a second later SIGKILL.
            ("CPU", cpuSeconds, cpuSeconds + 1),
            ("NPROC", limits.MaxProcesses, limits.MaxProcesses),
            ("FSIZE", limits.MaxFileSizeBytes, limits.MaxFileSizeBytes),
            ("NOFILE", limits.MaxOpenFiles, limits.MaxOpenFiles),
            ("CORE", 0, 0),
        ];
    }

    private static string Format(string option, long soft, long hard) => soft == hard
        ? $"{option}={soft.ToString(CultureInfo.InvariantCulture)}"
        : $"{option}={soft.ToString(CultureInfo.InvariantCulture)}:{hard.ToString(CultureInfo.InvariantCulture)}";
}
