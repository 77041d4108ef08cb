using System.Security.Cryptography;
using System.Text;
using CodeRunner.Sandbox.Processes;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// Lets the sandbox user reach the runs and environments dirs when a parent blocks it, e.g. a data
/// dir of mode 0700 or 0750 owned by root (as `mktemp -d` or a careful admin makes it): bwrap binds
/// as the sandbox user and would fail with "Can't find source path ...: Permission denied". Instead
/// of loosening the admin's modes, each dir is bind-mounted (as a shared mount, so the per-run
/// tmpfs mounts appear in both places) under a root-owned 0711 dir in /run or /tmp, and bwrap takes
/// its sources from there; inside the sandbox every path stays what it is on the host.
/// </summary>
public sealed class SandboxPathView : IDisposable
{
    private readonly List<(string Original, string Visible)> mappings = [];
    private readonly List<string> mounts = [];

    private SandboxPathView(string root) => Root = root;

    public string Root { get; }

    public IReadOnlyList<(string Original, string Visible)> Mappings => mappings;

    /// <summary>A view when <paramref name="uid"/> cannot search its way to one of <paramref name="directories"/> and we may mount (root); else null.</summary>
    public static SandboxPathView? CreateIfNeeded(IReadOnlyList<string> directories, int uid, int gid)
    {
        var blocked = directories.Where(d => !IsReachableBy(d, uid, gid)).ToList();
        if (blocked.Count == 0 || NativeMethods.geteuid() != 0) return null;
        var parent = Directory.Exists("/run") ? "/run" : Path.GetTempPath();
        var name = "coderunner-view-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', directories))))[..12].ToLowerInvariant();
        var view = new SandboxPathView(Path.Combine(parent, name));
        try
        {
            view.Unmount();   // a view left by a crashed process
            CreateSearchOnly(view.Root);
            for (var i = 0; i < blocked.Count; i++)
            {
                var original = Path.GetFullPath(blocked[i]);
                var visible = Path.Combine(view.Root, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                CreateSearchOnly(visible);
                // A dir that is already a mount point (a volume, or our own bind left by a killed process) is only made shared.
                if (!IsMountPoint(original))
                {
                    Mount(original, original, NativeMethods.MS_BIND);
                    view.mounts.Add(original);
                }
                Mount("none", original, NativeMethods.MS_SHARED);
                Mount(original, visible, NativeMethods.MS_BIND);
                view.mounts.Add(visible);
                view.mappings.Add((original, visible));
            }
            return view;
        }
        catch
        {
            view.Dispose();
            throw;
        }
    }

    /// <summary>Where bwrap (as the sandbox user) finds <paramref name="hostPath"/>.</summary>
    public string SourceOf(string hostPath)
    {
        foreach (var (original, visible) in mappings)
            if (hostPath == original || hostPath.StartsWith(original + "/", StringComparison.Ordinal))
                return visible + hostPath[original.Length..];
        return hostPath;
    }

    public void Dispose() => Unmount();

    private void Unmount()
    {
        foreach (var mountPoint in Enumerable.Reverse(mounts)) NativeMethods.umount2(mountPoint, NativeMethods.MNT_DETACH);
        mounts.Clear();
        if (!Directory.Exists(Root)) return;
        foreach (var visible in Directory.EnumerateDirectories(Root))
        {
            NativeMethods.umount2(visible, NativeMethods.MNT_DETACH);
            try { Directory.Delete(visible); } catch (IOException) { }
        }
        try { Directory.Delete(Root); } catch (IOException) { }
    }

    private static bool IsMountPoint(string path) =>
        File.ReadLines("/proc/self/mountinfo").Select(line => line.Split(' ')).Any(fields => fields.Length > 4 && fields[4].Replace("\\040", " ") == path);

    /// <summary>True when every parent of <paramref name="directory"/> grants search (x) to that uid/gid by its mode bits.</summary>
    public static bool IsReachableBy(string directory, int uid, int gid)
    {
        if (OperatingSystem.IsWindows()) return true;
        for (var current = new DirectoryInfo(Path.GetFullPath(directory)); current is not null; current = current.Parent)
        {
            if (!current.Exists) continue;
            var (owner, group, mode) = NativeMethods.OwnerAndMode(current.FullName);
            var search = owner == uid ? (mode & 0x40) != 0 : group == gid ? (mode & 0x8) != 0 : (mode & 0x1) != 0;
            if (!search) return false;
        }
        return true;
    }

    private static void CreateSearchOnly(string path)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    private static void Mount(string source, string target, ulong flags)
    {
        if (NativeMethods.mount(source, target, null, flags, null) != 0)
            throw new IOException($"mount {source} on {target} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
    }
}
