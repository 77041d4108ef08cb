using System.Text;
using CodeRunner.Core.Community;
using Microsoft.AspNetCore.Components;

namespace CodeRunner.Web.Components.Pages.Community;

/// <summary>
/// The start of a feed card's or a comment's head line, avatar, name (a link to the profile) and time, as one piece of
/// markup. It has no behaviour, and as a UserAvatar component plus a dozen render frames it cost ~5 KB of allocations per
/// card or comment; a long thread has hundreds. Everything a user wrote is encoded with the encoder Blazor itself uses (PageEncoding).
/// </summary>
internal static class AuthorLine
{
    public static MarkupString For(AuthorView author, string when)
    {
        var html = CodeRunner.Web.Hosting.PageEncoding.Html;
        var line = new StringBuilder(320);
        if (string.IsNullOrEmpty(author.AvatarUrl))
        {
            // UserAvatar's default avatar (MudAvatar's markup; see MudMarkup).
            line.Append("""<div class="mud-avatar mud-avatar-small mud-avatar-filled mud-avatar-filled-primary mud-elevation-0">""")
                .Append(html.Encode(UserAvatar.InitialOf(author))).Append("</div>");
        }
        else
        {
            // UserAvatar's uploaded avatar (MudAvatar with a MudImage).
            line.Append("<div class=\"mud-avatar mud-avatar-small mud-avatar-filled mud-avatar-filled-default mud-elevation-0\"><img alt=\"")
                .Append(html.Encode(author.UserName)).Append("\" src=\"").Append(html.Encode(author.AvatarUrl))
                .Append("\" class=\"mud-image object-fill object-center\" /></div>");
        }
        line.Append("""<a class="post-author" href="u/""").Append(html.Encode(author.UserName)).Append("\">")
            .Append(html.Encode(author.DisplayName)).Append("</a>")
            .Append("""<span class="post-meta">""").Append(html.Encode(when)).Append("</span>");
        return new MarkupString(line.ToString());
    }
}
