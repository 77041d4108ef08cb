using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Bunit;
using CodeRunner.Core.Community;
using CodeRunner.Web.Components.Layout;
using CodeRunner.Web.Components.Pages.Community;
using CodeRunner.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CodeRunner.Tests.Community;

/// <summary>
/// The community's hand-written MudBlazor markup (MudMarkup, the default avatar, the comment buttons, the feed card) and
/// the cached theme variables must stay what MudBlazor itself renders, so the pages look the same; a MudBlazor upgrade
/// that changes its markup turns these red instead of quietly changing the look.
/// </summary>
public sealed class CommunityMarkupTests : IAsyncLifetime
{
    private readonly BunitContext context = new();
    private readonly CultureInfo previousCulture = CultureInfo.CurrentUICulture;

    public CommunityMarkupTests()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddLocalization(options => options.ResourcesPath = "Resources");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cached_theme_provider_writes_what_MudThemeProvider_writes_in_both_modes(bool dark)
    {
        var mud = context.Render<MudThemeProvider>(p => p.Add(t => t.Theme, ThemeState.Theme).Add(t => t.IsDarkMode, dark)).Markup;
        // Twice: the first render fills the cache, the second is served from it.
        var first = context.Render<CachedThemeProvider>(p => p.Add(t => t.Theme, ThemeState.Theme).Add(t => t.IsDarkMode, dark)).Markup;
        var cached = context.Render<CachedThemeProvider>(p => p.Add(t => t.Theme, ThemeState.Theme).Add(t => t.IsDarkMode, dark)).Markup;
        Assert.True(CachedThemeProvider.Caches);
        Assert.Contains("--mud-palette-primary:", mud);
        Assert.Equal(mud, first);
        Assert.Equal(mud, cached);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Prerendered_theme_styles_are_what_MudThemeProvider_writes(bool dark)
    {
        context.Services.AddSingleton<ThemeMarkup>();
        var styles = context.Render<ThemeStyles>(p => p.Add(t => t.IsDarkMode, dark));
        var mud = context.Render<MudThemeProvider>(p => p.Add(t => t.Theme, ThemeState.Theme).Add(t => t.IsDarkMode, dark)).Markup;
        styles.WaitForAssertion(() => Assert.Equal(mud, styles.Markup));
        Assert.Contains(dark ? "color-scheme: dark" : "color-scheme: light", styles.Markup);
    }

    [Fact]
    public void Cached_theme_provider_follows_a_change_of_mode()
    {
        var provider = context.Render<CachedThemeProvider>(p => p.Add(t => t.Theme, ThemeState.Theme).Add(t => t.IsDarkMode, false));
        Assert.Contains("--mud-native-html-color-scheme: light", provider.Markup);
        provider.Render(p => p.Add(t => t.IsDarkMode, true));
        Assert.Contains("--mud-native-html-color-scheme: dark", provider.Markup);
    }

    [Fact]
    public void Icon_markup_equals_MudIcon()
    {
        var mud = context.Render<MudIcon>(p => p.Add(i => i.Icon, Icons.Material.Filled.ThumbUp).Add(i => i.Size, Size.Small));
        var ours = context.Render(b => b.AddContent(0, MudMarkup.Icon(Icons.Material.Filled.ThumbUp)));
        ours.MarkupMatches(mud.Markup);
    }

    [Fact]
    public void Default_avatar_markup_equals_MudAvatar()
    {
        var author = new AuthorView("id-1", "lihua", "李华", null);
        var mud = context.Render<MudAvatar>(p => p.Add(a => a.Size, Size.Small).Add(a => a.Color, Color.Primary).AddChildContent("李"));
        var ours = context.Render<UserAvatar>(p => p.Add(a => a.Author, author));
        // MudAvatar also writes an empty style="", which changes nothing.
        Assert.Equal(mud.Find("div").ClassName, ours.Find("div").ClassName);
        Assert.Equal(mud.Find("div").TextContent, ours.Find("div").TextContent);
    }

    [Theory]
    [InlineData("default", Color.Default)]
    [InlineData("primary", Color.Primary)]
    [InlineData("error", Color.Error)]
    public void Comment_button_classes_equal_a_small_text_MudButton(string color, Color mudColor)
    {
        var mud = context.Render<MudButton>(p => p.Add(b => b.Size, Size.Small).Add(b => b.Variant, Variant.Text).Add(b => b.Color, mudColor).AddChildContent("x"));
        Assert.Equal(mud.Find("button").ClassName, MudMarkup.SmallTextButton(color));
    }

    [Fact]
    public void Comment_like_button_equals_MudButton_with_a_start_icon()
    {
        var comment = new CommentView(7, null, new AuthorView("a", "lihua", null, null), "hi", "<p>hi</p>", false, 3, false,
            DateTime.UtcNow, null, false, false, []);
        // A visitor's comment uses none of these services; the page's DI has them.
        context.Services.AddSingleton((CommentService)RuntimeHelpers.GetUninitializedObject(typeof(CommentService)));
        context.Services.AddSingleton((ReactionService)RuntimeHelpers.GetUninitializedObject(typeof(ReactionService)));
        context.Services.AddSingleton((UiFeedback)RuntimeHelpers.GetUninitializedObject(typeof(UiFeedback)));
        var item = context.Render<CommentItem>(p => p.Add(c => c.Comment, comment).Add(c => c.User, null));
        var mud = context.Render<MudButton>(p => p.Add(b => b.Size, Size.Small).Add(b => b.Variant, Variant.Text)
            .Add(b => b.StartIcon, Icons.Material.Filled.ThumbUp).Add(b => b.Color, Color.Default).Add(b => b.Disabled, true)
            .Add(b => b.Class, "like-comment").AddChildContent("3"));
        var ours = item.Find(".like-comment");
        var theirs = mud.Find("button");
        Assert.Equal(theirs.ClassName, ours.ClassName);
        Assert.True(ours.HasAttribute("disabled"));
        WithSpriteDrawn(ours.InnerHtml).MarkupMatches(theirs.InnerHtml);
        // A visitor gets no reply, edit or delete buttons.
        Assert.Empty(item.FindAll(".reply-comment"));
    }

    [Fact]
    public void Feed_card_chips_and_link_equal_MudChip_and_MudLink()
    {
        var post = new PostSummary(42, "标题", "摘要", ["numpy"], true, true, "python", 1, 2, 3, 4, DateTime.UtcNow, DateTime.UtcNow,
            new AuthorView("a", "lihua", null, null));
        var card = context.Render<PostCard>(p => p.Add(c => c.Post, post));
        var tag = context.Render<MudChip<string>>(p => p.Add(c => c.Size, Size.Small).Add(c => c.Href, "community?tag=numpy").AddChildContent("#numpy"));
        var code = context.Render<MudChip<string>>(p => p.Add(c => c.Size, Size.Small).Add(c => c.Icon, Icons.Material.Filled.Code)
            .Add(c => c.Color, Color.Info).Add(c => c.Variant, Variant.Outlined).AddChildContent("python"));
        var link = context.Render<MudLink>(p => p.Add(l => l.Href, "community/posts/42").Add(l => l.Typo, Typo.h6).Add(l => l.Class, "post-card-title").AddChildContent("标题"));
        var chips = card.FindAll(".mud-chip");
        Assert.Equal(tag.Find(".mud-chip").OuterHtml, chips[0].OuterHtml);
        WithSpriteDrawn(chips[1].OuterHtml).MarkupMatches(code.Find(".mud-chip").OuterHtml);
        // MudLink also wires an onclick that, without OnClick or Disabled, does nothing: the link navigates either way.
        Assert.Equal(WithoutHandlers(link.Find("a").OuterHtml), card.Find(".post-card-title").OuterHtml);
        Assert.Equal("mud-paper mud-paper-outlined post-card pa-4", card.Find("[data-post-id='42']").ClassName);
    }

    [Theory]
    [InlineData("filled", "primary", Variant.Filled, Color.Primary)]
    [InlineData("outlined", "default", Variant.Outlined, Color.Default)]
    public void Tag_filter_chip_classes_equal_a_small_MudChip_link(string variant, string color, Variant mudVariant, Color mudColor)
    {
        var mud = context.Render<MudChip<string>>(p => p.Add(c => c.Size, Size.Small).Add(c => c.Href, "community?tag=x")
            .Add(c => c.Variant, mudVariant).Add(c => c.Color, mudColor).AddChildContent("#x"));
        Assert.Equal(mud.Find("a").ClassName, MudMarkup.SmallLinkChip(variant, color));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("/avatars/0f3a.png")]
    public void Author_line_equals_UserAvatar_and_the_name_link(string? avatar)
    {
        var author = new AuthorView("id-1", "li<hua>", "李\"华\" <script>alert(1)</script>", avatar);
        var line = context.Render(b => b.AddContent(0, AuthorLine.For(author, "2026-11-23 09:40 · 已编辑")));
        var avatarMarkup = context.Render<UserAvatar>(p => p.Add(a => a.Author, author));
        var expected = context.Render(b =>
        {
            b.OpenElement(0, "a"); b.AddAttribute(1, "class", "post-author"); b.AddAttribute(2, "href", "u/" + author.UserName);
            b.AddContent(3, author.DisplayName); b.CloseElement();
            b.OpenElement(4, "span"); b.AddAttribute(5, "class", "post-meta"); b.AddContent(6, "2026-11-23 09:40 · 已编辑"); b.CloseElement();
        });
        line.MarkupMatches(Regex.Replace(avatarMarkup.Markup, @" style=""""", "") + expected.Markup);
        // Whatever a user wrote stays text.
        Assert.Empty(line.FindAll("script"));
        Assert.Contains("<script>", line.Find(".post-author").TextContent);
    }

    [Fact]
    public void Page_encoding_lets_Chinese_through_and_still_encodes_what_HTML_gives_a_meaning()
    {
        Assert.Equal("李华 &lt;script&gt;&amp;&quot;&#x27;", CodeRunner.Web.Hosting.PageEncoding.Html.Encode("李华 <script>&\"'"));
    }

    [Theory]
    [InlineData("community", "community", true)]
    [InlineData("community/posts/7?x=1", "community", true)]
    [InlineData("communityx", "community", false)]
    [InlineData("run", "community", false)]
    public void Nav_links_equal_MudNavLink_and_mark_the_current_page(string at, string href, bool active)
    {
        context.AddAuthorization();
        context.Services.GetRequiredService<NavigationManager>().NavigateTo(at);
        var menu = context.Render<NavMenu>();
        var ours = menu.FindAll(".mud-nav-item").Single(i => i.QuerySelector("a")!.GetAttribute("href") == href);
        var mud = context.Render<MudNavLink>(p => p.Add(l => l.Href, href).Add(l => l.Icon, Icons.Material.Filled.Groups)
            .Add(l => l.Match, NavLinkMatch.Prefix).AddChildContent(ours.TextContent));
        Assert.Equal(WithoutHandlers(mud.Find(".mud-nav-item").OuterHtml), WithoutHandlers(ours.OuterHtml));
        Assert.Equal(active, ours.QuerySelector("a")!.ClassList.Contains("active"));
    }

    [Theory]
    [InlineData("admin", "admin", NavLinkMatch.All, true)]
    [InlineData("admin/users", "admin", NavLinkMatch.All, false)]
    [InlineData("admin/users", "admin/users", NavLinkMatch.Prefix, true)]
    [InlineData("admin/users/", "admin/users", NavLinkMatch.Prefix, true)]
    [InlineData("Admin/Users#top", "admin/users", NavLinkMatch.Prefix, true)]
    [InlineData("", "run", NavLinkMatch.Prefix, false)]
    public void Nav_link_matching_follows_NavLink(string current, string href, NavLinkMatch match, bool active) =>
        Assert.Equal(active, NavMenu.IsActive(current, href, match));

    [Fact]
    public void Stat_icons_from_the_sprite_draw_what_MudIcon_draws()
    {
        foreach (var (icon, ours) in new[] { (Icons.Material.Filled.ThumbUp, CommunityIcons.Like), (Icons.Material.Filled.ChatBubbleOutline, CommunityIcons.Comments),
                     (Icons.Material.Filled.Visibility, CommunityIcons.Views) })
        {
            var mud = context.Render<MudIcon>(p => p.Add(i => i.Icon, icon).Add(i => i.Size, Size.Small));
            WithSpriteDrawn(ours.Value).MarkupMatches(mud.Markup);
        }
    }

    // An icon that refers to a symbol of the community sprite, with the symbol's paths put in its place (what the browser draws).
    private static string WithSpriteDrawn(string html) => Regex.Replace(html, @"<use href=""#([\w-]+)""></use>", use =>
    {
        var symbol = Regex.Match(CommunityIcons.Sprite.Value, $@"<symbol id=""{use.Groups[1].Value}"" viewBox=""0 0 24 24"">(.*?)</symbol>");
        Assert.True(symbol.Success, "no symbol " + use.Groups[1].Value);
        return symbol.Groups[1].Value;
    });

    private static string WithoutHandlers(string html) => Regex.Replace(html, @" blazor:on\w+=""\d+""", "");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        CultureInfo.CurrentUICulture = previousCulture;
        await context.DisposeAsync();
    }
}
