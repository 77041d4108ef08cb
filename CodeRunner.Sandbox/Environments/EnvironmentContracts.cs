namespace CodeRunner.Sandbox.Environments;

public sealed record EnvironmentCreateSpec(string Name, string PythonVersion, IReadOnlyList<string> InitialPackages, string? SpecFileContent = null, string? SpecFileName = null);

public sealed record InstalledPackage(string Name, string Version);

public enum LogLevelKind { Info, Error }
/// <summary>A log line; <paramref name="Notice"/>, when set, is what the UI shows instead of <paramref name="Text"/>, in the reader's language.</summary>
public sealed record EnvironmentLogLine(string Text, LogLevelKind Kind = LogLevelKind.Info, double? Progress = null, EnvironmentNotice? Notice = null)
{
    /// <summary>A destination the install proxy refused: English text for logs and the API, a notice for the UI.</summary>
    public static EnvironmentLogLine NetworkRefused(Isolation.InstallNetworkRefusal refusal) =>
        new("network refused: " + refusal.Describe(), LogLevelKind.Error, Notice: new EnvironmentNotice("InstallNetworkRefused_" + refusal.Reason, [refusal.Destination]));
}

/// <summary>A localizable message: a resource key (OperationLog's "Notice_" + Key) and its arguments.</summary>
public sealed record EnvironmentNotice(string Key, IReadOnlyList<string> Arguments);

/// <summary>Where packages come from; teams in China usually point these at a mirror or a local wheelhouse.</summary>
public sealed record PackageSources
{
    public string? PipIndexUrl { get; init; }
    public IReadOnlyList<string> PipExtraIndexUrls { get; init; } = [];
    /// <summary>Local wheelhouse directories (--find-links); with NoIndex, the only source (offline).</summary>
    public IReadOnlyList<string> FindLinks { get; init; } = [];
    public bool NoIndex { get; init; }
    public IReadOnlyList<string> CondaChannels { get; init; } = [];
}

public sealed record EnvironmentBackendInfo(string Kind, string ToolPath, string Version, string EnvironmentsRoot);

/// <summary>Creates and changes Python environments under data/envs. Every long operation streams its log and honours cancellation.</summary>
public interface IEnvironmentManager
{
    EnvironmentBackendInfo Backend { get; }
    /// <summary>Prefix directory of a named environment (data/envs/name).</summary>
    string GetPrefix(string name);
    /// <summary>Real interpreter file of a named environment.</summary>
    string GetInterpreterPath(string name);
    bool Exists(string name);
    IAsyncEnumerable<EnvironmentLogLine> CreateAsync(EnvironmentCreateSpec spec, PackageSources sources, CancellationToken cancellationToken);
    Task<IReadOnlyList<InstalledPackage>> ListPackagesAsync(string name, CancellationToken cancellationToken);
    IAsyncEnumerable<EnvironmentLogLine> InstallAsync(string name, IReadOnlyList<string> packageSpecs, PackageSources sources, CancellationToken cancellationToken);
    IAsyncEnumerable<EnvironmentLogLine> UninstallAsync(string name, IReadOnlyList<string> packageNames, CancellationToken cancellationToken);
    IAsyncEnumerable<EnvironmentLogLine> UpgradeAsync(string name, IReadOnlyList<string> packageNames, PackageSources sources, CancellationToken cancellationToken);
    Task RemoveAsync(string name, CancellationToken cancellationToken);
    Task<long> GetDiskSizeBytesAsync(string name, CancellationToken cancellationToken);
}
