using CodeRunner.Sandbox.Execution;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>Everything needed to build the command line of one run.</summary>
public sealed record SandboxLaunch(
    string HostWorkDirectory,
    string InterpreterPath,
    IReadOnlyList<string> ReadOnlyPrefixes,
    RunLimits Limits,
    IReadOnlyList<string> ProgramArguments);

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
    /// <summary>
    /// How many wrapper processes sit above the program in the tree we spawn: bwrap's outer
    /// process and its pid-namespace init, then GNU time (setpriv and prlimit exec away).
    /// Memory and CPU are the program's: processes this shallow are never counted.
    /// </summary>
    public int WrapperDepth => (UseBubblewrap && BubblewrapPath is not null ? 2 : 0) + (GnuTimePath is not null ? 1 : 0);
}
