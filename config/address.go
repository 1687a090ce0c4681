package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// NodeIDLength is the length in hex characters of a node ID: the first 20
// bytes of the SHA-256 of the node's public key, as CometBFT's.
const NodeIDLength = 40

// Peer is one entry of persistent_peers.
type Peer struct {
	ID   string // 40 lowercase hex characters
	Host string
	Port int
}

// Addr is the peer's host:port.
func (p Peer) Addr() string { return net.JoinHostPort(p.Host, strconv.Itoa(p.Port)) }

// String is the peer as written in persistent_peers: id@host:port.
func (p Peer) String() string { return p.ID + "@" + p.Addr() }

// ParsePeers reads a comma-separated list of id@host:port entries (each may
// start with tcp://); empty entries are skipped. Each ID appears once.
func ParsePeers(list string) ([]Peer, error) {
	var peers []Peer
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parsePeer(entry)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(peers, func(q Peer) bool { return q.ID == p.ID }) {
			return nil, fmt.Errorf("peer %s appears twice; list each node once", p.ID)
		}
		peers = append(peers, p)
	}
	return peers, nil
}

func parsePeer(entry string) (Peer, error) {
	id, addr, ok := strings.Cut(strings.TrimPrefix(entry, "tcp://"), "@")
	if !ok {
		return Peer{}, fmt.Errorf("entry %q is not id@host:port", entry)
	}
	if reason := checkNodeID(id); reason != "" {
		return Peer{}, fmt.Errorf("entry %q: %s", entry, reason)
	}
	if reason := checkHostPort(addr, false, false); reason != "" {
		return Peer{}, fmt.Errorf("entry %q: %s", entry, reason)
	}
	host, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return Peer{ID: id, Host: host, Port: n}, nil
}

func checkNodeID(id string) string {
	if len(id) != NodeIDLength || strings.ToLower(id) != id {
		return fmt.Sprintf("node id %q must be %d lowercase hex characters (bftnode show-node-id prints it)", id, NodeIDLength)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return fmt.Sprintf("node id %q must be %d lowercase hex characters (bftnode show-node-id prints it)", id, NodeIDLength)
	}
	return ""
}

// checkHostPort is why addr is not host:port, or "". A listen address may
// leave the host empty (all interfaces); a port may be 0 only if zeroPort
// (the system picks one).
func checkHostPort(addr string, emptyHost, zeroPort bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("%q is not host:port", addr)
	}
	if host == "" && !emptyHost {
		return fmt.Sprintf("%q has no host; write host:port", addr)
	}
	if strings.ContainsAny(host, " \t/@") {
		return fmt.Sprintf("%q has an invalid host %q", addr, host)
	}
	n, err := strconv.Atoi(port)
	low := 1
	if zeroPort {
		low = 0
	}
	if err != nil || n < low || n > 65535 {
		return fmt.Sprintf("%q has an invalid port %q; use %d to 65535", addr, port, low)
	}
	return ""
}

// checkListenURL is why addr is not tcp://host:port (or unix:///path when
// unixOK), or "".
func checkListenURL(addr string, unixOK bool) string {
	want := "tcp://host:port"
	if unixOK {
		want += " or unix:///path"
	}
	scheme, rest, ok := strings.Cut(addr, "://")
	switch {
	case !ok:
		return fmt.Sprintf("must be %s", want)
	case scheme == "tcp":
		if reason := checkHostPort(rest, true, true); reason != "" {
			return fmt.Sprintf("%s; must be %s", reason, want)
		}
		return ""
	case scheme == "unix" && unixOK:
		if rest == "" {
			return fmt.Sprintf("has no socket path; must be %s", want)
		}
		return ""
	}
	return fmt.Sprintf("scheme %q is not supported; must be %s", scheme, want)
}

// checkProxyApp is why addr is not an ABCI app address, or "".
func checkProxyApp(addr string) string {
	if slices.Contains(BuiltinApps, addr) {
		return ""
	}
	want := fmt.Sprintf("must be tcp://host:port, unix:///path or a built-in app (%s)", strings.Join(BuiltinApps, ", "))
	scheme, rest, ok := strings.Cut(addr, "://")
	switch {
	case !ok:
		return want
	case scheme == "tcp":
		if reason := checkHostPort(rest, false, false); reason != "" {
			return reason + "; " + want
		}
		return ""
	case scheme == "unix":
		if rest == "" {
			return "has no socket path; " + want
		}
		return ""
	}
	return fmt.Sprintf("scheme %q is not supported; %s", scheme, want)
}
