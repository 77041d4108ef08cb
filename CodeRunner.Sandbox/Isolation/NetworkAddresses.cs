using System.Net;
using System.Net.Sockets;

namespace CodeRunner.Sandbox.Isolation;

/// <summary>
/// The one classification of addresses that are not on the public internet: the install proxy refuses them for
/// built-in package indexes, and the AI client for provider URLs (unless the admin allows a private network).
/// </summary>
public static class NetworkAddresses
{
    /// <summary>True for addresses that are not on the public internet: loopback, RFC 1918, CGNAT, link-local, unique-local, and the like.</summary>
    public static bool IsNonPublic(IPAddress address)
    {
        address = Canonical(address);
        if (IPAddress.IsLoopback(address)) return true;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] is 0 or 10 or 127 || b[0] >= 224
                || (b[0] == 100 && (b[1] & 0xC0) == 64)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && (b[1] & 0xFE) == 18);
        }
        return address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
    }

    /// <summary>An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that IPv4 address.</summary>
    public static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
