package testnet

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
)

// The standard ports of a node, as CometBFT's.
const (
	StandardP2PPort     = 26656
	StandardRPCPort     = 26657
	StandardAppPort     = 26658
	StandardMetricsPort = 26660
)

// PortStride is how far apart consecutive nodes' ports are with a base port.
const PortStride = 10

// Ports are the ports one node listens on (the app's is where its ABCI app
// listens).
type Ports struct {
	P2P, RPC, App, Metrics int
}

// address joins host and port.
func address(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// layout returns the host and ports of each of n nodes.
func layout(opts Options, n int) ([]string, []Ports, error) {
	hosts := make([]string, n)
	ports := make([]Ports, n)
	if opts.BasePort != 0 {
		last := opts.BasePort + PortStride*(n-1) + 3
		if opts.BasePort < 1 || last > 65535 {
			return nil, nil, fmt.Errorf("base port %d does not leave room for %d nodes (ports up to %d); use a base port from 1 to %d",
				opts.BasePort, n, last, 65535-PortStride*(n-1)-3)
		}
		host := opts.StartingIP
		if host == "" {
			host = "127.0.0.1"
		}
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			return nil, nil, fmt.Errorf("starting IP address %q is not an address peers can dial", host)
		}
		for i := range n {
			b := opts.BasePort + PortStride*i
			hosts[i] = host
			ports[i] = Ports{P2P: b, RPC: b + 1, App: b + 2, Metrics: b + 3}
		}
		return hosts, ports, nil
	}
	for i := range n {
		ports[i] = Ports{P2P: StandardP2PPort, RPC: StandardRPCPort, App: StandardAppPort, Metrics: StandardMetricsPort}
	}
	if opts.StartingIP == "" {
		for i := range n {
			hosts[i] = opts.HostnamePrefix + strconv.Itoa(i)
		}
		return hosts, ports, nil
	}
	ips, err := consecutiveIPv4(opts.StartingIP, n)
	if err != nil {
		return nil, nil, err
	}
	return ips, ports, nil
}

// consecutiveIPv4 returns n addresses counting up from start.
func consecutiveIPv4(start string, n int) ([]string, error) {
	ip := net.ParseIP(start).To4()
	if ip == nil {
		return nil, fmt.Errorf("starting IP address %q is not an IPv4 address", start)
	}
	first := binary.BigEndian.Uint32(ip)
	if uint64(first)+uint64(n-1) > 0xFFFFFFFF {
		return nil, fmt.Errorf("starting IP address %s leaves no room for %d nodes", start, n)
	}
	out := make([]string, n)
	for i := range n {
		b := make(net.IP, 4)
		binary.BigEndian.PutUint32(b, first+uint32(i))
		out[i] = b.String()
	}
	return out, nil
}
