using MudBlazor;

namespace CodeRunner.Web.Components.Layout;

/// <summary>Light or dark, per circuit. The person's explicit choice is kept in the <see cref="CookieName"/> cookie
/// (so the first, prerendered paint already has it); without one the OS setting is followed.
/// Pages that draw their own colors (Monaco: <see cref="MonacoTheme"/>) read <see cref="IsDarkMode"/> and
/// re-render on <see cref="Changed"/>.</summary>
public sealed class ThemeState
{
    public const string CookieName = "coderunner.theme";

    /// <summary>"light", "dark", or null = follow the OS.</summary>
    public string? Choice { get; private set; }

    public bool SystemIsDark { get; private set; }

    public bool IsDarkMode => Choice switch { "dark" => true, "light" => false, _ => SystemIsDark };

    public string MonacoTheme => IsDarkMode ? "vs-dark" : "vs";

    public event Action? Changed;

    /// <summary>The cookie's value as sent with the page request (anything but light/dark means "follow the OS").</summary>
    public void Initialize(string? cookieValue) => Choice = cookieValue is "light" or "dark" ? cookieValue : null;

    public void SetSystemIsDark(bool dark)
    {
        if (SystemIsDark == dark) return;
        SystemIsDark = dark;
        if (Choice is null) Changed?.Invoke();
    }

    public void Choose(string? choice)
    {
        Choice = choice is "light" or "dark" ? choice : null;
        Changed?.Invoke();
    }

    /// <summary>The app's palette: MudBlazor's defaults with our accent, in both modes.</summary>
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#2563eb", AppbarBackground = "#ffffff", AppbarText = "#111827", Background = "#f6f7fb" },
        PaletteDark = new PaletteDark { Primary = "#60a5fa", AppbarBackground = "#1f2127", Background = "#17181c" },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "230px" },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "sans-serif"] },
            // MudBlazor upper-cases button labels by default; English labels keep the case they were written in.
            Button = new ButtonTypography { TextTransform = "none" },
        },
    };
}
