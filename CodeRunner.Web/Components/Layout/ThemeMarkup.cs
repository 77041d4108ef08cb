using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace CodeRunner.Web.Components.Layout;

/// <summary>
/// What <see cref="MudThemeProvider"/> writes for the app's theme (<see cref="ThemeState.Theme"/>), rendered once per mode
/// and kept. A prerendered page needs only these style blocks, but the component costs ~200 KB of allocations per page
/// (a default MudTheme in its constructor, then all ~170 CSS variables formatted again): a quarter of the layout's cost.
/// </summary>
public sealed class ThemeMarkup(IServiceScopeFactory scopes, ILoggerFactory loggers)
{
    private readonly Task<string>?[] byMode = new Task<string>?[2];

    public Task<string> GetAsync(bool dark)
    {
        var index = dark ? 1 : 0;
        var cached = Volatile.Read(ref byMode[index]);
        // A failed render is not kept: the next page tries again.
        if (cached is null || cached.IsFaulted || cached.IsCanceled)
        {
            cached = RenderAsync(dark);
            Volatile.Write(ref byMode[index], cached);
        }
        return cached;
    }

    private async Task<string> RenderAsync(bool dark)
    {
        await using var scope = scopes.CreateAsyncScope();
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, loggers);
        var parameters = ParameterView.FromDictionary(new Dictionary<string, object?>
        {
            [nameof(MudThemeProvider.Theme)] = ThemeState.Theme,
            [nameof(MudThemeProvider.IsDarkMode)] = dark,
        });
        return await renderer.Dispatcher.InvokeAsync(async () => (await renderer.RenderComponentAsync<MudThemeProvider>(parameters)).ToHtmlString());
    }
}
