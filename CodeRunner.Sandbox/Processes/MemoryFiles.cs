using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// Constant data a child opens by path (bwrap's seccomp program): one close-on-exec memfd per distinct
/// content, created on first use and kept for the life of this process, opened by children as /proc/&lt;our pid&gt;/fd/N.
/// </summary>
internal static class MemoryFiles
{
    private static readonly ConcurrentDictionary<string, string> PathsByHash = new(StringComparer.Ordinal);

    public static string PathOf(byte[] content) =>
        PathsByHash.GetOrAdd(Convert.ToHexString(SHA256.HashData(content)),
            _ => $"/proc/{Environment.ProcessId}/fd/{NativeMethods.MemoryFile("coderunner", content)}");
}
