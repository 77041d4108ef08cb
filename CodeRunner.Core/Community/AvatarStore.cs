using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CodeRunner.Core.Common;

namespace CodeRunner.Core.Community;

/// <summary>An avatar file as the serving endpoint needs it.</summary>
public sealed record AvatarFile(string FullPath, string ContentType);

/// <summary>
/// Avatar images under data/avatars. An upload is accepted only as PNG, JPEG, WebP or GIF recognized by its magic bytes
/// and a well-formed end (so "image header + HTML" polyglots fail), at most 2 MB, with no markup anywhere in it;
/// it is stored under a random name with the extension of the detected type. The user's file name is never used.
/// </summary>
public sealed partial class AvatarStore(DataDirectory data)
{
    public const int MaxBytes = 2 * 1024 * 1024;
    public const string UrlPrefix = "/avatars/";

    private static readonly Dictionary<string, string> ContentTypes = new()
    {
        ["png"] = "image/png",
        ["jpg"] = "image/jpeg",
        ["webp"] = "image/webp",
        ["gif"] = "image/gif",
    };

    // Markers a browser or a plugin would treat as active content if it ever sniffed the file.
    private static readonly string[] MarkupMarkers = ["<script", "<html", "<svg", "<!doctype", "<?xml", "<iframe", "<body", "<object", "<embed", "javascript:"];

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    // The IEND chunk: its type and CRC.
    private static readonly byte[] PngEnd = [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    [GeneratedRegex("^[a-f0-9]{32}\\.(png|jpg|webp|gif)$")]
    private static partial Regex StoredName();

    private string Directory => data.Sub("avatars");

    public static string? UrlFor(string? storedName) => string.IsNullOrEmpty(storedName) ? null : UrlPrefix + storedName;

    /// <summary>Validates and stores an upload; returns the stored name (the value of AppUser.AvatarPath).</summary>
    public async Task<string> SaveAsync(Stream upload, CancellationToken cancellationToken = default)
    {
        var bytes = await ReadCappedAsync(upload, cancellationToken);
        var extension = DetectImage(bytes) ?? throw new ValidationError("community.avatar_not_image", "avatar", "Only PNG, JPEG, WebP or GIF images are accepted.");
        if (ContainsMarkup(bytes)) throw new ValidationError("community.avatar_not_image", "avatar", "The image contains markup.");
        var name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "." + extension;
        var path = Path.Combine(Directory, name);
        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
        return name;
    }

    /// <summary>The stored file for a name from a URL, or null for anything that is not exactly one of our names.</summary>
    public AvatarFile? Find(string? storedName)
    {
        if (storedName is null || !StoredName().IsMatch(storedName)) return null;
        var path = Path.Combine(Directory, storedName);
        return File.Exists(path) ? new AvatarFile(path, ContentTypes[Path.GetExtension(storedName)[1..]]) : null;
    }

    public void Delete(string? storedName)
    {
        if (Find(storedName) is { } file) File.Delete(file.FullPath);
    }

    private static async Task<byte[]> ReadCappedAsync(Stream upload, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await upload.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw new ValidationError("community.avatar_too_large", "avatar", $"The image is larger than {MaxBytes / 1024 / 1024} MB.", MaxBytes / 1024 / 1024);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The file's type by its first and last bytes, or null.</summary>
    internal static string? DetectImage(ReadOnlySpan<byte> b)
    {
        if (b.Length < 16) return null;
        if (b.StartsWith(PngSignature) && b.EndsWith(PngEnd)) return "png";
        if (b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF && b[^2] == 0xFF && b[^1] == 0xD9) return "jpg";
        if ((b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8)) && b[^1] == 0x3B) return "gif";
        // RIFF <little-endian size of the rest> WEBP: the size must match the file exactly, so nothing can trail it.
        if (b.StartsWith("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8) && BitConverter.ToUInt32(b[4..8]) + 8 == (uint)b.Length) return "webp";
        return null;
    }

    private static bool ContainsMarkup(byte[] bytes)
    {
        // Latin-1 maps every byte to one char, so ASCII markers are found wherever they sit in binary data.
        var text = Encoding.Latin1.GetString(bytes);
        return MarkupMarkers.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase));
    }
}
