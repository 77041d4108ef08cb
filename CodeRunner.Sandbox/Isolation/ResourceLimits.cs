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
    public static IReadOnlyList<string> PrlimitArguments(RunLimits limits, int addressSpaceAllowanceMb)
    {
        var cpuSeconds = Math.Max(1, (long)Math.Ceiling(limits.CpuTime.TotalSeconds));
        long addressSpace = ((long)limits.MemoryMb + addressSpaceAllowanceMb) * 1024 * 1024;
        return
        [
            Format("--as", addressSpace),
            // Soft limit sends SIGXCPU, the hard one a second later SIGKILL.
            $"--cpu={cpuSeconds.ToString(CultureInfo.InvariantCulture)}:{(cpuSeconds + 1).ToString(CultureInfo.InvariantCulture)}",
            Format("--nproc", limits.MaxProcesses),
            Format("--fsize", limits.MaxFileSizeBytes),
            Format("--nofile", limits.MaxOpenFiles),
            "--core=0",
            "--",
        ];
    }

    private static string Format(string option, long value) => $"{option}={value.ToString(CultureInfo.InvariantCulture)}";
}
