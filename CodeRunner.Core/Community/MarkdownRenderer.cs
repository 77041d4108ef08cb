using System.Text.RegularExpressions;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html.Inlines;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.Extensions.Caching.Memory;

namespace CodeRunner.Core.Community;

/// <summary>
/// Markdown of posts and comments to HTML that is safe to show to other users: raw HTML is escaped, links keep only
/// http/https/mailto targets (with rel="nofollow noopener"), images only https or our own /avatars/ files. Anything else
/// becomes plain text. Only extensions that cannot add attributes are enabled (no generic attributes, no raw HTML blocks).
/// </summary>
public sealed partial class MarkdownRenderer : IDisposable
{
    public const string LinkRel = "nofollow noopener";

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UseEmphasisExtras()
        .UsePipeTables()
        .UseTaskLists()
        .UseAutoLinks()
        .Build();

    [GeneratedRegex("^/avatars/[A-Za-z0-9_-]+\\.[a-z]{3,4}$")]
    private static partial Regex OwnImagePath();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>
    /// Rendered HTML by its Markdown text, so the comments and bodies a page shows again are not parsed and sanitized on
    /// every view. Keyed by the exact source text, an edit is a new key (nothing to invalidate) and every value is this
    /// class's sanitized output. Bounded by characters held (source + HTML); least recently used entries go first.
    /// </summary>
    private readonly MemoryCache rendered = new(new MemoryCacheOptions { SizeLimit = CacheCharacters });

    public const int CacheCharacters = 8_000_000;

    public string ToHtml(string? markdown)
    {
        var source = markdown ?? "";
        if (rendered.TryGetValue(source, out string? cached) && cached is not null) return cached;
        var html = Render(source);
        rendered.Set(source, html, new MemoryCacheEntryOptions { Size = source.Length + html.Length, SlidingExpiration = TimeSpan.FromMinutes(30) });
        return html;
    }

    public void Dispose() => rendered.Dispose();

    private static string Render(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        Sanitize(document);
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.ObjectRenderers.Find<LinkInlineRenderer>()!.Rel = LinkRel;
        renderer.ObjectRenderers.Find<AutolinkInlineRenderer>()!.Rel = LinkRel;
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    /// <summary>The first <paramref name="length"/> characters of the text a reader sees, on one line.</summary>
    public string ToExcerpt(string? markdown, int length = CommunityRules.ExcerptLength)
    {
        var text = Whitespace().Replace(Markdown.ToPlainText(markdown ?? "", Pipeline), " ").Trim();
        return text.Length <= length ? text : text[..length] + "…";
    }

    public static bool IsAllowedLink(string? url) => IsAbsoluteWithScheme(url, "http", "https", "mailto");

    public static bool IsAllowedImage(string? url) => IsAbsoluteWithScheme(url, "https") || (url is not null && OwnImagePath().IsMatch(url));

    private static bool IsAbsoluteWithScheme(string? url, params string[] schemes)
    {
        if (string.IsNullOrEmpty(url)) return false;
        // Browsers drop tabs and newlines inside URLs ("java\tscript:"), so any whitespace or control character is refused.
        if (url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return false;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return false;
        return schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase) && url.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase);
    }

    private static void Sanitize(MarkdownDocument document)
    {
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            link.GetDynamicUrl = null;
            var allowed = link.IsImage ? IsAllowedImage(link.Url) : IsAllowedLink(link.Url);
            if (!allowed) Unwrap(link);
        }
        foreach (var autolink in document.Descendants<AutolinkInline>().ToList())
        {
            var target = autolink.IsEmail ? "mailto:" + autolink.Url : autolink.Url;
            if (!IsAllowedLink(target)) autolink.ReplaceBy(new LiteralInline(autolink.Url));
        }
    }

    /// <summary>A refused link or image becomes its own text (the link's label, the image's alt text), formatting kept.</summary>
    private static void Unwrap(LinkInline link)
    {
        var child = link.FirstChild;
        while (child is not null)
        {
            var next = child.NextSibling;
            child.Remove();
            link.InsertBefore(child);
            child = next;
        }
        link.Remove();
    }
}
