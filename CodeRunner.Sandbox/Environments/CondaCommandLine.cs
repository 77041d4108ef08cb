namespace CodeRunner.Sandbox.Environments;

/// <summary>Argument vectors for micromamba / mamba / conda (same verbs). Pure, so the exact command lines are unit-tested.</summary>
public static class CondaCommandLine
{
    public static IReadOnlyList<string> Create(string prefix, string pythonVersion, IReadOnlyList<string> packages, PackageSources sources) =>
        ["create", "-y", "-p", prefix, .. ChannelArguments(sources), $"python={pythonVersion}", .. packages];

    public static IReadOnlyList<string> CreateFromFile(string prefix, string specFile, PackageSources sources) =>
        ["env", "create", "-y", "-p", prefix, "-f", specFile, .. ChannelArguments(sources)];

    public static IReadOnlyList<string> Install(string prefix, IReadOnlyList<string> packages, PackageSources sources) =>
        ["install", "-y", "-p", prefix, .. ChannelArguments(sources), .. packages];

    public static IReadOnlyList<string> Uninstall(string prefix, IReadOnlyList<string> names) => ["remove", "-y", "-p", prefix, .. names];

    public static IReadOnlyList<string> Upgrade(string prefix, IReadOnlyList<string> names, PackageSources sources) =>
        ["update", "-y", "-p", prefix, .. ChannelArguments(sources), .. names];

    public static IReadOnlyList<string> List(string prefix) => ["list", "-p", prefix, "--json"];

    public static IReadOnlyList<string> Version() => ["--version"];

    /// <summary>Configured channels replace the user's .condarc channels entirely.</summary>
    public static IReadOnlyList<string> ChannelArguments(PackageSources sources) =>
        sources.CondaChannels.Count == 0 ? [] : ["--override-channels", .. sources.CondaChannels.SelectMany(channel => new[] { "-c", channel })];
}
