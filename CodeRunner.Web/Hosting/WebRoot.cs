namespace CodeRunner.Web.Hosting;

/// <summary>The app's own static files live in the solution's wwwroot-assets/ (copied next to the binaries for publish and tests).</summary>
public static class WebRoot
{
    public const string FolderName = "wwwroot-assets";

    public static string Locate()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FolderName);
            if (Directory.Exists(candidate)) return candidate;
        }
        return Path.Combine(AppContext.BaseDirectory, FolderName);
    }
}
