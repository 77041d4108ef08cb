using System.Text;
using Microsoft.AspNetCore.Components;

namespace CodeRunner.Web.Accounts;

/// <summary>Redirects from static account pages, refusing open redirects to other sites.</summary>
internal sealed class IdentityRedirectManager(NavigationManager navigationManager)
{
    public void RedirectTo(string? uri)
    {
        navigationManager.NavigateTo(SafeLocalUrl(uri));
    }

    /// <summary>A path on this site, percent-encoded to ASCII (a Location header cannot carry "/库"), or "/".</summary>
    public static string SafeLocalUrl(string? uri)
    {
        if (string.IsNullOrEmpty(uri)) return "/";
        var isLocal = uri.StartsWith('/') && !uri.StartsWith("//", StringComparison.Ordinal) && !uri.StartsWith("/\\", StringComparison.Ordinal);
        return isLocal ? EscapeToAscii(uri) : "/";
    }

    private static string EscapeToAscii(string uri)
    {
        if (uri.All(c => c is > ' ' and < '\u007f')) return uri;
        var escaped = new StringBuilder(uri.Length * 3);
        Span<byte> utf8 = stackalloc byte[4];
        // Runes: a lone surrogate becomes U+FFFD instead of throwing.
        foreach (var rune in uri.EnumerateRunes())
        {
            if (rune.Value is > ' ' and < 0x7f)
            {
                escaped.Append((char)rune.Value);
                continue;
            }
            var length = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < length; i++) escaped.Append('%').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return escaped.ToString();
    }
}
