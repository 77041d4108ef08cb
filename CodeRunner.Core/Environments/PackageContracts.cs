using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Core.Environments;

/// <summary>A package installed in an environment.</summary>
public sealed record PackageInfo(string Name, string Version);

/// <summary>One line of a running environment operation's log (the tool's output, or our own step);
/// <paramref name="Notice"/> is the localizable form of a line we wrote ourselves (e.g. a refused connection).</summary>
public sealed record OperationLogLine(string Text, bool IsError = false, double? Progress = null, OperationNotice? Notice = null);

/// <summary>A localizable message: a resource key (OperationLog's "Notice_" + Key) and its arguments.</summary>
public sealed record OperationNotice(string Key, IReadOnlyList<string> Arguments);

/// <summary>Where pip and conda fetch packages from, as the admin edits it.</summary>
public sealed record PackageSourceSettings
{
    public string? PipIndexUrl { get; init; }
    public IReadOnlyList<string> PipExtraIndexUrls { get; init; } = [];
    /// <summary>Local wheelhouse directories (--find-links); with NoIndex, the only source (offline).</summary>
    public IReadOnlyList<string> FindLinks { get; init; } = [];
    public bool NoIndex { get; init; }
    public IReadOnlyList<string> CondaChannels { get; init; } = [];
}

/// <summary>Core's contracts from the sandbox's, at the one place they cross (Web sees only Core's).</summary>
internal static class PackageContractMapping
{
    public static PackageInfo ToCore(this InstalledPackage package) => new(package.Name, package.Version);

    public static OperationLogLine ToCore(this EnvironmentLogLine line) => new(line.Text, line.Kind == LogLevelKind.Error, line.Progress,
        line.Notice is { } notice ? new OperationNotice(notice.Key, notice.Arguments) : null);

    public static PackageSourceSettings ToCore(this PackageSources sources) => new()
    {
        PipIndexUrl = sources.PipIndexUrl,
        PipExtraIndexUrls = sources.PipExtraIndexUrls,
        FindLinks = sources.FindLinks,
        NoIndex = sources.NoIndex,
        CondaChannels = sources.CondaChannels,
    };
}
