using System.Globalization;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// The exact CPU time and peak resident memory of the program, reported by GNU time running
/// inside the sandbox right above prlimit → interpreter.
/// Why a reporter at all: our own wait4 cannot see the program. bwrap's outer process exits as
/// soon as its pid-namespace init reports the exit code, without reaping that init, so the
/// program's rusage never reaches us; and the ru_maxrss we do get is the host's own resident
/// size, because posix_spawn starts the child with vfork (the host's address space) and the
/// kernel records the replaced address space's high-water mark at exec. GNU time forks the
/// program from its own small address space and waits for it, so its numbers are the program's.
/// The file lives in the work dir (hidden, never an artifact); a program can overwrite it, so
/// callers take the larger of it and what polling saw: a forged value can only make a run look worse.
/// </summary>
public static class UsageReport
{
    public const string FileName = ".coderunner-usage";
    private const string Marker = "coderunner-usage";
    private const long MaxFileBytes = 4096;

    /// <summary>GNU time arguments placed before prlimit (or the interpreter). Paths are relative to the work dir, the run's cwd.</summary>
    public static IReadOnlyList<string> TimeArguments(string timePath) =>
        [timePath, "--quiet", "--format", Marker + " %M %U %S", "--output", FileName];

    /// <summary>The program's usage from the report in <paramref name="workDirectory"/>, or null when there is none (killed tree, no GNU time).</summary>
    public static ResourceUsage? TryRead(string workDirectory)
    {
        var path = Path.Combine(workDirectory, FileName);
        try
        {
            // Written by code running as the sandbox user: never follow a link it may have put there.
            if (!NativeMethods.IsRegularFileNoFollow(path) || new FileInfo(path).Length > MaxFileBytes) return null;
            return Parse(File.ReadAllText(path));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ResourceUsage? Parse(string text)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 4 || fields[0] != Marker) continue;
            if (long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var maxRssKb) &&
                double.TryParse(fields[2], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var user) &&
                double.TryParse(fields[3], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var system))
                return new ResourceUsage(TimeSpan.FromSeconds(user), TimeSpan.FromSeconds(system), maxRssKb * 1024);
        }
        return null;
    }
}
