namespace CodeRunner.Sandbox.Isolation;

/// <summary>Turns what a failed start-up probe printed into what is wrong and how to fix it, for the admin console and the log.</summary>
public static class SandboxProbeExplanation
{
    public static string Explain(string output, string runsDirectory, int sandboxUid)
    {
        var text = output.Trim();
        if (text.Contains("Can't find source path", StringComparison.Ordinal) && text.Contains("Permission denied", StringComparison.Ordinal))
            return $"Runs fail: the sandbox user (uid {sandboxUid}) may not pass through a directory on the way to {runsDirectory} or an environment. " +
                   $"Give that directory search permission for others (chmod o+x), or run the app as root so it can bridge it. bwrap said: {Tail(text)}";
        if (text.Contains("uid map", StringComparison.OrdinalIgnoreCase) || text.Contains("Creating new namespace failed", StringComparison.Ordinal) ||
            text.Contains("No permissions to create new namespace", StringComparison.Ordinal))
            return "Runs fail: this kernel or container does not allow user namespaces. Enable them (sysctl kernel.unprivileged_userns_clone=1, " +
                   $"user.max_user_namespaces > 0) or give the container the capabilities bubblewrap needs. bwrap said: {Tail(text)}";
        if (text.Contains("mount", StringComparison.OrdinalIgnoreCase) && text.Contains("tmpfs", StringComparison.OrdinalIgnoreCase))
            return $"Runs fail: the per-run file system cannot be mounted under {runsDirectory} (the app needs CAP_SYS_ADMIN when it runs as root). Detail: {Tail(text)}";
        return $"Runs fail: a test program (print) did not run in the sandbox. Output: {Tail(text)}";
    }

    private static string Tail(string text) => text.Length <= 400 ? text : "…" + text[^400..];
}
