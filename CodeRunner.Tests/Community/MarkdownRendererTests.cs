using AngleSharp.Html.Parser;
using CodeRunner.Core.Community;

namespace CodeRunner.Tests.Community;

/// <summary>What other users write must never run script in my browser: every payload below renders to inert HTML.</summary>
public sealed class MarkdownRendererTests : IDisposable
{
    private readonly MarkdownRenderer renderer = new();

    public void Dispose() => renderer.Dispose();

    public static TheoryData<string> XssPayloads => new()
    {
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><circle r=1 /></svg>",
        "<svg><script>alert(1)</script></svg>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<details open ontoggle=alert(1)>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript:alert(1) )",
        "[click](<javascript:alert(1)>)",
        "[click](jav&#x61;script:alert(1))",
        "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
        "[click](java%0ascript:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](DATA:text/html,<script>alert(1)</script>)",
        "[click](file:///etc/passwd)",
        "[click](//evil.example/x)",
        "[click](javascript:alert(1) \"title\")",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
        "[ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
        "<javascript:alert(1)>",
        "<data:text/html,hi>",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![x](http://insecure.example/a.png)",
        "![x](/avatars/../coderunner.db)",
        "![x](/api/v1/codes)",
        "![x][img]\n\n[img]: javascript:alert(1)",
        "[![x](javascript:alert(1))](https://ok.example)",
        "[x](https://ok.example \"\\\" onmouseover=alert(1) x=\\\"\")",
        "[x](https://ok.example/\"onmouseover=\"alert(1))",
        "![x\" onerror=\"alert(1)](https://ok.example/a.png)",
        "# title {onclick=alert(1)}",
        "text {#id .cls onclick=alert(1)}",
        "```html\n<script>alert(1)</script>\n```",
        "```\"><script>alert(1)</script>\nx\n```",
        "`<img src=x onerror=alert(1)>`",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
        "<!-- <script>alert(1)</script> -->",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "www.example.com/\"onmouseover=\"alert(1)",
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
        "- [ ] <b onmouseover=alert(1)>task</b>",
    };

    [Theory]
    [MemberData(nameof(XssPayloads))]
    public void A_payload_renders_without_script_handlers_or_dangerous_urls(string markdown)
    {
        // Rendered, then served from the renderer's cache: both must be the sanitizer's output.
        var first = renderer.ToHtml(markdown);
        Assert.Equal(first, renderer.ToHtml(markdown));
        AssertSafe(first);
    }

    private static void AssertSafe(string html)
    {
        var document = new HtmlParser().ParseDocument($"<body>{html}</body>");
        foreach (var element in document.Body!.QuerySelectorAll("*"))
        {
            Assert.DoesNotContain(element.LocalName, new[] { "script", "iframe", "svg", "style", "object", "embed", "math", "details", "form", "base", "meta", "link" });
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"{attribute.Name} in {html}");
                Assert.NotEqual("style", attribute.Name);
                if (attribute.Name is "href") Assert.True(MarkdownRenderer.IsAllowedLink(attribute.Value), $"href {attribute.Value} in {html}");
                if (attribute.Name is "src") Assert.True(MarkdownRenderer.IsAllowedImage(attribute.Value), $"src {attribute.Value} in {html}");
            }
        }
    }

    [Fact]
    public void Allowed_links_get_nofollow_noopener_and_allowed_images_are_kept()
    {
        var html = renderer.ToHtml("[doc](https://docs.python.org/3/) <https://example.org> [mail](mailto:a@b.example) www.python.org\n\n"
                                   + "![me](/avatars/0123456789abcdef0123456789abcdef.png) ![cat](https://img.example/cat.png)");
        var document = new HtmlParser().ParseDocument(html);
        var links = document.QuerySelectorAll("a").ToList();
        Assert.Equal(["https://docs.python.org/3/", "https://example.org", "mailto:a@b.example", "http://www.python.org"], links.Select(a => a.GetAttribute("href")));
        Assert.All(links, a => Assert.Equal(MarkdownRenderer.LinkRel, a.GetAttribute("rel")));
        Assert.Equal(["/avatars/0123456789abcdef0123456789abcdef.png", "https://img.example/cat.png"], document.QuerySelectorAll("img").Select(i => i.GetAttribute("src")));
    }

    [Fact]
    public void Refused_links_and_images_keep_their_text()
    {
        Assert.Equal("<p>see the <em>docs</em> here</p>\n", renderer.ToHtml("see [the *docs*](javascript:alert(1)) here"));
        var html = renderer.ToHtml("see [the docs](javascript:alert(1)) and ![a cat](data:image/png;base64,AAAA)");
        Assert.Contains("the docs", html);
        Assert.Contains("a cat", html);
        Assert.DoesNotContain("<a", html);
        Assert.DoesNotContain("<img", html);
    }

    [Fact]
    public void Raw_html_is_shown_as_text_and_code_blocks_keep_their_language()
    {
        var html = renderer.ToHtml("<b>hi</b>\n\n```python\nprint('<b>')\n```");
        Assert.Contains("&lt;b&gt;hi&lt;/b&gt;", html);
        Assert.Contains("<code class=\"language-python\">print('&lt;b&gt;')", html);
    }

    [Fact]
    public void The_excerpt_is_plain_text_on_one_line_and_cut_at_the_limit()
    {
        Assert.Equal("Title some bold text", renderer.ToExcerpt("# Title\n\nsome **bold**\ntext"));
        var cut = renderer.ToExcerpt(new string('字', 500));
        Assert.Equal(CommunityRules.ExcerptLength + 1, cut.Length);
        Assert.EndsWith("…", cut);
    }

    [Fact]
    public void Cached_html_is_the_same_as_a_fresh_render_and_new_text_renders_anew()
    {
        foreach (string markdown in XssPayloads)
        {
            renderer.ToHtml(markdown);
            using var fresh = new MarkdownRenderer();
            Assert.Equal(fresh.ToHtml(markdown), renderer.ToHtml(markdown));
        }
        Assert.Contains("<strong>one</strong>", renderer.ToHtml("**one**"));
        var edited = renderer.ToHtml("**one** [x](javascript:alert(1))");
        Assert.Contains("<strong>one</strong>", edited);
        AssertSafe(edited);
        Assert.DoesNotContain("href", edited);
    }
}
