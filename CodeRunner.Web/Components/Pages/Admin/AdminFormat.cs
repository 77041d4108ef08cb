using System.Globalization;

namespace CodeRunner.Web.Components.Pages.Admin;

/// <summary>How the admin pages write sizes, durations and times (UTC, as stored).</summary>
public static class AdminFormat
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}"
        : span.TotalMinutes >= 1 ? $"{span.Minutes}:{span.Seconds:00}"
        : span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    public static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Day(DateTime utc) => utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
