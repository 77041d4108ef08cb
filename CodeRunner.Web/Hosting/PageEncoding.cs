using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace CodeRunner.Web.Hosting;

/// <summary>
/// How pages encode text. Pages are sent as UTF-8, so Chinese goes out as itself instead of "&amp;#x4E2D;" per character
/// (eight times the bytes, on every page). Only which letters pass through changes: &lt;, &gt;, &amp;, quotes and the other
/// characters HTML gives a meaning stay encoded, whatever the settings.
/// </summary>
public static class PageEncoding
{
    public static readonly TextEncoderSettings Settings = new(UnicodeRanges.All);

    /// <summary>The encoder Blazor renders pages with (registered from <see cref="Settings"/>), for markup built by hand.</summary>
    public static readonly HtmlEncoder Html = HtmlEncoder.Create(Settings);
}
