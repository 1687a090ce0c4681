package benchnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/bftnode/bftnode/bench"

	"github.com/bftnode/bftnode/internal/childproc"
	"github.com/bftnode/bftnode/internal/faultproxy"
)

// Validators is the size of every benchmark network.
const Validators = 4

// readyWithin bounds how long a network may take to make its first block.
const readyWithin = 90 * time.Second

// Network is a running network of validators and their apps.
type Network struct {
	Name string   // "cometbft", "bftnode-tendermint", ...
	Dir  string   // the homes and logs
	RPCs []string // http://127.0.0.1:port of each node
	// Pprof are the nodes' profiler addresses (host:port); empty for
	// networks that do not serve one.
	Pprof []string
	// Mesh holds the shaped proxies every peer connection goes through,
	// nil when the nodes dial each other directly.
	Mesh  *faultproxy.Mesh
	nodes []*childproc.Process
	apps  []*childproc.Process
}

// Stop stops every node, then every app.
func (n *Network) Stop() {
	for _, p := range n.nodes {
		p.Stop(stopGrace)
	}
	for _, p := range n.apps {
		p.Stop(stopGrace)
	}
	if n.Mesh != nil {
		n.Mesh.Close()
	}
}

// Size is the number of nodes.
func (n *Network) Size() int { return len(n.nodes) }

// Kill ends node i's process with SIGKILL, as a crash would.
func (n *Network) Kill(i int) { n.nodes[i].Kill() }

// Alive reports whether node i's process runs.
func (n *Network) Alive(i int) bool { return n.nodes[i].Alive() }

// Dead names a process of the network that has exited, or "" when all run.
func (n *Network) Dead() string {
	for _, p := range append(append([]*childproc.Process(nil), n.nodes...), n.apps...) {
		if !p.Alive() {
			return p.ExitReport()
		}
	}
	return ""
}

// startApps starts one `abci-cli kvstore` per node on its app port, its
// state in the node's home (it would otherwise leave a temporary directory
// behind per run), and waits until each listens.
func (n *Network) startApps(abciCLI string, homes []string, appPorts []int) error {
	for i, home := range homes {
		addr := loopback(appPorts[i])
		p, err := childproc.Start("app"+strconv.Itoa(i), filepath.Join(home, "app.log"), abciCLI,
			"kvstore", "--address", "tcp://"+addr, "--persist", filepath.Join(home, "kvstore"))
		if err != nil {
			return err
		}
		n.apps = append(n.apps, p)
		if err := waitListening(p, addr, 20*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// waitReady waits until every node answers status with a block.
func (n *Network) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyWithin)
	for _, u := range n.RPCs {
		var last error
		for {
			h, err := bench.LatestHeight(ctx, u)
			if err == nil && h > 0 {
				break
			}
			last = err
			if dead := n.Dead(); dead != "" {
				return fmt.Errorf("%s: %s", n.Name, dead)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %s made no block within %v (last error: %v); logs in %s", n.Name, u, readyWithin, last, n.Dir)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// NodeRSS reads the resident set size in MB of each node process.
func (n *Network) NodeRSS() ([]float64, error) {
	out := make([]float64, len(n.nodes))
	for i, p := range n.nodes {
		mb, err := ReadRSS(p.Pid())
		if err != nil {
			return nil, err
		}
		out[i] = mb
	}
	return out, nil
}

// CPU returns the processor seconds the node processes and the app
// processes have used so far, each group summed.
func (n *Network) CPU() (nodes, apps float64, err error) {
	sum := func(ps []*childproc.Process) (float64, error) {
		var total float64
		for _, p := range ps {
			sec, err := bench.ProcessCPU(p.Pid())
			if err != nil {
				return 0, err
			}
			total += sec
		}
		return total, nil
	}
	if nodes, err = sum(n.nodes); err != nil {
		return 0, 0, err
	}
	apps, err = sum(n.apps)
	return nodes, apps, err
}

// ReadRSS returns VmRSS of process pid in MB (2^20 bytes), from /proc.
func ReadRSS(pid int) (float64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("reading the memory of process %d: %w", pid, err)
	}
	return parseVmRSS(b)
}
