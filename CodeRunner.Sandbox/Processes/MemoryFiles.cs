using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CodeRunner.Sandbox.Processes;

/// <summary>
/// Constant data handed to children (bwrap's seccomp program): one close-on-exec memfd per distinct content, sealed
/// against any change (write, grow, shrink, new seals), created on first use and kept for the life of this process.
/// Each start gets its own read-only descriptor of it (<see cref="OpenReadOnly"/>): bwrap read()s the program to the end,
/// so a shared file offset would let two concurrent starts read each other's halves.
/// </summary>
internal static class MemoryFiles
{
    private static readonly ConcurrentDictionary<string, int> DescriptorsByHash = new(StringComparer.Ordinal);

    /// <summary>A new open file description (offset 0, read-only, inheritable) of the sealed memfd holding <paramref name="content"/>.</summary>
    public static int OpenReadOnly(byte[] content)
    {
        var memfd = DescriptorsByHash.GetOrAdd(Convert.ToHexString(SHA256.HashData(content)), _ => NativeMethods.SealedMemoryFile("coderunner", content));
        var fd = NativeMethods.open($"/proc/self/fd/{memfd}", NativeMethods.O_RDONLY, 0);
        return fd >= 0 ? fd : throw new IOException($"cannot reopen memfd {memfd} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
    }
}
