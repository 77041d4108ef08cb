using Microsoft.JSInterop;

namespace CodeRunner.Web.Components.Shared;

/// <summary>
/// Switches Monaco's theme in this circuit's browser. BlazorMonaco's <c>Global.SetTheme</c> is not used: it calls
/// through one static JS runtime shared by every circuit (whichever created an editor last), so one person's theme
/// switch reached another person's page, and a call routed to a closed circuit hung until the interop timeout.
/// </summary>
public static class MonacoThemes
{
    public static async Task ApplyAsync(IJSRuntime js, string theme) =>
        await js.InvokeAsync<bool>("blazorMonaco.editor.setTheme", theme);
}
