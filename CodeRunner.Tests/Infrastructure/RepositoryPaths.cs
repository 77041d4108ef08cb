namespace CodeRunner.Tests.Infrastructure;

/// <summary>Where the checkout is, seen from the test binaries (bin/Configuration/tfm under CodeRunner.Tests).</summary>
public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CodeRunner.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("CodeRunner.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
