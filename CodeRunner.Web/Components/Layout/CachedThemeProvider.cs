using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using MudBlazor;
using MudBlazor.State;

namespace CodeRunner.Web.Components.Layout;

/// <summary>
/// <see cref="MudThemeProvider"/> that writes its CSS variables once per theme and mode instead of on every render. The
/// variables of a theme object do not change (ours is <see cref="ThemeState.Theme"/>, built once), but MudBlazor formats
/// all ~170 of them again for every page: about a quarter of a page's allocations before this cache.
/// </summary>
public sealed class CachedThemeProvider : MudThemeProvider
{
    // Per theme object, the light [0] and dark [1] variables; a theme that is collected takes its entry with it.
    private static readonly ConditionalWeakTable<MudTheme, string?[]> Variables = new();

    // The mode MudBlazor itself renders with is its private parameter state (MudBlazor's analyzer forbids reading the
    // IsDarkMode property, which can lag behind it). If an upgrade renames it, nothing is cached: same output, just slower.
    private static readonly FieldInfo? DarkModeState =
        typeof(MudThemeProvider).GetField("_isDarkModeState", BindingFlags.Instance | BindingFlags.NonPublic) is { } field
        && field.FieldType == typeof(ParameterState<bool>) ? field : null;

    /// <summary>Whether the variables are cached (false only if MudBlazor's internals changed; see the tests).</summary>
    internal static bool Caches => DarkModeState is not null;

    protected override void GenerateTheme(StringBuilder theme)
    {
        if (DarkModeState?.GetValue(this) is not ParameterState<bool> mode || GetTheme() is not { } current)
        {
            base.GenerateTheme(theme);
            return;
        }
        var cached = Variables.GetValue(current, _ => new string?[2]);
        var index = mode.Value ? 1 : 0;
        var css = Volatile.Read(ref cached[index]);
        if (css is null)
        {
            var fresh = new StringBuilder();
            base.GenerateTheme(fresh);
            css = fresh.ToString();
            Volatile.Write(ref cached[index], css);
        }
        theme.Append(css);
    }
}
