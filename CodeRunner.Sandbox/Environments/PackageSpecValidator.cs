using System.Text.RegularExpressions;

namespace CodeRunner.Sandbox.Environments;

/// <summary>
/// Checks every name and spec before any process starts. Specs are passed as argv entries
/// (never through a shell), but pip and conda would still read "-i URL" or "--index-url=" as
/// options and "../x" or "https://..." as sources, so only plain requirements pass.
/// </summary>
public static partial class PackageSpecValidator
{
    private const int MaxSpecLength = 200;

    public static string ValidateEnvironmentName(string? name)
    {
        if (name is null || !EnvironmentNamePattern().IsMatch(name)) throw new InvalidEnvironmentNameException(name ?? "");
        return name;
    }

    /// <summary>A requirement such as numpy, numpy==1.26.4, pandas>=2,&lt;3, requests[socks]~=2.31 or conda's numpy=1.26.</summary>
    public static string ValidatePackageSpec(string? spec)
    {
        var value = spec?.Trim() ?? "";
        if (value.Length == 0) throw new InvalidPackageSpecException(value, "empty");
        if (value.Length > MaxSpecLength) throw new InvalidPackageSpecException(value, $"longer than {MaxSpecLength} characters");
        if (value.StartsWith('-')) throw new InvalidPackageSpecException(value, "options are not allowed");
        if (value.Contains("://", StringComparison.Ordinal) || value.Contains('@')) throw new InvalidPackageSpecException(value, "URLs are not allowed");
        if (value.Contains('/') || value.Contains('\\') || value.Contains("..", StringComparison.Ordinal)) throw new InvalidPackageSpecException(value, "paths are not allowed");
        if (!PackageSpecPattern().IsMatch(value)) throw new InvalidPackageSpecException(value, "expected a package name with an optional version, e.g. numpy==1.26.4");
        return value;
    }

    /// <summary>A bare distribution name (for uninstall and upgrade).</summary>
    public static string ValidatePackageName(string? name)
    {
        var value = name?.Trim() ?? "";
        if (!PackageNamePattern().IsMatch(value)) throw new InvalidPackageSpecException(value, "expected a package name, e.g. numpy");
        return value;
    }

    public static string ValidatePythonVersion(string? version)
    {
        if (version is null || !PythonVersionPattern().IsMatch(version)) throw new InvalidPythonVersionException(version ?? "");
        return version;
    }

    public static IReadOnlyList<string> ValidatePackageSpecs(IEnumerable<string> specs) => specs.Select(ValidatePackageSpec).ToList();

    /// <summary>Requirement lines of a requirements.txt: comments and blank lines dropped, every other line validated.</summary>
    public static IReadOnlyList<string> ValidateRequirementsFile(string content) =>
        content.Split('\n').Select(line => line.Split('#')[0].Trim()).Where(line => line.Length > 0).Select(ValidatePackageSpec).ToList();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_-]{1,47}$")]
    private static partial Regex EnvironmentNamePattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")]
    private static partial Regex PackageNamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*\])?( ?(===|==|>=|<=|!=|~=|=|>|<) ?[A-Za-z0-9.*+!_-]+( ?, ?(===|==|>=|<=|!=|~=|>|<) ?[A-Za-z0-9.*+!_-]+)*)?$")]
    private static partial Regex PackageSpecPattern();

    [GeneratedRegex(@"^[0-9]{1,2}(\.[0-9]{1,3}){0,2}$")]
    private static partial Regex PythonVersionPattern();
}
