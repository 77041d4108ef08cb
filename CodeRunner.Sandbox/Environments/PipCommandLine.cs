namespace CodeRunner.Sandbox.Environments;

/// <summary>Argument vectors for pip inside a venv. Pure, so the exact command lines are unit-tested.</summary>
public static class PipCommandLine
{
    public static IReadOnlyList<string> CreateVenv(string prefix) => ["-m", "venv", prefix];

    public static IReadOnlyList<string> Install(IReadOnlyList<string> specs, PackageSources sources, bool dryRun = false, bool upgrade = false) =>
    [
        "-m", "pip", "install", "--no-input", "--progress-bar", "off",
        .. dryRun ? new[] { "--dry-run" } : [],
        .. upgrade ? new[] { "--upgrade", "--upgrade-strategy", "only-if-needed" } : [],
        .. SourceArguments(sources),
        "--",
        .. specs,
    ];

    public static IReadOnlyList<string> Uninstall(IReadOnlyList<string> names) => ["-m", "pip", "uninstall", "--yes", "--", .. names];

    public static IReadOnlyList<string> List() => ["-m", "pip", "list", "--format", "json", "--disable-pip-version-check"];

    public static IReadOnlyList<string> Freeze() => ["-m", "pip", "freeze", "--all", "--disable-pip-version-check"];

    public static IReadOnlyList<string> SourceArguments(PackageSources sources)
    {
        var arguments = new List<string>();
        if (sources.NoIndex) arguments.Add("--no-index");
        else if (sources.PipIndexUrl is { } index) arguments.AddRange(["--index-url", index]);
        if (!sources.NoIndex) foreach (var extra in sources.PipExtraIndexUrls) arguments.AddRange(["--extra-index-url", extra]);
        foreach (var links in sources.FindLinks) arguments.AddRange(["--find-links", links]);
        // pip ignores a plain-http index unless it is trusted: the admin configured it, so it is (a LAN mirror usually is http).
        foreach (var host in arguments.Where(IsHttpUrl).Select(url => new Uri(url).Authority).Distinct(StringComparer.OrdinalIgnoreCase).ToList())
            arguments.AddRange(["--trusted-host", host]);
        return arguments;
    }

    private static bool IsHttpUrl(string value) => Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == "http";
}
