using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>What the machine offers for isolation, found by trying it once at start-up.</summary>
public sealed record IsolationCapabilities(IsolationSettings Settings, string Mode, bool IsIsolated, string? Reason, string? BubblewrapVersion, bool CgroupsAvailable);

public static class IsolationProbe
{
    public static async Task<IsolationCapabilities> DetectAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        var isRoot = NativeMethods.geteuid() == 0;
        var setpriv = FindOnPath("setpriv");
        var prlimit = FindOnPath("prlimit");
        var bwrap = options.BubblewrapPath ?? FindOnPath("bwrap");
        string? reason = null;
        string? version = null;
        var useBubblewrap = false;
        var disableUserNamespaces = false;
        var seccomp = SeccompFilter.ForCurrentArchitecture();

        if (!options.UseBubblewrap) reason = "bubblewrap disabled by configuration (Sandbox:UseBubblewrap=false)";
        else if (bwrap is null) reason = "bwrap not found: install the Debian package 'bubblewrap'";
        else
        {
            try
            {
                version = (await CommandRunner.ExecuteBufferedAsync(new ProcessCommand(bwrap, ["--version"]), cancellationToken)).StandardOutput.Trim();
                // Probe exactly as runs will start: as nobody when we are root, without nested user namespaces, with the seccomp filter.
                var probe = await ProbeBubblewrapAsync(bwrap, isRoot ? setpriv : null, options, ["--disable-userns"], seccomp, cancellationToken);
                disableUserNamespaces = probe.Status.Succeeded;
                if (!probe.Status.Succeeded)
                {
                    var withoutHardening = await ProbeBubblewrapAsync(bwrap, isRoot ? setpriv : null, options, [], null, cancellationToken);
                    if (withoutHardening.Status.Succeeded)
                    {
                        seccomp = null;
                        reason = $"bwrap refuses --disable-userns or --seccomp (bubblewrap 0.8 or newer needed): {probe.StandardError.Trim()}";
                        probe = withoutHardening;
                    }
                }
                useBubblewrap = probe.Status.Succeeded;
                if (!useBubblewrap) reason = $"bwrap cannot create namespaces here: {probe.StandardError.Trim()}";
            }
            catch (CommandStartException exception)
            {
                reason = exception.Message;
            }
        }

        if (prlimit is null) reason = (reason is null ? "" : reason + "; ") + "prlimit (util-linux) not found: runs have no rlimits";
        var gnuTime = await FindGnuTimeAsync(cancellationToken);
        var settings = new IsolationSettings(useBubblewrap, useBubblewrap ? bwrap : null, prlimit, setpriv,
            DropToUnprivilegedUser: isRoot && setpriv is not null, options.SandboxUid, options.SandboxGid, options.AddressSpaceAllowanceMb, gnuTime)
        {
            SeccompProgram = useBubblewrap ? seccomp : null,
            DisableNestedUserNamespaces = useBubblewrap && disableUserNamespaces,
            SandboxUserName = isRoot ? NativeMethods.UserWithOnlyGroup(options.SandboxUid, options.SandboxGid) : null,
        };
        return new IsolationCapabilities(settings, useBubblewrap ? "bubblewrap" : "limits-only", useBubblewrap, reason, version, CgroupV2Delegated());
    }

    private static Task<BufferedCommandResult> ProbeBubblewrapAsync(string bwrap, string? setpriv, SandboxOptions options, string[] hardening, byte[]? seccomp, CancellationToken cancellationToken)
    {
        string[] arguments = ["--unshare-all", "--unshare-user", "--die-with-parent", .. hardening, "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", .. seccomp is null ? Array.Empty<string>() : ["--seccomp", InheritedFile.Placeholder], "--", "/usr/bin/true"];
        string[] argv = setpriv is not null
            ? [setpriv, $"--reuid={options.SandboxUid}", $"--regid={options.SandboxGid}", "--clear-groups", "--", bwrap, .. arguments]
            : [bwrap, .. arguments];
        var command = new ProcessCommand(argv[0], argv.Skip(1));
        if (seccomp is not null) command = command.WithInheritedFiles(new InheritedFile.Data(seccomp) { ArgumentIndex = Array.IndexOf(argv, InheritedFile.Placeholder) });
        return CommandRunner.ExecuteBufferedAsync(command, cancellationToken);
    }

    /// <summary>
    /// GNU time (Debian package 'time'), which reports the program's exact CPU and peak memory
    /// (<see cref="UsageReport"/>). Without it both come from polling /proc and can miss the last moments of a run.
    /// </summary>
    private static async Task<string?> FindGnuTimeAsync(CancellationToken cancellationToken)
    {
        var time = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
        if (time is null) return null;
        try
        {
            var version = await CommandRunner.ExecuteBufferedAsync(new ProcessCommand(time, ["--version"]), cancellationToken);
            return (version.StandardOutput + version.StandardError).Contains("GNU", StringComparison.Ordinal) ? time : null;
        }
        catch (CommandStartException)
        {
            return null;
        }
    }

    public static string? FindOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/bin", "/usr/sbin"]))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>True when a cgroup v2 hierarchy with memory and pids controllers is writable by us (reported to admins).</summary>
    private static bool CgroupV2Delegated()
    {
        const string controllers = "/sys/fs/cgroup/cgroup.controllers";
        try
        {
            if (!File.Exists(controllers)) return false;
            var available = File.ReadAllText(controllers).Split(' ', StringSplitOptions.TrimEntries);
            return available.Contains("memory") && available.Contains("pids") && NativeMethods.access("/sys/fs/cgroup", 2) == 0;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
