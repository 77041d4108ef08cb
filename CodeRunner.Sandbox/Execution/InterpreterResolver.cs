using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Execution;

/// <summary>A Python interpreter resolved to its real file (never a version-manager shim).</summary>
public sealed record ResolvedInterpreter(string Path, string Version);

public static class InterpreterResolver
{
    /// <summary>Configured path, else /usr/bin/python3 when it exists, else python3 on PATH.</summary>
    public static string DefaultCandidate(string? configured) =>
        !string.IsNullOrWhiteSpace(configured) ? configured
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3"
        : "python3";

    /// <summary>Asks the candidate for sys.executable (a pyenv shim answers with the real python) and follows symlinks.</summary>
    public static async Task<ResolvedInterpreter> ResolveAsync(string candidate, CancellationToken cancellationToken = default)
    {
        var probe = await CommandRunner.ExecuteBufferedAsync(
            new ProcessCommand(candidate, ["-c", "import sys;print(sys.executable);print('%d.%d.%d' % sys.version_info[:3])"]), cancellationToken);
        var lines = probe.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!probe.Status.Succeeded || lines.Length < 2)
            throw new InvalidOperationException($"'{candidate}' is not a working Python interpreter: {probe.StandardError.Trim()}");
        return new ResolvedInterpreter(RealPath(lines[0]), lines[1]);
    }

    public static string RealPath(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
    }
}
