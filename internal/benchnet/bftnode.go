package benchnet

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/bftnode/bftnode/internal/childproc"
)

// StartBftnode generates a 4-validator bftnode network of the given
// protocol under dir with `bftnode testnet --base-port`, starts one
// abci-cli kvstore per node and the nodes (each serving pprof), and waits
// for the first block. extra flags go to every `bftnode start`.
func StartBftnode(ctx context.Context, t Tools, dir, protocol string, extra ...string) (*Network, error) {
	return StartBftnodeLayout(ctx, t, dir, protocol, Layout{}, extra...)
}

// StartBftnodeLayout is StartBftnode with the network's size and links
// given by l.
func StartBftnodeLayout(ctx context.Context, t Tools, dir, protocol string, l Layout, extra ...string) (*Network, error) {
	size := l.size()
	base, err := freePortRange(size * portStride)
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, t.Bftnode, "testnet", "--v", strconv.Itoa(size), "--o", dir,
		"--starting-ip-address", "127.0.0.1", "--base-port", strconv.Itoa(base), "--protocol", protocol,
		"--external-apps", "--chain-id", "bench-"+protocol).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("bftnode testnet: %w\n%s", err, out)
	}
	port := func(i, off int) int { return base + portStride*i + off }
	n := &Network{Name: "bftnode-" + protocol, Dir: dir}
	homes := make([]string, size)
	appPorts := make([]int, size)
	p2pAddrs := make([]string, size)
	for i := range homes {
		homes[i] = filepath.Join(dir, "node"+strconv.Itoa(i))
		appPorts[i] = port(i, offsetApp)
		p2pAddrs[i] = loopback(port(i, offsetP2P))
	}
	peers, mesh, err := l.peerLists(homes, p2pAddrs)
	if err != nil {
		return nil, err
	}
	n.Mesh = mesh
	if err := n.startApps(t.ABCICLI, homes, appPorts); err != nil {
		n.Stop()
		return nil, err
	}
	for i, home := range homes {
		pprof := loopback(port(i, offsetPprof))
		args := append([]string{"start", "--home", home, "--rpc.pprof_laddr", pprof, "--p2p.persistent_peers", peers[i]}, extra...)
		p, err := childproc.Start("bftnode node"+strconv.Itoa(i), filepath.Join(home, "node.log"), t.Bftnode, args...)
		if err != nil {
			n.Stop()
			return nil, err
		}
		n.nodes = append(n.nodes, p)
		n.RPCs = append(n.RPCs, "http://"+loopback(port(i, offsetRPC)))
		n.Pprof = append(n.Pprof, pprof)
	}
	if err := n.waitReady(ctx); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}
