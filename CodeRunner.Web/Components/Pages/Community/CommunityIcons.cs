using CodeRunner.Web.Components.Shared;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CodeRunner.Web.Components.Pages.Community;

/// <summary>
/// Icons repeated on every feed card and comment, drawn from one sprite per list (MudMarkup.IconUse): the paths of a
/// MudIcon are ~400 characters, written out again for each of a thread's hundred like buttons they were a third of the page.
/// </summary>
internal static class CommunityIcons
{
    public static readonly MarkupString Like = MudMarkup.IconUse("cr-icon-like");
    public static readonly MarkupString Comments = MudMarkup.IconUse("cr-icon-comments");
    public static readonly MarkupString Views = MudMarkup.IconUse("cr-icon-views");
    public static readonly MarkupString Code = MudMarkup.IconUse("cr-icon-code", cssClass: "mud-chip-icon");

    /// <summary>Once before a list of cards or a comment thread.</summary>
    public static readonly MarkupString Sprite = MudMarkup.IconSprite(
        ("cr-icon-like", Icons.Material.Filled.ThumbUp),
        ("cr-icon-comments", Icons.Material.Filled.ChatBubbleOutline),
        ("cr-icon-views", Icons.Material.Filled.Visibility),
        ("cr-icon-code", Icons.Material.Filled.Code));
}
