using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using CodeRunner.Core.Common;
using CodeRunner.Core.Execution;
using CodeRunner.Sandbox.Execution;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Admin;

public sealed class SystemOptions
{
    public const string Section = "System";
    /// <summary>Below this many free MB on the data directory's disk the console warns.</summary>
    public long LowDiskWarningMb { get; set; } = 2048;
    /// <summary>…or below this share of the disk free.</summary>
    public double LowDiskWarningPercent { get; set; } = 5;
}

/// <summary>Open Blazor circuits, counted by the web layer's circuit handler (Core only keeps the number).</summary>
public sealed class OpenCircuitCounter
{
    private int count;
    public int Count => Volatile.Read(ref count);
    public void Opened() => Interlocked.Increment(ref count);
    public void Closed() => Interlocked.Decrement(ref count);
}

public sealed record CpuInfo(int Cores, double? MachinePercent, double? ProcessPercent, double? Load1, double? Load5, double? Load15);
public sealed record MemoryInfo(long? TotalBytes, long? AvailableBytes, long ProcessWorkingSetBytes, long ManagedHeapBytes);
public sealed record DiskInfo(string Path, long TotalBytes, long FreeBytes, bool IsLow);
/// <summary>How runs are isolated here (mirrors the sandbox's probe, in Core's words).</summary>
/// <param name="InstallNetwork">proxy (configured package indexes only), none, or host (unsafe).</param>
public sealed record SandboxModeInfo(string Mode, bool IsIsolated, string? Reason, string? BubblewrapVersion, string PythonVersion, string BasePythonPath, bool CgroupsAvailable,
    string InstallNetwork);

/// <summary>Sandboxes started ahead of runs: how many are ready, the memory they hold while idle, runs served warm and cold.</summary>
public sealed record WarmPoolInfo(bool Enabled, int Ready, long IdleMemoryBytes, long WarmRuns, long ColdRuns);

public sealed record SystemInfo(string AppVersion, string Runtime, string OperatingSystem, TimeSpan Uptime, CpuInfo Cpu, MemoryInfo Memory, DiskInfo Disk,
    int OpenCircuits, int RunningSandboxes, SandboxModeInfo Sandbox, WarmPoolInfo WarmPool);

/// <summary>The system page: CPU, memory, the data directory's disk, circuits, sandboxes. Admins only. Singleton (keeps the previous CPU sample).</summary>
public sealed class SystemInfoService(DataDirectory data, ActiveRuns activeRuns, OpenCircuitCounter circuits, ICodeRunner runner, IOptions<SystemOptions> options, TimeProvider clock)
{
    private readonly Lock sampleLock = new();
    private (long Busy, long Total)? previousMachine;
    private (TimeSpan Cpu, long Timestamp)? previousProcess;

    public static string AppVersion =>
        typeof(SystemInfoService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(SystemInfoService).Assembly.GetName().Version?.ToString() ?? "0";

    public SystemInfo Get(UserRef actor)
    {
        UserAdministrationService.RequireAdmin(actor);
        using var process = Process.GetCurrentProcess();
        var info = runner.Info;
        var pool = runner.WarmPool;
        return new SystemInfo(AppVersion, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            clock.GetUtcNow().UtcDateTime - process.StartTime.ToUniversalTime(),
            SampleCpu(process), ReadMemory(process), ReadDisk(), circuits.Count, activeRuns.LiveCount,
            new SandboxModeInfo(info.Mode, info.IsIsolated, info.Reason, info.BubblewrapVersion, info.PythonVersion, info.BasePythonPath, info.CgroupsAvailable, info.InstallNetwork),
            new WarmPoolInfo(pool.Enabled, pool.Ready, pool.IdleMemoryBytes, pool.WarmRuns, pool.ColdRuns));
    }

    /// <summary>Free space of the disk holding data/; low below the configured MB or percentage.</summary>
    public DiskInfo ReadDisk()
    {
        var drive = new DriveInfo(data.Root);
        var total = drive.TotalSize;
        var free = drive.AvailableFreeSpace;
        var low = free < options.Value.LowDiskWarningMb * 1024 * 1024 || (total > 0 && free * 100.0 / total < options.Value.LowDiskWarningPercent);
        return new DiskInfo(data.Root, total, free, low);
    }

    /// <summary>CPU use since the previous call (the page polls): the machine's from /proc/stat, this process's from its CPU time.</summary>
    private CpuInfo SampleCpu(Process process)
    {
        double? machine = null, own = null;
        var now = Stopwatch.GetTimestamp();
        var machineNow = ReadMachineCpu();
        lock (sampleLock)
        {
            if (machineNow is { } m && previousMachine is { } pm && m.Total > pm.Total)
                machine = Math.Round(100.0 * (m.Busy - pm.Busy) / (m.Total - pm.Total), 1);
            if (previousProcess is { } pp && now > pp.Timestamp)
                own = Math.Round(100.0 * (process.TotalProcessorTime - pp.Cpu).TotalSeconds / Stopwatch.GetElapsedTime(pp.Timestamp, now).TotalSeconds / Environment.ProcessorCount, 1);
            previousMachine = machineNow ?? previousMachine;
            previousProcess = (process.TotalProcessorTime, now);
        }
        var load = ReadLoadAverage();
        return new CpuInfo(Environment.ProcessorCount, machine, own, load?[0], load?[1], load?[2]);
    }

    private static (long Busy, long Total)? ReadMachineCpu()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var idle = values[3] + (values.Length > 4 ? values[4] : 0);
            var total = values.Sum();
            return (total - idle, total);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }

    private static double[]? ReadLoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static MemoryInfo ReadMemory(Process process)
    {
        long? total = null, available = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = KbOf(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) available = KbOf(line);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
        return new MemoryInfo(total, available, process.WorkingSet64, GC.GetTotalMemory(false));

        static long KbOf(string line) =>
            long.Parse(new string(line.Where(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture) * 1024;
    }
}
