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
    int AddressSpaceAllowanceMb);
