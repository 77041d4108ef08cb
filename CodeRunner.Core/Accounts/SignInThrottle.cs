using System.Collections.Concurrent;

namespace CodeRunner.Core.Accounts;

/// <summary>
/// Failed sign-ins counted per (login, client IP). After <see cref="MaxFailures"/> failures within
/// <see cref="Window"/> that client is refused for that login until the window ends, whether or not the account
/// exists (so the refusal confirms nothing). Counting per client rather than per account is deliberate: a hard
/// per-account lockout (Identity's) lets anyone lock anyone out, the admin included, with five wrong passwords.
/// Spraying many logins from one address is bounded separately by the per-IP rate limit on the sign-in form.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    // Memory stays bounded whatever an attacker sends: expired entries are dropped, and past this size everything is.
    private const int MaxEntries = 100_000;

    private sealed record Entry(int Failures, DateTimeOffset WindowEnds);

    private readonly ConcurrentDictionary<string, Entry> entries = new();

    /// <summary>How long this client must wait before trying this login again, or null when it may try now.</summary>
    public TimeSpan? RetryAfter(string login, string? client)
    {
        var now = clock.GetUtcNow();
        if (!entries.TryGetValue(Key(login, client), out var entry) || entry.WindowEnds <= now || entry.Failures < MaxFailures)
            return null;
        return entry.WindowEnds - now;
    }

    public void RecordFailure(string login, string? client)
    {
        var now = clock.GetUtcNow();
        if (entries.Count >= MaxEntries) Prune(now);
        entries.AddOrUpdate(Key(login, client), _ => new Entry(1, now + Window),
            (_, e) => e.WindowEnds <= now ? new Entry(1, now + Window) : e with { Failures = e.Failures + 1 });
    }

    public void Reset(string login, string? client) => entries.TryRemove(Key(login, client), out _);

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in entries)
            if (entry.WindowEnds <= now) entries.TryRemove(key, out _);
        if (entries.Count >= MaxEntries) entries.Clear();
    }

    private static string Key(string login, string? client) => login.Trim().ToUpperInvariant() + "\n" + (client ?? "-");
}
