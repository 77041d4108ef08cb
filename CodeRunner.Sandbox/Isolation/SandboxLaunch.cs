using CodeRunner.Sandbox.Execution;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>Everything needed to build the command line of one sandboxed process (a run or a package tool).</summary>
/// <param name="HostWorkDirectory">Bound read-write at /sandbox, the cwd and HOME; null = a size-limited tmpfs there (package tools).</param>
/// <param name="ReadOnlyPrefixes">Bound read-only at the same path (the environment, a local wheelhouse).</param>
public sealed record SandboxLaunch(
    string? HostWorkDirectory,
    string InterpreterPath,
    IReadOnlyList<string> ReadOnlyPrefixes,
    RunLimits Limits,
    IReadOnlyList<string> ProgramArguments)
{
    /// <summary>Bound read-write at the same path: only a package tool's environment prefix (and its package cache).</summary>
    public IReadOnlyList<string> WritablePaths { get; init; } = [];
    /// <summary>Host dirs (on the run's size-limited tmpfs) that become /tmp and /dev/shm; null = bwrap's own size-limited tmpfs for each.</summary>
    public ScratchDirectories? Scratch { get; init; }
    /// <summary>Report CPU and peak memory with GNU time (runs); package tools skip it.</summary>
    public bool ReportUsage { get; init; } = true;
    /// <summary>Keep the host's network namespace (package tools, only when configured: the host's loopback is reachable then).</summary>
    public bool ShareNetwork { get; init; }
    /// <summary>The install proxy's host directory (socket + forwarder), bound read-only at <see cref="InstallNetworkProxy.SandboxDirectory"/>; the sandbox keeps its own network.</summary>
    public string? ProxyDirectory { get; init; }
}

/// <summary>/tmp and /dev/shm of a run, both on the run's one quota-limited file system.</summary>
public sealed record ScratchDirectories(string Tmp, string Shm);

/// <summary>How this machine isolates runs, decided once at start-up.</summary>
public sealed record IsolationSettings(
    bool UseBubblewrap,
    string? BubblewrapPath,
    string? PrlimitPath,
    string? SetprivPath,
    bool DropToUnprivilegedUser,
    int SandboxUid,
    int SandboxGid,
    int AddressSpaceAllowanceMb,
    string? GnuTimePath = null)
{
    /// <summary>Seccomp program handed to bwrap (--seccomp); null where this architecture has no table.</summary>
    public byte[]? SeccompProgram { get; init; }
    /// <summary>Where bwrap finds bind sources the sandbox user could not reach (a 0700 data dir); null = the paths themselves.</summary>
    public SandboxPathView? PathView { get; init; }

    /// <summary>The path bwrap binds from for <paramref name="hostPath"/> (inside the sandbox it keeps its own path).</summary>
    public string SourceOf(string hostPath) => PathView?.SourceOf(hostPath) ?? hostPath;

    /// <summary>
    /// The sandbox user's name when it has exactly the sandbox uid, gid and no other group: then the child is started as
    /// that user by .NET itself (setgroups([gid]), setgid, setuid between vfork and exec) instead of through setpriv, one
    /// exec less per start. Null = setpriv (uid without a passwd entry, another primary group, or extra groups).
    /// </summary>
    public string? SandboxUserName { get; init; }

    /// <summary>The copy of the sandbox's /etc that runs bind as one mount (see <see cref="SandboxEtc"/>); null = each entry bound on its own.</summary>
    public string? EtcCopy { get; init; }

    /// <summary>bwrap --disable-userns (bwrap 0.8+): no nested user namespaces.</summary>
    public bool DisableNestedUserNamespaces { get; init; }

    /// <summary>
    /// The process ids, inside the run's pid namespace, of the wrappers above the program: bwrap's
    /// init (1) and GNU time (2), which are never measured. Everything else in the namespace is the program's, orphans included.
    /// </summary>
    public int WrapperPidsInNamespace => GnuTimePath is not null ? 2 : 1;
}

/// <summary>A full command line plus the descriptors it hands over (each names the argument that receives its number).</summary>
/// <param name="UserName">Start the command as this user (see <see cref="IsolationSettings.SandboxUserName"/>); null = as we are.</param>
public sealed record SandboxCommandLine(IReadOnlyList<string> Arguments, IReadOnlyList<InheritedFile> Files, string? UserName = null)
{
    /// <summary>
    /// The command to start: program, arguments, inherited files and the user to run as; <paramref name="hostWorkingDirectory"/>
    /// is where it starts, except as the sandbox user (bwrap then starts in / and changes into the sandbox's own directory itself).
    /// </summary>
    public ProcessCommand ToProcessCommand(string? hostWorkingDirectory = null) =>
        new ProcessCommand(Arguments[0], Arguments.Skip(1)).WithInheritedFiles(Files).WithUserName(UserName)
            .WithWorkingDirectory(UserName is null ? hostWorkingDirectory : "/");
}
