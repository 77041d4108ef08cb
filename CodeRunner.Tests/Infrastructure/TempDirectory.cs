namespace CodeRunner.Tests.Infrastructure;

/// <summary>A directory under /tmp that is deleted when the test (class) is done.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "coderunner-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
