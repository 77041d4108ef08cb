namespace CodeRunner.Web.Components.Shared;

/// <summary>
/// The viewer's time zone, per circuit (issue 9, item 5): times are stored in UTC and shown in the browser's zone.
/// js/timezone.js writes the browser's IANA zone to the <see cref="CookieName"/> cookie on every page load, so the
/// prerendered paint already has it from the second visit on; on the very first visit the layout asks the browser over
/// the circuit (<see cref="SetFromBrowser"/>) and every <see cref="LocalTime"/> re-renders on <see cref="Changed"/>.
/// Until then (or for a zone this server does not know) the server's local zone is used.
/// </summary>
public sealed class ViewerTimeZone
{
    public const string CookieName = "coderunner.tz";

    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Local;

    /// <summary>True once the zone came from the browser (cookie or circuit), false while it is the server's fallback.</summary>
    public bool IsFromBrowser { get; private set; }

    public event Action? Changed;

    /// <summary>The cookie's value as sent with the page request.</summary>
    public void Initialize(string? cookieValue)
    {
        if (TryFind(cookieValue) is { } zone)
        {
            Zone = zone;
            IsFromBrowser = true;
        }
    }

    /// <summary>The zone the browser reported over the circuit; raises <see cref="Changed"/> when it differs.</summary>
    public void SetFromBrowser(string? id)
    {
        if (TryFind(id) is not { } zone) return;
        var changed = zone.Id != Zone.Id;
        Zone = zone;
        IsFromBrowser = true;
        if (changed) Changed?.Invoke();
    }

    /// <summary>A UTC instant (Kind Unspecified counts as UTC: that is how the database returns it) in the viewer's zone.</summary>
    public DateTime ToViewer(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    private static TimeZoneInfo? TryFind(string? id)
    {
        // The cookie is user-controlled: only a plausible zone id is looked up, anything else is ignored.
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '+')) return null;
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
    }
}
