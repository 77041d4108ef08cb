namespace CodeRunner.Sandbox.Isolation;

/// <summary>The complete environment of a run: an allowlist, nothing inherited from the host.</summary>
public static class SandboxEnvironmentVariables
{
    public static IReadOnlyDictionary<string, string> For(string home, string interpreterDirectory) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["HOME"] = home,
        ["PATH"] = $"{interpreterDirectory}:/usr/local/bin:/usr/bin:/bin",
        ["LANG"] = "C.UTF-8",
        ["LC_ALL"] = "C.UTF-8",
        ["USER"] = "sandbox",
        ["LOGNAME"] = "sandbox",
        ["TMPDIR"] = "/tmp",
        ["PYTHONUNBUFFERED"] = "1",
        ["PYTHONIOENCODING"] = "utf-8",
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["MPLBACKEND"] = "Agg",
        // One BLAS thread: less address space and no oversubscription of the host's cores.
        ["OPENBLAS_NUM_THREADS"] = "1",
        ["OMP_NUM_THREADS"] = "1",
        ["MKL_NUM_THREADS"] = "1",
        // Each thread's malloc arena reserves 64 MB of address space; two arenas keep threads under RLIMIT_AS.
        ["MALLOC_ARENA_MAX"] = "2",
    };
}
