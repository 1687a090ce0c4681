package p2p

import (
	"fmt"
	"net/netip"
)

// Address ranges that no peer on the internet can reach: besides the
// private, loopback and link-local ones the standard library knows, carrier
// NAT (RFC 6598), the documentation and benchmarking networks (RFC 5737,
// RFC 2544, RFC 3849) and the reserved class E.
var unroutablePrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// gossipAddress parses the host and port of an address learned from a peer
// (a PEX message, a hello, the address book file) and tells why it is not
// one to keep, or returns it. Only IP literals are kept: a name in gossip
// would make the node resolve whatever its peers tell it to. No address
// that can never be dialed is kept (unspecified, multicast, broadcast,
// port 0). With strict, as CometBFT's addr_book_strict, only addresses
// reachable across the internet are kept; without it (private networks,
// tests on one machine) private and loopback ones too.
func gossipAddress(ip string, port uint32, strict bool) (netip.AddrPort, error) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP address", ip)
	}
	addr = addr.Unmap()
	if port == 0 || port > 65535 {
		return netip.AddrPort{}, fmt.Errorf("port %d is not in 1-65535", port)
	}
	ap := netip.AddrPortFrom(addr, uint16(port))
	switch {
	case addr.IsUnspecified() || addr.IsMulticast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return netip.AddrPort{}, fmt.Errorf("%s can never be dialed", addr)
	case strict && !routable(addr):
		return netip.AddrPort{}, fmt.Errorf("%s is not routable (set [p2p] addr_book_strict = false on a private network)", addr)
	}
	return ap, nil
}

// routable tells whether addr can be reached across the internet.
func routable(addr netip.Addr) bool {
	if addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsUnspecified() || addr.IsMulticast() {
		return false
	}
	for _, p := range unroutablePrefixes {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// splitGossip splits "ip:port" for gossipAddress.
func splitGossip(hostPort string) (string, uint32, error) {
	ap, err := netip.ParseAddrPort(hostPort)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not ip:port", hostPort)
	}
	return ap.Addr().String(), uint32(ap.Port()), nil
}
