using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Tiers;

/// <summary>Where the daily quota day starts and ends ("Quotas" configuration section).</summary>
public sealed class QuotaOptions
{
    public const string Section = "Quotas";

    /// <summary>IANA (or Windows) time zone id whose midnight resets the daily quotas, e.g. "Asia/Shanghai";
    /// empty = the server's local zone.</summary>
    public string? TimeZone { get; set; }
}

/// <summary>
/// The one definition of "today" for daily quotas and the usage-per-day chart: a calendar day in the configured
/// <see cref="QuotaOptions.TimeZone"/>. Quotas, usage queries and the API's X-RateLimit-Reset / Retry-After all read it,
/// so a team in Shanghai gets its quota back at its own midnight, not at 08:00.
/// </summary>
public sealed class QuotaDay
{
    private readonly TimeProvider clock;

    public QuotaDay(IOptions<QuotaOptions> options, TimeProvider clock)
    {
        this.clock = clock;
        Zone = FindZone(options.Value.TimeZone);
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>Today's quota day and the UTC instant it ends (the next reset).</summary>
    public (DateOnly Day, DateTime ResetsAtUtc) Today()
    {
        var day = DayOf(clock.GetUtcNow().UtcDateTime);
        return (day, StartUtc(day.AddDays(1)));
    }

    /// <summary>The quota day a UTC instant falls on.</summary>
    public DateOnly DayOf(DateTime utc) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone));

    /// <summary>The UTC instant a quota day begins (its local midnight; if a DST jump skips midnight, the first valid minute after it).</summary>
    public DateTime StartUtc(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        // An ambiguous midnight (clocks turned back over it) starts at its first occurrence.
        if (Zone.IsAmbiguousTime(local)) return local - Zone.GetAmbiguousTimeOffsets(local).Max();
        return TimeZoneInfo.ConvertTimeToUtc(local, Zone);
    }

    /// <summary>Whole seconds from now until <paramref name="utc"/>, at least 1 (for Retry-After).</summary>
    public long SecondsUntil(DateTime utc) =>
        Math.Max(1, (long)Math.Ceiling((DateTime.SpecifyKind(utc, DateTimeKind.Utc) - clock.GetUtcNow().UtcDateTime).TotalSeconds));

    /// <summary>The configured zone; an unknown id fails the start with a sentence that says so.</summary>
    public static TimeZoneInfo FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Local;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new InvalidOperationException($"Quotas:TimeZone '{id}' is not a time zone this server knows (use an IANA id such as Asia/Shanghai).", e);
        }
    }
}
