using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace CodeRunner.Tests.Sandbox;

/// <summary>Writes a minimal pure-Python wheel per the wheel spec (PEP 427): module, METADATA, WHEEL, RECORD.</summary>
public static class WheelBuilder
{
    public static string Build(string directory, string distribution, string version, string moduleSource)
    {
        var module = distribution.Replace('-', '_');
        var distInfo = $"{module}-{version}.dist-info";
        var files = new List<(string Path, byte[] Content)>
        {
            ($"{module}.py", Encoding.UTF8.GetBytes(moduleSource)),
            ($"{distInfo}/METADATA", Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\nSummary: test package\n")),
            ($"{distInfo}/WHEEL", Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: coderunner-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")),
        };
        var record = new StringBuilder();
        foreach (var (path, content) in files)
            record.Append($"{path},sha256={Convert.ToBase64String(SHA256.HashData(content)).TrimEnd('=').Replace('+', '-').Replace('/', '_')},{content.Length}\n");
        record.Append($"{distInfo}/RECORD,,\n");
        files.Add(($"{distInfo}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));

        Directory.CreateDirectory(directory);
        var wheelPath = Path.Combine(directory, $"{module}-{version}-py3-none-any.whl");
        using var zip = ZipFile.Open(wheelPath, ZipArchiveMode.Create);
        foreach (var (path, content) in files)
        {
            using var stream = zip.CreateEntry(path).Open();
            stream.Write(content);
        }
        return wheelPath;
    }
}
