using System.Text.Json;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Environments;

/// <summary>
/// Lists an environment's packages by reading metadata files, never by running its python (a
/// package's .pth file would execute on the host): Name/Version of every
/// lib/python*/site-packages/*.dist-info/METADATA and, for conda, conda-meta/*.json. Files are read
/// without following links and only up to a size cap; the prefix is written by sandboxed tools.
/// </summary>
public static class InstalledPackageReader
{
    private const int MaxMetadataBytes = 64 * 1024;
    private const int MaxPackages = 5000;

    public static IReadOnlyList<InstalledPackage> Read(string prefix)
    {
        var packages = new Dictionary<string, InstalledPackage>(StringComparer.OrdinalIgnoreCase);
        var condaMeta = Path.Combine(prefix, "conda-meta");
        if (IsRealDirectory(condaMeta))
            foreach (var file in SafeEnumerate(condaMeta, "*.json").Take(MaxPackages))
                if (ReadCapped(file) is { } json && ParseCondaRecord(json) is { } package) packages[Normalize(package.Name)] = package;
        foreach (var sitePackages in SitePackagesDirectories(prefix))
            foreach (var distInfo in SafeEnumerateDirectories(sitePackages, "*.dist-info").Take(MaxPackages))
                if (ReadCapped(Path.Combine(distInfo, "METADATA")) is { } metadata && ParseMetadata(metadata) is { } package)
                    packages.TryAdd(Normalize(package.Name), package);
        return packages.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The Name and Version headers of a core metadata file (RFC 822 style, headers end at the first blank line).</summary>
    public static InstalledPackage? ParseMetadata(string text)
    {
        string? name = null, version = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.Trim().Length == 0) break;
            if (line.StartsWith("Name:", StringComparison.OrdinalIgnoreCase)) name ??= line[5..].Trim();
            else if (line.StartsWith("Version:", StringComparison.OrdinalIgnoreCase)) version ??= line[8..].Trim();
        }
        return string.IsNullOrEmpty(name) || string.IsNullOrEmpty(version) ? null : new InstalledPackage(name, version);
    }

    private static InstalledPackage? ParseCondaRecord(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.TryGetProperty("name", out var name) && root.TryGetProperty("version", out var version) &&
                   name.ValueKind == JsonValueKind.String && version.ValueKind == JsonValueKind.String
                ? new InstalledPackage(name.GetString()!, version.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IEnumerable<string> SitePackagesDirectories(string prefix)
    {
        foreach (var lib in new[] { "lib", "lib64" }.Select(name => Path.Combine(prefix, name)).Where(IsRealDirectory))
            foreach (var python in SafeEnumerateDirectories(lib, "python*"))
            {
                var sitePackages = Path.Combine(python, "site-packages");
                if (IsRealDirectory(sitePackages)) yield return sitePackages;
            }
    }

    private static string? ReadCapped(string path)
    {
        if (!NativeMethods.IsRegularFileNoFollow(path)) return null;
        var fd = NativeMethods.open(path, NativeMethods.O_RDONLY | NativeMethods.O_NOFOLLOW | NativeMethods.O_NONBLOCK | NativeMethods.O_CLOEXEC, 0);
        if (fd < 0) return null;
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        var buffer = new byte[MaxMetadataBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0) total += read;
        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static bool IsRealDirectory(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            return info.Exists && info.LinkTarget is null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<string> SafeEnumerate(string directory, string pattern)
    {
        try { return Directory.EnumerateFiles(directory, pattern).ToList(); }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException) { return []; }
    }

    private static IEnumerable<string> SafeEnumerateDirectories(string directory, string pattern)
    {
        try { return Directory.EnumerateDirectories(directory, pattern).Where(IsRealDirectory).ToList(); }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException) { return []; }
    }

    private static string Normalize(string name) => name.Replace('_', '-').Replace('.', '-').ToLowerInvariant();
}
