namespace CodeRunner.Web.Components.Pages.Community;

/// <summary>The community pages share one resource file (Resources/Components/Pages/Community/CommunityText.resx).</summary>
public sealed class CommunityText;

/// <summary>Time shown on community pages (server local time, like the rest of the app until the shared LocalTime lands).</summary>
internal static class CommunityFormat
{
    public static string When(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToLocalTime().ToString("yyyy-MM-dd HH:mm");
}
