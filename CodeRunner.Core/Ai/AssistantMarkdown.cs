using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CodeRunner.Core.Ai;

/// <summary>
/// Renders an assistant answer (untrusted text from a provider) as HTML: Markdig with raw HTML disabled, so any tag in
/// the answer is shown as text; links keep only http(s)/mailto targets and images become plain links (no remote loads).
/// </summary>
public static class AssistantMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml().UsePipeTables().UseEmphasisExtras().Build();

    public static string ToHtml(string? markdown)
    {
        var document = Markdown.Parse(markdown ?? "", Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafe(link.Url)) link.Url = "";
            link.IsImage = false;
        }
        foreach (var autolink in document.Descendants<AutolinkInline>())
            if (!autolink.IsEmail && !IsSafe(autolink.Url)) autolink.Url = "";
        return Markdown.ToHtml(document, Pipeline);
    }

    private static bool IsSafe(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto";
}
