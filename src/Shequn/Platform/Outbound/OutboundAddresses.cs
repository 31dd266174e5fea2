using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Shequn.Platform.Outbound;

/// <summary>
/// Which addresses a server-side fetch may not reach unless an operator allowed the host: everything that is not the
/// public internet. IPv6 forms that carry an IPv4 address (mapped <c>::ffff:a.b.c.d</c>, compatible <c>::a.b.c.d</c>,
/// NAT64 <c>64:ff9b::/96</c>, 6to4 <c>2002::/16</c>) are judged by the IPv4 address they lead to.
/// </summary>
public static class OutboundAddresses
{
    /// <summary>The class of a refused address ("loopback", "private", …), or null for a public one.</summary>
    public static string? Refusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return RefusalV4(BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes()));
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return "not IP";

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        var high = BinaryPrimitives.ReadUInt64BigEndian(b);
        var low = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
        var v4 = (uint)low;
        if (high == 0 && low == 0)
            return "unspecified";
        if (high == 0 && low == 1)
            return "loopback";
        if (high == 0 && low >> 32 == 0xFFFF)
            return RefusalV4(v4); // ::ffff:a.b.c.d, what a dual-mode socket connects to for a.b.c.d
        if (high == 0 && low >> 32 == 0)
            return RefusalV4(v4) ?? "reserved"; // ::a.b.c.d, deprecated; never a real destination
        if (high == 0x0064_FF9B_0000_0000 && low >> 32 == 0)
            return RefusalV4(v4); // NAT64 well-known prefix
        if (b[0] == 0x20 && b[1] == 0x02)
            return RefusalV4(BinaryPrimitives.ReadUInt32BigEndian(b[2..])); // 6to4

        var first16 = (ushort)(high >> 48);
        return first16 switch
        {
            >= 0xFC00 and <= 0xFDFF => "private", // unique local fc00::/7 (includes the cloud metadata fd00:ec2::254)
            >= 0xFE80 and <= 0xFEBF => "link-local",
            >= 0xFEC0 and <= 0xFEFF => "private", // site-local, deprecated
            >= 0xFF00 => "multicast",
            0x0064 when (high >> 32) == 0x0064_FF9B => "private", // local-use NAT64 64:ff9b:1::/48
            0x0100 when (high >> 32) == 0x0100_0000 && (uint)high == 0 => "reserved", // discard-only 100::/64
            0x2001 when (ushort)(high >> 32) == 0x0DB8 => "reserved", // documentation 2001:db8::/32
            0x2001 when (ushort)(high >> 32) == 0 => "reserved", // Teredo: the IPv4 address is hidden
            _ => null,
        };
    }

    private static string? RefusalV4(uint a) => a switch
    {
        0xA9FE_A9FE => "metadata", // 169.254.169.254: the cloud instance metadata service
        _ when In(a, 0x7F00_0000, 8) => "loopback",
        _ when In(a, 0x0000_0000, 8) => "unspecified",
        _ when In(a, 0x0A00_0000, 8) || In(a, 0xAC10_0000, 12) || In(a, 0xC0A8_0000, 16) => "private",
        _ when In(a, 0xA9FE_0000, 16) => "link-local",
        _ when In(a, 0x6440_0000, 10) => "shared (CGNAT)",
        0xFFFF_FFFF => "broadcast",
        _ when In(a, 0xE000_0000, 4) => "multicast",
        _ when In(a, 0xF000_0000, 4) => "reserved",
        // IETF protocol assignments (192.0.0.0/24), documentation, benchmarking.
        _ when In(a, 0xC000_0000, 24) || In(a, 0xC000_0200, 24) || In(a, 0xC633_6400, 24) || In(a, 0xCB00_7100, 24) || In(a, 0xC612_0000, 15) => "reserved",
        _ => null,
    };

    private static bool In(uint address, uint network, int prefix) => address >> (32 - prefix) == network >> (32 - prefix);
}
