using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;

namespace CodeRunner.Web.Components.Shared;

/// <summary>
/// MudBlazor's own markup for static pieces, written as plain HTML with MudBlazor's CSS classes (so they look the same).
/// In lists of many items (comment threads, feed cards) a MudBlazor component per icon, chip, button or avatar was most of
/// the page's server render time, and there they add no behaviour.
/// </summary>
public static class MudMarkup
{
    // Keyed by MudBlazor's icon constants (a fixed set) and constant classes, so this stays small.
    private static readonly ConcurrentDictionary<(string Icon, string Classes), MarkupString> Svgs = new();

    /// <summary>What <c>&lt;MudIcon Icon="icon" Size="size" Class="cssClass" /&gt;</c> renders; <paramref name="icon"/> is one of <see cref="MudBlazor.Icons"/>.</summary>
    public static MarkupString Icon(string icon, string size = "small", string? cssClass = null) =>
        Svg(icon, $"mud-icon-root mud-svg-icon mud-icon-size-{size}{(cssClass is null ? "" : " " + cssClass)}");

    /// <summary>A MudBlazor icon's svg with the given classes (components that draw icons themselves order them their own way).</summary>
    public static MarkupString Svg(string icon, string classes) =>
        Svgs.GetOrAdd((icon, classes), key => new MarkupString(
            $"""<svg class="{key.Classes}" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">{key.Icon}</svg>"""));

    /// <summary>The classes of a small text <c>MudButton</c> of the given color ("default", "primary", "error").</summary>
    public static string SmallTextButton(string color, string? extra = null) =>
        $"mud-button-root mud-button mud-button-text mud-button-text-{color} mud-button-text-size-small mud-ripple{(extra is null ? "" : " " + extra)}";

    /// <summary>The classes of a small <c>MudChip</c> with an Href (an <c>a</c>), e.g. ("outlined", "default").</summary>
    public static string SmallLinkChip(string variant, string color) =>
        $"mud-chip mud-chip-{variant} mud-chip-size-small mud-chip-color-{color} mud-clickable";

    /// <summary>
    /// An icon drawn from a symbol of <see cref="IconSprite"/> on the same page: the same svg element and classes as
    /// <see cref="Icon"/>, with a reference instead of the paths. For icons repeated on every item of a long list.
    /// </summary>
    public static MarkupString IconUse(string symbolId, string size = "small", string? cssClass = null) =>
        Svgs.GetOrAdd(("#" + symbolId, $"mud-icon-root mud-svg-icon mud-icon-size-{size}{(cssClass is null ? "" : " " + cssClass)}"), key => new MarkupString(
            $"""<svg class="{key.Classes}" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img"><use href="{key.Icon}"></use></svg>"""));

    /// <summary>The symbols <see cref="IconUse"/> refers to, once per page (an invisible svg; "icon-sprite" in app.css).</summary>
    public static MarkupString IconSprite(params (string SymbolId, string Icon)[] symbols)
    {
        var inner = string.Concat(symbols.Select(s => $"""<symbol id="{s.SymbolId}" viewBox="0 0 24 24">{s.Icon}</symbol>"""));
        return new MarkupString($"""<svg class="icon-sprite" aria-hidden="true" focusable="false">{inner}</svg>""");
    }
}
