using System.Text.RegularExpressions;

namespace CodeRunner.Core.Ai;

/// <summary>A module a run could not import and the package that provides it.</summary>
public sealed record MissingPackage(string Module, string Package);

/// <summary>
/// Reads a run's output for Python's "No module named 'x'" and names the package to install: the import name is often not
/// the package name (cv2 → opencv-python). Only the last such error counts (the one that stopped the program).
/// </summary>
public static partial class MissingPackageDetector
{
    /// <summary>Import names whose package is called differently. Everything else installs under its import name.</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownPackages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["cv2"] = "opencv-python",
        ["sklearn"] = "scikit-learn",
        ["skimage"] = "scikit-image",
        ["PIL"] = "Pillow",
        ["yaml"] = "PyYAML",
        ["bs4"] = "beautifulsoup4",
        ["dateutil"] = "python-dateutil",
        ["dotenv"] = "python-dotenv",
        ["Crypto"] = "pycryptodome",
        ["serial"] = "pyserial",
        ["usb"] = "pyusb",
        ["jwt"] = "PyJWT",
        ["docx"] = "python-docx",
        ["pptx"] = "python-pptx",
        ["fitz"] = "PyMuPDF",
        ["attr"] = "attrs",
        ["magic"] = "python-magic",
        ["OpenSSL"] = "pyOpenSSL",
        ["gi"] = "PyGObject",
        ["zmq"] = "pyzmq",
        ["MySQLdb"] = "mysqlclient",
        ["psycopg2"] = "psycopg2-binary",
        ["telegram"] = "python-telegram-bot",
        ["websocket"] = "websocket-client",
        ["slugify"] = "python-slugify",
        ["jose"] = "python-jose",
        ["Bio"] = "biopython",
        ["mpl_toolkits"] = "matplotlib",
        ["pkg_resources"] = "setuptools",
        ["distutils"] = "setuptools",
        ["faiss"] = "faiss-cpu",
        ["umap"] = "umap-learn",
        ["google.protobuf"] = "protobuf",
        ["Levenshtein"] = "python-Levenshtein",
        ["Image"] = "Pillow",
        ["markdown"] = "Markdown",
        ["win32api"] = "pywin32",
    };

    /// <summary>Standard-library modules that pip cannot provide (missing because the interpreter was built without them).</summary>
    private static readonly HashSet<string> NotInstallable = new(StringComparer.Ordinal) { "tkinter", "_tkinter", "turtle", "idlelib", "_sqlite3", "_ssl", "_ctypes", "__main__" };

    public static MissingPackage? Detect(string? output)
    {
        if (string.IsNullOrEmpty(output)) return null;
        var match = NoModuleNamed().Matches(output).LastOrDefault();
        if (match is null) return null;
        var module = match.Groups["module"].Value;
        var topLevel = module.Split('.')[0];
        if (NotInstallable.Contains(topLevel)) return null;
        var package = KnownPackages.GetValueOrDefault(module) ?? KnownPackages.GetValueOrDefault(topLevel) ?? topLevel;
        // Whatever the output says, only a plain PEP 508 name ever reaches an install.
        return PackageName().IsMatch(package) ? new MissingPackage(topLevel, package) : null;
    }

    [GeneratedRegex(@"(?:ModuleNotFoundError|ImportError): No module named '(?<module>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)'")]
    private static partial Regex NoModuleNamed();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")]
    private static partial Regex PackageName();
}
