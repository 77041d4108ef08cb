using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace CodeRunner.Tests.Sandbox;

/// <summary>Writes a minimal pure-Python wheel per the wheel spec (PEP 427): module, METADATA, WHEEL, RECORD.</summary>
public static class WheelBuilder
{
    public static string Build(string directory, string distribution, string version, string moduleSource, IReadOnlyDictionary<string, string>? extraFiles = null,
        IReadOnlyList<string>? requires = null)
    {
        var module = distribution.Replace('-', '_');
        var distInfo = $"{module}-{version}.dist-info";
        // Extra files come first in the archive: pip installs in archive order, so a file it refuses stops it before anything is written.
        var files = (extraFiles ?? new Dictionary<string, string>()).Select(f => (Path: f.Key, Content: Encoding.UTF8.GetBytes(f.Value))).ToList();
        files.AddRange(new List<(string Path, byte[] Content)>
        {
            ($"{module}.py", Encoding.UTF8.GetBytes(moduleSource)),
            ($"{distInfo}/METADATA", Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\nSummary: test package\n{string.Concat((requires ?? []).Select(r => $"Requires-Dist: {r}\n"))}")),
            ($"{distInfo}/WHEEL", Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: coderunner-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")),
        });
        var record = new StringBuilder();
        foreach (var (path, content) in files)
            record.Append($"{path},sha256={Convert.ToBase64String(SHA256.HashData(content)).TrimEnd('=').Replace('+', '-').Replace('/', '_')},{content.Length}\n");
        record.Append($"{distInfo}/RECORD,,\n");
        files.Add(($"{distInfo}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));

        CreateReadableDirectory(directory);
        var wheelPath = Path.Combine(directory, $"{module}-{version}-py3-none-any.whl");
        using var zip = ZipFile.Open(wheelPath, ZipArchiveMode.Create);
        foreach (var (path, content) in files)
        {
            using var stream = zip.CreateEntry(path).Open();
            stream.Write(content);
        }
        MakeReadable(wheelPath);
        return wheelPath;
    }

    /// <summary>Wheelhouses are read by pip as the sandbox user: readable whatever the test process's umask (the app sets 027).</summary>
    private static void CreateReadableDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private static void MakeReadable(string file)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>
    /// A source distribution whose in-tree PEP 517 build backend runs <paramref name="backendCode"/> as soon as pip
    /// asks it anything (resolving a dry run already does), then fails the build.
    /// </summary>
    public static string BuildHostileSdist(string directory, string distribution, string version, string backendCode)
    {
        var root = $"{distribution}-{version}";
        var files = new Dictionary<string, string>
        {
            [$"{root}/PKG-INFO"] = $"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n",
            [$"{root}/pyproject.toml"] = "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n",
            [$"{root}/backend.py"] = backendCode + "\n\ndef get_requires_for_build_wheel(config_settings=None):\n    raise RuntimeError('no build')\n\n" +
                "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n    raise RuntimeError('no build')\n",
        };
        CreateReadableDirectory(directory);
        var path = Path.Combine(directory, $"{root}.tar.gz");
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new System.Formats.Tar.TarWriter(gzip, System.Formats.Tar.TarEntryFormat.Pax);
        foreach (var (name, text) in files)
        {
            var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            tar.WriteEntry(entry);
        }
        MakeReadable(path);
        return path;
    }
}
