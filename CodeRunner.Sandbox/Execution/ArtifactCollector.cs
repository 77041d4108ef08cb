namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// Copies the regular files a program left in its work dir to a kept artifacts dir. Never
/// follows symlinks (a link to /etc/passwd or the database stays a dangling name), skips
/// hidden files (matplotlib's caches) and the program itself, and stops at the caps.
/// </summary>
public static class ArtifactCollector
{
    private const int MaxDepth = 4;

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif",
        [".svg"] = "image/svg+xml", [".webp"] = "image/webp", [".bmp"] = "image/bmp", [".pdf"] = "application/pdf",
        [".csv"] = "text/csv", [".txt"] = "text/plain", [".log"] = "text/plain", [".md"] = "text/markdown",
        [".json"] = "application/json", [".html"] = "text/html", [".xml"] = "application/xml",
        [".py"] = "text/x-python", [".zip"] = "application/zip",
    };

    public static string ContentTypeOf(string fileName) =>
        ContentTypes.TryGetValue(Path.GetExtension(fileName), out var type) ? type : "application/octet-stream";

    public static IReadOnlyList<RunArtifact> Collect(string workDirectory, string artifactDirectory, int maxFiles, long maxBytes, ISet<string> excludedNames)
    {
        var artifacts = new List<RunArtifact>();
        long totalBytes = 0;
        foreach (var (file, relative) in RegularFiles(workDirectory, "", 0, excludedNames))
        {
            if (artifacts.Count >= maxFiles) break;
            if (totalBytes + file.Length > maxBytes) continue;
            var target = Path.Combine(artifactDirectory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            file.CopyTo(target, overwrite: false);
            totalBytes += file.Length;
            artifacts.Add(new RunArtifact(relative, file.Length, target, ContentTypeOf(file.Name)));
        }
        return artifacts;
    }

    private static IEnumerable<(FileInfo File, string Relative)> RegularFiles(string directory, string relative, int depth, ISet<string> excludedNames)
    {
        // The overload without options lists every entry, hidden ones included; we filter ourselves.
        var entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            // LinkTarget is non-null for every symlink (lstat based): never follow one.
            // Names first: the usual run leaves only main.py and hidden files, and then costs no further syscall.
            var entryRelative = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry.Name.StartsWith('.') || excludedNames.Contains(entryRelative) || entry.LinkTarget is not null) continue;
            if (entry is DirectoryInfo && depth < MaxDepth)
            {
                foreach (var nested in RegularFiles(entry.FullName, entryRelative, depth + 1, excludedNames)) yield return nested;
            }
            else if (entry is FileInfo file && IsRegularFile(file))
            {
                yield return (file, entryRelative);
            }
        }
    }

    // Fifos, sockets and device nodes are not artifacts; opening a fifo would even block.
    private static bool IsRegularFile(FileInfo file) => Processes.NativeMethods.IsRegularFileNoFollow(file.FullName);
}
