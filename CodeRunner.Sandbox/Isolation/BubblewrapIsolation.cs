using System.Globalization;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// Builds the argument vector of a sandboxed process. Pure functions, so the exact command line
/// is unit-tested. Layering, outermost first:
/// setpriv (only when the host runs as root: RLIMIT_NPROC is ignored for uid 0, so the run
/// drops to nobody; not an exec of its own when .NET can start the child as that user, see
/// <see cref="IsolationSettings.SandboxUserName"/>) → bwrap (all namespaces unshared, no nested user namespaces, seccomp,
/// read-only system dirs) → GNU time (when installed: reports the program's exact CPU and peak
/// memory, see <see cref="UsageReport"/>) → prlimit (rlimits) → interpreter.
/// </summary>
public static class BubblewrapIsolation
{
    /// <summary>Where the run's work dir appears inside the sandbox (its cwd and HOME).</summary>
    public const string SandboxWorkDirectory = "/sandbox";

    private static readonly string[] SystemDirectories = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"];

    /// <summary>The minimal /etc: dynamic linker cache, Debian alternatives (libblas), time zone, fonts, matplotlibrc (runs bind <see cref="SandboxEtc"/>'s copy).</summary>
    public static IReadOnlyList<string> EtcFiles { get; } =
    [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
        "/etc/fonts", "/etc/matplotlibrc", "/etc/mime.types", "/etc/python3", "/etc/python3.11", "/etc/python3.12", "/etc/python3.13",
    ];

    /// <summary>Name resolution and CA certificates, for package tools that may use the network.</summary>
    private static readonly string[] NetworkEtcFiles = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates", "/etc/pki"];

    /// <summary>CA certificates only: behind the install proxy the tool resolves no names itself.</summary>
    private static readonly string[] CertificateEtcFiles = ["/etc/ssl", "/etc/ca-certificates", "/etc/pki"];

    public static SandboxCommandLine BuildCommandLine(SandboxLaunch launch, IsolationSettings settings)
    {
        var arguments = new List<string>();
        var files = new List<InheritedFile>();
        // Only under bwrap, which sets the program's cwd itself (--chdir): .NET changes to the start directory after
        // dropping to the user, and the sandbox user cannot enter a run's host directories (0700 file system, data dir).
        var userName = settings.DropToUnprivilegedUser && settings.UseBubblewrap && settings.BubblewrapPath is not null ? settings.SandboxUserName : null;
        if (settings.DropToUnprivilegedUser && userName is null && settings.SetprivPath is not null) arguments.AddRange(SetprivArguments(settings));
        if (settings.UseBubblewrap && settings.BubblewrapPath is not null)
        {
            arguments.Add(settings.BubblewrapPath);
            arguments.AddRange(BubblewrapArguments(launch, settings));
            if (settings.SeccompProgram is { } seccomp)
            {
                arguments.AddRange(["--seccomp", InheritedFile.Placeholder]);
                files.Add(new InheritedFile.Data(seccomp) { ArgumentIndex = arguments.Count - 1 });
            }
            arguments.Add("--");
        }
        if (settings.GnuTimePath is not null && launch.ReportUsage) arguments.AddRange(UsageReport.TimeArguments(settings.GnuTimePath));
        if (settings.PrlimitPath is not null)
        {
            arguments.Add(settings.PrlimitPath);
            arguments.AddRange(ResourceLimits.PrlimitArguments(launch.Limits, settings.AddressSpaceAllowanceMb));
        }
        arguments.Add(launch.InterpreterPath);
        arguments.AddRange(launch.ProgramArguments);
        return new SandboxCommandLine(arguments, files, userName);
    }

    /// <summary>The argument vector alone (for tests and diagnostics).</summary>
    public static IReadOnlyList<string> BuildArguments(SandboxLaunch launch, IsolationSettings settings) => BuildCommandLine(launch, settings).Arguments;

    public static IReadOnlyList<string> BubblewrapArguments(SandboxLaunch launch, IsolationSettings? settings = null)
    {
        var arguments = new List<string>
        {
            "--unshare-all",          // user, pid, net (loopback only), ipc, uts, cgroup namespaces
            "--unshare-user",         // explicit: --disable-userns needs it
            "--die-with-parent",
            "--new-session",          // no TIOCSTI into a terminal
            "--hostname", "sandbox",
        };
        if (settings?.DisableNestedUserNamespaces == true) arguments.Add("--disable-userns");
        foreach (var directory in SystemDirectories)
        {
            var info = new FileInfo(directory);
            if (info.LinkTarget is { } target) arguments.AddRange(["--symlink", target, directory]);
            else if (Directory.Exists(directory)) arguments.AddRange(["--ro-bind", directory, directory]);
        }
        string Source(string path) => settings?.SourceOf(path) ?? path;
        // One read-only mount for all of /etc when nothing else goes under it (a run); a package tool with network access binds more there.
        if (settings?.EtcCopy is { } etc && !launch.ShareNetwork && launch.ProxyDirectory is null) arguments.AddRange(["--ro-bind", Source(etc), "/etc"]);
        else foreach (var path in EtcFiles) arguments.AddRange(["--ro-bind-try", path, path]);
        arguments.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        if (launch.Scratch is { } scratch)
            arguments.AddRange(["--bind", Source(scratch.Tmp), "/tmp", "--bind", Source(scratch.Shm), "/dev/shm"]);
        else
        {
            // Without a per-run file system (not root): each tmpfs is at least capped, instead of half the host's RAM.
            var size = launch.Limits.DiskQuotaBytes.ToString(CultureInfo.InvariantCulture);
            arguments.AddRange(["--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]);
        }
        if (launch.HostWorkDirectory is { } work) arguments.AddRange(["--bind", Source(work), SandboxWorkDirectory]);
        else arguments.AddRange(["--size", launch.Limits.DiskQuotaBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", SandboxWorkDirectory]);
        arguments.AddRange(["--chdir", SandboxWorkDirectory]);
        if (launch.ShareNetwork)
        {
            arguments.Add("--share-net");
            foreach (var path in NetworkEtcFiles) arguments.AddRange(["--ro-bind-try", path, path]);
        }
        else if (launch.ProxyDirectory is { } proxy)
        {
            arguments.AddRange(["--ro-bind", proxy, InstallNetworkProxy.SandboxDirectory]);
            foreach (var path in CertificateEtcFiles) arguments.AddRange(["--ro-bind-try", path, path]);
        }
        // After the tmpfs mounts, so a prefix under /tmp is not hidden by the fresh /tmp.
        foreach (var prefix in launch.ReadOnlyPrefixes.Where(p => !IsUnderSystemDirectory(p)).Distinct())
            arguments.AddRange(["--ro-bind", Source(prefix), prefix]);
        foreach (var path in launch.WritablePaths.Distinct())
            arguments.AddRange(["--bind", Source(path), path]);
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
