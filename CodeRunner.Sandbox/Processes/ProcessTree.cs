using System.Globalization;

namespace CodeRunner.Sandbox.Processes;

/// <summary>Reads the process tree from /proc: descendants of a pid, the members of a pid namespace, their CPU and memory.</summary>
public static class ProcessTree
{
    /// <summary>Every live descendant of <paramref name="rootPid"/> (not the root itself).</summary>
    public static IReadOnlyList<int> Descendants(int rootPid) => DescendantsWithDepth(rootPid).Select(d => d.Pid).ToList();

    /// <summary>Every live descendant of <paramref name="rootPid"/> with its depth below it (children are at depth 1).</summary>
    private static List<(int Pid, int Depth)> DescendantsWithDepth(int rootPid)
    {
        var childrenByParent = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            var parent = ReadParentPid(pid);
            if (parent is null) continue;
            if (!childrenByParent.TryGetValue(parent.Value, out var list)) childrenByParent[parent.Value] = list = [];
            list.Add(pid);
        }

        var result = new List<(int Pid, int Depth)>();
        var queue = new Queue<(int Pid, int Depth)>([(rootPid, 0)]);
        while (queue.Count > 0)
        {
            var (parentPid, depth) = queue.Dequeue();
            if (!childrenByParent.TryGetValue(parentPid, out var children)) continue;
            foreach (var child in children)
            {
                result.Add((child, depth + 1));
                queue.Enqueue((child, depth + 1));
            }
        }
        return result;
    }

    /// <summary>
    /// Resident memory of a set of processes, the same quantity as one process's VmRSS: private
    /// pages (anonymous + shared memory) of each, plus file-backed pages (the interpreter and
    /// its libraries, mapped by every process) counted once.
    /// </summary>
    public static long ResidentBytes(IReadOnlyCollection<ProcessSample> samples) =>
        samples.Sum(s => s.PrivateResidentBytes) + samples.Select(s => s.FileResidentBytes).DefaultIfEmpty().Max();

    /// <summary>
    /// CPU time, resident memory and peak resident memory (VmHWM) of every live process in the
    /// tree rooted at <paramref name="rootPid"/> that is at least <paramref name="minDepth"/> levels
    /// below it (the root is depth 0), so wrapper processes above the program are left out.
    /// </summary>
    public static IReadOnlyList<ProcessSample> Sample(int rootPid, int minDepth = 0) =>
        Sample(DescendantsWithDepth(rootPid).Prepend((Pid: rootPid, Depth: 0)).Where(d => d.Depth >= minDepth).Select(d => d.Pid));

    /// <summary>
    /// The first child of <paramref name="outerPid"/> in another pid namespace (bwrap's init) and that namespace, as the
    /// inode of its /proc/pid/ns/pid link; null until that child exists or when it shares our namespace.
    /// </summary>
    private static (int Pid, string Namespace)? NamespaceInit(int outerPid)
    {
        var own = PidNamespaceOf(outerPid);
        foreach (var child in ChildrenOf(outerPid))
            if (PidNamespaceOf(child) is { } ns && ns != own) return (child, ns);
        return null;
    }

    /// <summary>
    /// Every process of the pid namespace whose init is a child of <paramref name="outerPid"/>, except those whose pid
    /// inside the namespace is at most <paramref name="wrapperPids"/> (the init and GNU time). Walks down from the init:
    /// every process of a pid namespace descends from its init (double-forked orphans re-parent to it), so the walk
    /// costs the run's own processes, not a scan of every process on the machine, which many runs at once each
    /// polling would pay many times over.
    /// </summary>
    public static IReadOnlyList<ProcessSample> SampleNamespaceOf(int outerPid, int wrapperPids)
    {
        if (NamespaceInit(outerPid) is not { } init) return [];
        var members = new List<int>();
        var queue = new Queue<int>([init.Pid]);
        while (queue.Count > 0)
        {
            var pid = queue.Dequeue();
            // A pid recycled into another namespace between two reads is not ours.
            if (PidNamespaceOf(pid) != init.Namespace) continue;
            if (InnermostPid(pid) is { } inner && inner > wrapperPids) members.Add(pid);
            foreach (var child in ChildrenOf(pid)) queue.Enqueue(child);
        }
        return Sample(members);
    }

    // Kernels built without CONFIG_PROC_CHILDREN have no children files: then children are found by a scan of /proc.
    private static readonly bool HasChildrenFiles = File.Exists($"/proc/{Environment.ProcessId}/task/{Environment.ProcessId}/children");

    /// <summary>The children of every thread of <paramref name="pid"/> (/proc/pid/task/*/children); empty once it is gone.</summary>
    private static List<int> ChildrenOf(int pid)
    {
        if (!HasChildrenFiles) return DescendantsWithDepth(pid).Where(d => d.Depth == 1).Select(d => d.Pid).ToList();
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                foreach (var field in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var child)) children.Add(child);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Exited while we looked.
        }
        return children;
    }

    private static string? PidNamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/pid").LinkTarget;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The last NSpid field: the pid as seen inside the process's own namespace.</summary>
    private static int? InnermostPid(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("NSpid:", StringComparison.Ordinal)) continue;
                var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return int.Parse(fields[^1], CultureInfo.InvariantCulture);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    private static IReadOnlyList<ProcessSample> Sample(IEnumerable<int> pids)
    {
        var samples = new List<ProcessSample>();
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // Fields 14 and 15 of stat (utime, stime) in clock ticks of 1/100 s.
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                long peakResident = 0, anonymous = 0, file = 0, shared = 0;
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peakResident = ParseKb(line) * 1024;
                    else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anonymous = ParseKb(line) * 1024;
                    else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = ParseKb(line) * 1024;
                    else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
                    {
                        shared = ParseKb(line) * 1024;
                        break;
                    }
                }
                samples.Add(new ProcessSample(pid, TimeSpan.FromMilliseconds(ticks * 10), anonymous + shared, file, Math.Max(anonymous + shared + file, peakResident)));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process exited while we looked.
            }
        }
        return samples;
    }

    /// <summary>Processes still alive whose command line mentions <paramref name="marker"/> (for leak checks).</summary>
    public static IReadOnlyList<int> FindByCommandLine(string marker)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
                var state = File.ReadAllText($"/proc/{pid}/stat");
                var isZombie = state[(state.LastIndexOf(')') + 2)..].StartsWith('Z');
                if (!isZombie && commandLine.Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static int? ReadParentPid(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name may contain spaces and parentheses: fields start after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 3);
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        catch (FormatException) { return null; }
    }

    private static long ParseKb(string line)
    {
        var digits = new string(line.Where(char.IsAsciiDigit).ToArray());
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
    }
}

/// <summary>One process at one moment: CPU so far, its resident set (VmRSS) split into private and file-backed pages, and the set's high-water mark (VmHWM).</summary>
public sealed record ProcessSample(int Pid, TimeSpan Cpu, long PrivateResidentBytes, long FileResidentBytes, long PeakResidentBytes)
{
    public long ResidentBytes => PrivateResidentBytes + FileResidentBytes;
}
