using CodeRunner.Sandbox.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace CodeRunner.Sandbox.Execution;

/// <summary>
/// Copies the regular files a program left in its work dir to a kept artifacts dir. Never
/// follows symlinks (a link to /etc/passwd or the database stays a dangling name), skips
/// hidden files (matplotlib's caches) and the program itself, and stops at the caps. Copies are
/// new files of mode 0644 (never the sandbox's setuid or world-writable bits), and a name that
/// cannot be copied (not UTF-8, vanished) is skipped without losing the others.
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

    private const UnixFileMode ArtifactMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static IReadOnlyList<RunArtifact> Collect(string workDirectory, string artifactDirectory, int maxFiles, long maxBytes, ISet<string> excludedNames, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var artifacts = new List<RunArtifact>();
        long totalBytes = 0;
        foreach (var (file, relative) in RegularFiles(workDirectory, "", 0, excludedNames))
        {
            if (artifacts.Count >= maxFiles) break;
            try
            {
                if (totalBytes + file.Length > maxBytes) continue;
                var target = Path.Combine(artifactDirectory, relative);
                var copied = CopyNormalized(file.FullName, target, maxBytes - totalBytes);
                totalBytes += copied;
                artifacts.Add(new RunArtifact(relative, copied, target, ContentTypeOf(file.Name)));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                logger.LogInformation(exception, "Artifact {Name} skipped", relative);
            }
        }
        return artifacts;
    }

    /// <summary>Copies at most <paramref name="maxBytes"/> from a file opened without following links into a new 0644 file.</summary>
    private static long CopyNormalized(string source, string target, long maxBytes)
    {
        var fd = NativeMethods.open(source, NativeMethods.O_RDONLY | NativeMethods.O_NOFOLLOW | NativeMethods.O_NONBLOCK | NativeMethods.O_CLOEXEC, 0);
        if (fd < 0) throw new IOException($"cannot open artifact {source}");
        using var input = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = ArtifactMode;
        using var output = new FileStream(target, create);
        var buffer = new byte[81920];
        long copied = 0;
        int read;
        while (copied < maxBytes && (read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, maxBytes - copied))) > 0)
        {
            output.Write(buffer, 0, read);
            copied += read;
        }
        return copied;
    }

    private static IEnumerable<(FileInfo File, string Relative)> RegularFiles(string directory, string relative, int depth, ISet<string> excludedNames)
    {
        // The overload without options lists every entry, hidden ones included; we filter ourselves.
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            // LinkTarget is non-null for every symlink (lstat based): never follow one.
            // Names first: the usual run leaves only main.py and hidden files, and then costs no further syscall.
            var entryRelative = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            // A name that is not valid UTF-8 decodes with U+FFFD and can no longer be opened by that string: skip it.
            if (entry.Name.StartsWith('.') || entry.Name.Contains('\uFFFD') || excludedNames.Contains(entryRelative) || IsLink(entry)) continue;
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

    private static bool IsLink(FileSystemInfo entry)
    {
        try { return entry.LinkTarget is not null; }
        catch (IOException) { return true; }
    }

    // Fifos, sockets and device nodes are not artifacts; opening a fifo would even block.
    private static bool IsRegularFile(FileInfo file) => Processes.NativeMethods.IsRegularFileNoFollow(file.FullName);
}
