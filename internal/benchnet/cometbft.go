package benchnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/bftnode/bftnode/internal/childproc"
)

// StartCometBFT generates a 4-validator CometBFT localnet under dir with
// `cometbft testnet`, moves every node to its own ports on 127.0.0.1,
// sets timeout_commit, starts one abci-cli kvstore per node and the
// nodes, and waits for the first block. Everything else keeps CometBFT's
// defaults.
func StartCometBFT(ctx context.Context, t Tools, dir string, timeoutCommit time.Duration) (*Network, error) {
	return StartCometBFTLayout(ctx, t, dir, timeoutCommit, Layout{})
}

// StartCometBFTLayout is StartCometBFT with the network's size and links
// given by l.
func StartCometBFTLayout(ctx context.Context, t Tools, dir string, timeoutCommit time.Duration, l Layout) (*Network, error) {
	size := l.size()
	out, err := exec.CommandContext(ctx, t.CometBFT, "testnet", "--v", strconv.Itoa(size), "--o", dir,
		"--starting-ip-address", "127.0.0.1").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("cometbft testnet: %w\n%s", err, out)
	}
	base, err := freePortRange(size * portStride)
	if err != nil {
		return nil, err
	}
	port := func(i, off int) int { return base + portStride*i + off }
	homes := make([]string, size)
	p2pAddrs := make([]string, size)
	for i := range homes {
		homes[i] = filepath.Join(dir, "node"+strconv.Itoa(i))
		p2pAddrs[i] = loopback(port(i, offsetP2P))
	}
	peers, mesh, err := l.peerLists(homes, p2pAddrs)
	if err != nil {
		return nil, err
	}
	n := &Network{Name: "cometbft", Dir: dir, Mesh: mesh}
	var appPorts []int
	for i, home := range homes {
		edits := map[string]map[string]any{
			"":    {"proxy_app": "tcp://" + loopback(port(i, offsetApp))},
			"rpc": {"laddr": "tcp://" + loopback(port(i, offsetRPC))},
			"p2p": {"laddr": "tcp://" + loopback(port(i, offsetP2P)), "persistent_peers": peers[i],
				"allow_duplicate_ip": true, "addr_book_strict": false},
			"consensus":       {"timeout_commit": timeoutCommit.String()},
			"instrumentation": {"prometheus_listen_addr": loopback(port(i, offsetMetrics))},
		}
		if err := editTOML(filepath.Join(home, "config", "config.toml"), edits); err != nil {
			n.Stop()
			return nil, err
		}
		appPorts = append(appPorts, port(i, offsetApp))
	}
	if err := n.startApps(t.ABCICLI, homes, appPorts); err != nil {
		n.Stop()
		return nil, err
	}
	for i, home := range homes {
		p, err := childproc.Start("cometbft node"+strconv.Itoa(i), filepath.Join(home, "node.log"), t.CometBFT,
			"start", "--home", home)
		if err != nil {
			n.Stop()
			return nil, err
		}
		n.nodes = append(n.nodes, p)
		n.RPCs = append(n.RPCs, "http://"+loopback(port(i, offsetRPC)))
	}
	if err := n.waitReady(ctx); err != nil {
		n.Stop()
		return nil, err
	}
	return n, nil
}

// editTOML sets keys of a TOML file, by table ("" for the top level).
// Every key must already exist: a key that does not is a sign that the
// file is not the config.toml expected, and is reported.
func editTOML(path string, edits map[string]map[string]any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := toml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for table, kv := range edits {
		t := doc
		if table != "" {
			sub, ok := doc[table].(map[string]any)
			if !ok {
				return fmt.Errorf("%s has no [%s] table", path, table)
			}
			t = sub
		}
		for k, v := range kv {
			if _, ok := t[k]; !ok {
				return fmt.Errorf("%s has no key %q in [%s]", path, k, table)
			}
			t[k] = v
		}
	}
	out, err := toml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
