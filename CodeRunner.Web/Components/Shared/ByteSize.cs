using System.Globalization;

namespace CodeRunner.Web.Components.Shared;

/// <summary>How every page writes a size: 512 B, 1.5 KB, 120 MB; "—" when unknown.</summary>
public static class ByteSize
{
    public static string Format(long? bytes)
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
}
