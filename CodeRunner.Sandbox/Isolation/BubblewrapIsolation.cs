namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// Builds the argument vector of a sandboxed run. Pure functions, so the exact command line
/// is unit-tested. Layering, outermost first:
/// setpriv (only when the host runs as root: RLIMIT_NPROC is ignored for uid 0, so the run
/// drops to nobody) → bwrap (all namespaces unshared, read-only system dirs) → GNU time
/// (when installed: reports the program's exact CPU and peak memory, see <see cref="UsageReport"/>)
/// → prlimit (rlimits) → interpreter.
/// </summary>
public static class BubblewrapIsolation
{
    /// <summary>Where the run's work dir appears inside the sandbox (its cwd and HOME).</summary>
    public const string SandboxWorkDirectory = "/sandbox";

    private static readonly string[] SystemDirectories = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"];

    /// <summary>The minimal /etc: dynamic linker cache, Debian alternatives (libblas), time zone, fonts, matplotlibrc.</summary>
    private static readonly string[] EtcFiles =
    [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
        "/etc/fonts", "/etc/matplotlibrc", "/etc/mime.types", "/etc/python3", "/etc/python3.11", "/etc/python3.12", "/etc/python3.13",
    ];

    public static IReadOnlyList<string> BuildArguments(SandboxLaunch launch, IsolationSettings settings)
    {
        var arguments = new List<string>();
        if (settings.DropToUnprivilegedUser && settings.SetprivPath is not null) arguments.AddRange(SetprivArguments(settings));
        if (settings.UseBubblewrap && settings.BubblewrapPath is not null)
        {
            arguments.Add(settings.BubblewrapPath);
            arguments.AddRange(BubblewrapArguments(launch));
            arguments.Add("--");
        }
        if (settings.GnuTimePath is not null) arguments.AddRange(UsageReport.TimeArguments(settings.GnuTimePath));
        if (settings.PrlimitPath is not null)
        {
            arguments.Add(settings.PrlimitPath);
            arguments.AddRange(ResourceLimits.PrlimitArguments(launch.Limits, settings.AddressSpaceAllowanceMb));
        }
        arguments.Add(launch.InterpreterPath);
        arguments.AddRange(launch.ProgramArguments);
        return arguments;
    }

    public static IReadOnlyList<string> BubblewrapArguments(SandboxLaunch launch)
    {
        var arguments = new List<string>
        {
            "--unshare-all",          // user, pid, net (loopback only), ipc, uts, cgroup namespaces
            "--die-with-parent",
            "--new-session",          // no TIOCSTI into a terminal
            "--hostname", "sandbox",
        };
        foreach (var directory in SystemDirectories)
        {
            var info = new FileInfo(directory);
            if (info.LinkTarget is { } target) arguments.AddRange(["--symlink", target, directory]);
            else if (Directory.Exists(directory)) arguments.AddRange(["--ro-bind", directory, directory]);
        }
        foreach (var path in EtcFiles) arguments.AddRange(["--ro-bind-try", path, path]);
        arguments.AddRange(
        [
            "--proc", "/proc",
            "--dev", "/dev",
            "--tmpfs", "/tmp",
            "--tmpfs", "/dev/shm",
            "--bind", launch.HostWorkDirectory, SandboxWorkDirectory,
            "--chdir", SandboxWorkDirectory,
        ]);
        // After the tmpfs mounts, so a prefix under /tmp is not hidden by the fresh /tmp.
        foreach (var prefix in launch.ReadOnlyPrefixes.Where(p => !IsUnderSystemDirectory(p)).Distinct())
            arguments.AddRange(["--ro-bind", prefix, prefix]);
        return arguments;
    }

    public static IReadOnlyList<string> SetprivArguments(IsolationSettings settings) =>
    [
        settings.SetprivPath!,
        $"--reuid={settings.SandboxUid}",
        $"--regid={settings.SandboxGid}",
        "--clear-groups",
        "--",
    ];

    private static bool IsUnderSystemDirectory(string path) =>
        SystemDirectories.Any(d => path == d || path.StartsWith(d + "/", StringComparison.Ordinal));
}
