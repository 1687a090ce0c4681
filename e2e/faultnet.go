package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

var persistentPeersLine = regexp.MustCompile(`(?m)^persistent_peers = "([^"]*)"$`)

// UseProxies routes every peer connection through a fault proxy: node i
// dials node j only through the proxy of link i→j, so the mesh can cut
// any link. Call it before the nodes start; Shutdown closes the mesh.
func (c *Cluster) UseProxies() (*faultproxy.Mesh, error) {
	targets := make([]string, len(c.Nodes))
	byAddr := map[string]int{}
	for j := range c.Nodes {
		targets[j] = "127.0.0.1:" + strconv.Itoa(c.port(j, offsetP2P))
		byAddr[targets[j]] = j
	}
	mesh, err := faultproxy.NewMesh(targets)
	if err != nil {
		return nil, err
	}
	for i, n := range c.Nodes {
		if err := rewritePeers(n.Home, func(addr string) (string, error) {
			j, ok := byAddr[addr]
			if !ok {
				return "", fmt.Errorf("persistent peer %s of node %d is no node of the cluster", addr, i)
			}
			return mesh.Addr(i, j), nil
		}); err != nil {
			mesh.Close()
			return nil, err
		}
	}
	c.mesh = mesh
	return mesh, nil
}

// rewritePeers replaces the address of every persistent peer in a home's
// config.toml.
func rewritePeers(home string, to func(addr string) (string, error)) error {
	path := filepath.Join(home, "config", "config.toml")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m := persistentPeersLine.FindSubmatchIndex(b)
	if m == nil {
		return fmt.Errorf("%s has no persistent_peers line", path)
	}
	var peers []string
	for _, p := range strings.Split(string(b[m[2]:m[3]]), ",") {
		id, addr, ok := strings.Cut(strings.TrimSpace(p), "@")
		if !ok {
			return fmt.Errorf("%s: persistent peer %q is not id@host:port", path, p)
		}
		proxied, err := to(addr)
		if err != nil {
			return err
		}
		peers = append(peers, id+"@"+proxied)
	}
	line := `persistent_peers = "` + strings.Join(peers, ",") + `"`
	out := append(append(append([]byte{}, b[:m[0]]...), line...), b[m[1]:]...)
	return os.WriteFile(path, out, 0o644)
}

// Running reports whether node i's process is started and has not exited.
func (c *Cluster) Running(i int) bool {
	n := c.Nodes[i]
	if n.node == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Exited returns a channel closed when node i's process exits, and nil if
// it is not started.
func (c *Cluster) Exited(i int) <-chan struct{} { return c.Nodes[i].exited }

// ExitStatus describes how node i's process ended: "running", "stopped"
// (by the harness), "signal: killed", "exit status N".
func (c *Cluster) ExitStatus(i int) string {
	n := c.Nodes[i]
	if n.node == nil {
		return "stopped"
	}
	select {
	case <-n.exited:
	default:
		return "running"
	}
	return n.node.ProcessState.String()
}

// Reap forgets node i's process once it has exited on its own, so it can
// be started again.
func (c *Cluster) Reap(i int) {
	n := c.Nodes[i]
	if n.node != nil && !c.Running(i) {
		n.nodeLog.Close()
		n.node = nil
	}
}

// KillApp ends node i's application process with SIGKILL.
func (c *Cluster) KillApp(i int) {
	n := c.Nodes[i]
	if n.app == nil {
		return
	}
	_ = n.app.Process.Kill()
	_ = n.app.Wait()
	n.appLog.Close()
	n.app = nil
}

// Pid is node i's process ID, 0 when not running.
func (c *Cluster) Pid(i int) int {
	if n := c.Nodes[i]; n.node != nil {
		return n.node.Process.Pid
	}
	return 0
}

// Height is node i's latest block height.
func (c *Cluster) Height(ctx context.Context, i int) (int64, error) {
	cl, err := c.Client(i)
	if err != nil {
		return 0, err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// Panics lists the nodes whose logs show a Go panic or fatal runtime
// error: whatever the fault, a node must fail with an error, not crash.
func (c *Cluster) Panics() []string {
	var out []string
	for i, n := range c.Nodes {
		b, err := os.ReadFile(filepath.Join(n.Home, "node.log"))
		if err != nil {
			continue
		}
		for _, marker := range []string{"\npanic: ", "\nfatal error: "} {
			if k := strings.Index(string(b), marker); k >= 0 {
				end := min(len(b), k+300)
				out = append(out, fmt.Sprintf("node %d %s", i, strings.TrimSpace(string(b[k:end]))))
				break
			}
		}
	}
	return out
}

// ResetAll runs `bftnode unsafe-reset-all` on node i's home (stopped).
func (c *Cluster) ResetAll(i int) error {
	out, err := exec.Command(c.bin, "unsafe-reset-all", "--home", c.Nodes[i].Home).CombinedOutput()
	if err != nil {
		return fmt.Errorf("unsafe-reset-all of node %d: %v\n%s", i, err, out)
	}
	return nil
}
