using System.Globalization;

namespace CodeRunner.Web.Components.Pages.Environments;

/// <summary>How sizes and times of environments are shown.</summary>
public static class EnvironmentFormat
{
    public static string Bytes(long? bytes)
    {
        if (bytes is not { } value) return "—";
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double size = value;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }
        return unit == 0 ? $"{value} B" : size.ToString(size >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>UTC from the database shown in the server's local time.</summary>
    public static string Time(DateTime? utc) =>
        utc is { } value ? DateTime.SpecifyKind(value, DateTimeKind.Utc).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "—";
}
