// The viewer's IANA time zone (Components/Shared/ViewerTimeZone.cs): kept in a cookie so the server's prerender shows
// times in it, and readable over the circuit for the very first visit (before the cookie was ever sent).
(function () {
    window.codeRunnerTimeZone = function () {
        try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { return ""; }
    };
    const zone = window.codeRunnerTimeZone();
    if (zone) document.cookie = `coderunner.tz=${encodeURIComponent(zone)}; path=/; max-age=${60 * 60 * 24 * 365}; samesite=lax`;
})();
