using System.Globalization;

namespace CodeRunner.Web.Components.Pages.Admin;

/// <summary>How the admin pages write durations (sizes: ByteSize; times: LocalTime, in the viewer's zone).</summary>
public static class AdminFormat
{
    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}"
        : span.TotalMinutes >= 1 ? $"{span.Minutes}:{span.Seconds:00}"
        : span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
