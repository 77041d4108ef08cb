using System.Text;
using CodeRunner.Core.Common;
using CodeRunner.Core.Community;
using CodeRunner.Tests.Infrastructure;

namespace CodeRunner.Tests.Community;

public sealed class AvatarStoreTests : IDisposable
{
    private readonly TempDirectory data = new("coderunner-avatars");
    private readonly AvatarStore store;

    public AvatarStoreTests() => store = new AvatarStore(new DataDirectory(data.Path));

    public void Dispose() => data.Dispose();

    // A real 1×1 PNG (signature, IHDR, IDAT, IEND), as an image editor writes it.
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    // A real 1×1 GIF.
    private static readonly byte[] Gif = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    private static byte[] Jpeg() => [0xFF, 0xD8, 0xFF, 0xE0, .. "\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0"u8.ToArray(), 0xFF, 0xD9];

    private static byte[] WebP()
    {
        var body = "WEBPVP8L"u8.ToArray().Concat(new byte[] { 0x0A, 0, 0, 0, 0x2F, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88 }).ToArray();
        return [.. "RIFF"u8.ToArray(), .. BitConverter.GetBytes((uint)body.Length), .. body];
    }

    private Task<string> SaveAsync(byte[] bytes) => store.SaveAsync(new MemoryStream(bytes));

    [Fact]
    public async Task Png_jpeg_gif_and_webp_are_stored_under_a_random_name_with_the_detected_type()
    {
        var names = new List<string>();
        foreach (var (bytes, extension, type) in new[] { (Png, "png", "image/png"), (Jpeg(), "jpg", "image/jpeg"), (Gif, "gif", "image/gif"), (WebP(), "webp", "image/webp") })
        {
            var name = await SaveAsync(bytes);
            Assert.Matches($"^[a-f0-9]{{32}}\\.{extension}$", name);
            var file = store.Find(name)!;
            Assert.Equal(type, file.ContentType);
            Assert.Equal(Path.Combine(data.Path, "avatars", name), file.FullPath);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(file.FullPath));
            names.Add(name);
        }
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal("/avatars/" + names[0], AvatarStore.UrlFor(names[0]));
    }

    public static TheoryData<string, byte[]> Refused => new()
    {
        { "html renamed to .png", Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>") },
        { "svg", Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><circle r=\"4\"/></svg>") },
        { "svg with xml prolog", Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>") },
        { "gif header then script (polyglot)", [.. "GIF89a/*\x01\0\x01\0\0\0\0*/=1;alert(1);//<script>alert(1)</script>"u8.ToArray(), 0x3B] },
        { "png with html appended", [.. Png, .. "<html><script>alert(1)</script></html>"u8.ToArray()] },
        { "png with html inside a chunk", [.. Png[..33], .. "\0\0\0\x20tEXt<script>alert(1)</script>......"u8.ToArray(), .. Png[33..]] },
        { "jpeg with javascript: in a comment", [0xFF, 0xD8, 0xFF, 0xFE, .. "\0\x20javascript:alert(1) padding....."u8.ToArray(), 0xFF, 0xD9] },
        { "truncated png", Png[..^12] },
        { "webp with trailing data", [.. WebP(), .. "<html>"u8.ToArray()] },
        { "bmp", [0x42, 0x4D, .. new byte[62]] },
        { "empty", [] },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Non_images_and_polyglots_are_refused_and_nothing_is_written(string what, byte[] bytes)
    {
        var error = await Assert.ThrowsAsync<ValidationError>(() => SaveAsync(bytes));
        Assert.True(error.Code == "community.avatar_not_image", what);
        var avatars = Path.Combine(data.Path, "avatars");
        Assert.True(!Directory.Exists(avatars) || Directory.GetFiles(avatars).Length == 0, "a refused upload left a file");
    }

    [Fact]
    public async Task An_image_over_two_megabytes_is_refused()
    {
        var big = new byte[AvatarStore.MaxBytes + 1];
        Png.CopyTo(big, 0);
        var error = await Assert.ThrowsAsync<ValidationError>(() => SaveAsync(big));
        Assert.Equal("community.avatar_too_large", error.Code);
    }

    [Theory]
    [InlineData("../coderunner.db")]
    [InlineData("0123456789abcdef0123456789abcdef.svg")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF.png")]
    [InlineData("x.png")]
    [InlineData(null)]
    public void Names_that_are_not_ours_are_never_looked_up(string? name)
    {
        File.WriteAllText(Path.Combine(data.Path, "coderunner.db"), "db");
        Assert.Null(store.Find(name));
    }
}
