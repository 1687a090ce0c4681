package benchnet

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// Ports of node i are laid out as `bftnode testnet --base-port` lays them
// out: base + 10i + offset; the profiler gets the first offset left free.
const (
	portStride    = 10
	offsetP2P     = 0
	offsetRPC     = 1
	offsetApp     = 2
	offsetMetrics = 3
	offsetPprof   = 4
)

// freePortRange finds n consecutive ports on 127.0.0.1 that nothing
// listens on, below Linux's default ephemeral range (32768-60999): a port
// in that range that is free when probed may be handed to an outgoing
// connection (a proxy dialing, a client) before the node binds it.
func freePortRange(n int) (int, error) {
	for attempt := 0; attempt < 50; attempt++ {
		base := 10000 + rand.IntN(22000-n)
		if rangeFree(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no range of %d free ports found on 127.0.0.1", n)
}

func rangeFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
