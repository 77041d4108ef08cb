namespace CodeRunner.Core.Common;

/// <summary>The root of runtime state (database, envs, runs, logs...). Injected so tests use a temp dir.</summary>
public sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }
    public string DatabasePath => Path.Combine(Root, "coderunner.db");
    public string Sub(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>DataDirectory setting, else ./data next to the solution when run from source, else ./data.</summary>
    public static string Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
        for (var d = dir; d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CodeRunner.sln"))) return Path.Combine(d.FullName, "data");
        return Path.Combine(dir.FullName, "data");
    }
}
