using System.Net;
using System.Net.Sockets;
using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>One host:port an install may reach through the proxy.</summary>
/// <param name="PlainHttp">The source is an http:// URL, so plain GET/HEAD requests are forwarded too (else only CONNECT, i.e. TLS).</param>
/// <param name="Configured">Named by the admin (an index, mirror, channel URL or extra host): it may be a LAN or loopback host.
/// Implicit defaults (PyPI, anaconda.org) must resolve to public addresses.</param>
public sealed record AllowedDestination(string Host, int Port, bool PlainHttp, bool Configured)
{
    public override string ToString() => PackageIndexAllowlist.Format(Host, Port);
}

/// <summary>
/// The host:port pairs of the configured package sources: the only places an install's proxy connects to.
/// Built from the same <see cref="PackageSources"/> the tool gets as arguments, so what pip is told to use is what it may reach.
/// </summary>
public sealed class PackageIndexAllowlist
{
    /// <summary>pip's default index and the host its files are served from.</summary>
    public static readonly IReadOnlyList<string> PyPiHosts = ["pypi.org", "files.pythonhosted.org"];
    /// <summary>conda's default channels and where named channels (conda-forge, bioconda) live.</summary>
    public static readonly IReadOnlyList<string> AnacondaHosts = ["conda.anaconda.org", "repo.anaconda.com"];

    private readonly Dictionary<(string Host, int Port), AllowedDestination> destinations;

    public PackageIndexAllowlist(IEnumerable<AllowedDestination> entries)
    {
        destinations = [];
        foreach (var entry in entries)
        {
            var key = (NormalizeHost(entry.Host), entry.Port);
            destinations[key] = destinations.TryGetValue(key, out var existing)
                ? existing with { PlainHttp = existing.PlainHttp || entry.PlainHttp, Configured = existing.Configured || entry.Configured }
                : entry with { Host = key.Item1 };
        }
    }

    public IReadOnlyCollection<AllowedDestination> Destinations => destinations.Values;

    public bool IsEmpty => destinations.Count == 0;

    /// <summary>The entry for exactly this host and port (case-insensitive host, IP literals normalized); null = not allowed.</summary>
    public AllowedDestination? Find(string host, int port) => destinations.GetValueOrDefault((NormalizeHost(host), port));

    /// <summary>pip's sources: the index (PyPI when none is configured, nothing with NoIndex), extra indexes, find-links URLs.</summary>
    public static PackageIndexAllowlist ForPip(PackageSources sources, IEnumerable<string>? extraHosts = null)
    {
        var entries = new List<AllowedDestination>();
        if (!sources.NoIndex)
        {
            if (sources.PipIndexUrl is { } index) AddUrl(entries, index);
            else entries.AddRange(PyPiHosts.Select(host => new AllowedDestination(host, 443, PlainHttp: false, Configured: false)));
            foreach (var extra in sources.PipExtraIndexUrls) AddUrl(entries, extra);
        }
        foreach (var links in sources.FindLinks) AddUrl(entries, links);
        AddExtraHosts(entries, extraHosts);
        return new PackageIndexAllowlist(entries);
    }

    /// <summary>conda's channels: URLs as configured, named channels and the defaults on anaconda.org.</summary>
    public static PackageIndexAllowlist ForConda(PackageSources sources, IEnumerable<string>? extraHosts = null)
    {
        var entries = new List<AllowedDestination>();
        var named = sources.CondaChannels.Count == 0;
        foreach (var channel in sources.CondaChannels)
        {
            if (channel.Contains("://", StringComparison.Ordinal)) AddUrl(entries, channel);
            else named = true;
        }
        if (named) entries.AddRange(AnacondaHosts.Select(host => new AllowedDestination(host, 443, PlainHttp: false, Configured: false)));
        AddExtraHosts(entries, extraHosts);
        return new PackageIndexAllowlist(entries);
    }

    /// <summary>host:port with IPv6 literals in brackets, as in a CONNECT request.</summary>
    public static string Format(string host, int port) => (host.Contains(':') ? $"[{host}]" : host) + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Lower case, no trailing dot, no brackets; IP literals in their canonical form (so 127.000.0.1 cannot dodge a match).</summary>
    public static string NormalizeHost(string host)
    {
        var trimmed = host.Trim().TrimEnd('.').Trim('[', ']').ToLowerInvariant();
        return IPAddress.TryParse(trimmed, out var address) && (address.AddressFamily == AddressFamily.InterNetworkV6 || trimmed.Count(c => c == '.') == 3)
            ? NetworkAddresses.Canonical(address).ToString()
            : trimmed;
    }

    /// <summary>Addresses no destination may have, configured or not: "any" (0.0.0.0 reaches the host's loopback on Linux), multicast, broadcast.</summary>
    public static bool IsNeverAllowed(IPAddress address)
    {
        address = NetworkAddresses.Canonical(address);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast) || address.IsIPv6Multicast) return true;
        return address.AddressFamily == AddressFamily.InterNetwork && (address.GetAddressBytes()[0] == 0 || address.GetAddressBytes()[0] >= 224);
    }

    private static void AddUrl(List<AllowedDestination> entries, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IdnHost.Length == 0) return;
        entries.Add(new AllowedDestination(uri.IdnHost, uri.Port, PlainHttp: uri.Scheme == "http", Configured: true));
    }

    /// <summary>Sandbox:InstallNetworkAllowedHosts entries: "host" (port 443, TLS only) or "host:port", e.g. a mirror's file CDN.</summary>
    private static void AddExtraHosts(List<AllowedDestination> entries, IEnumerable<string>? extraHosts)
    {
        foreach (var raw in extraHosts ?? [])
        {
            var value = raw.Trim();
            if (value.Length == 0) continue;
            if (value.Contains("://", StringComparison.Ordinal)) { AddUrl(entries, value); continue; }
            if (Uri.TryCreate("https://" + value, UriKind.Absolute, out var uri) && uri.IdnHost.Length > 0 && uri.PathAndQuery == "/")
                entries.Add(new AllowedDestination(uri.IdnHost, uri.Port, PlainHttp: false, Configured: true));
        }
    }
}
