package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPeerDiscoveryFromOneSeed: ten nodes (four validators, six full
// nodes) whose config names no persistent peer and one seed, an eleventh
// node in seed mode, find each other through it by peer exchange: each
// ends up with every other node as a peer (nine; the outbound limit is
// ten) and the chain's blocks reach all of them. A node restarted after
// the seed is gone reconnects from the address book it saved
// (config/addrbook.json) and catches up.
func TestPeerDiscoveryFromOneSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const nodes, seed = 10, 10
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := NewCluster(t.TempDir(), Options{Protocol: "tendermint", Validators: 4, FullNodes: nodes - 4 + 1}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	t.Cleanup(func() { dumpLogsOnFailure(t, c) })
	seedAddr, err := c.nodeAddress(seed)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range c.Nodes {
		// Loopback addresses are not routable: addr_book_strict off, as on
		// any private network.
		n.Env = append(n.Env, "BFTNODE_P2P_PERSISTENT_PEERS=", "BFTNODE_P2P_ADDR_BOOK_STRICT=false")
		if i == seed {
			n.Env = append(n.Env, "BFTNODE_P2P_SEED_MODE=true")
		} else {
			n.Env = append(n.Env, "BFTNODE_P2P_SEEDS="+seedAddr)
		}
	}
	if err := c.StartAll(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitMeshed(ctx, t, c, nodes, seed, nodes-1)
	t.Logf("every node has the %d others as peers %v after the start", nodes-1, time.Since(start).Round(100*time.Millisecond))
	top, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < nodes; i++ {
		if err := c.WaitHeight(ctx, i, top+2); err != nil {
			t.Fatal(err)
		}
	}

	// The seed goes; a full node restarts with nothing but its book.
	const restarted = nodes - 1
	if err := c.Stop(seed); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(restarted); err != nil {
		t.Fatal(err)
	}
	book := filepath.Join(c.Nodes[restarted].Home, "config", "addrbook.json")
	if n, err := bookEntries(book); err != nil || n < nodes-1 {
		t.Fatalf("the stopped node's address book %s holds %d addresses (%v); want at least %d", book, n, err, nodes-1)
	}
	if err := c.Start(restarted); err != nil {
		t.Fatal(err)
	}
	waitMeshed(ctx, t, c, nodes, seed, nodes-1)
	// With the seed gone, a peer the node dialed itself came from its book
	// (the others may have dialed it back from theirs).
	cl, err := c.Client(restarted)
	if err != nil {
		t.Fatal(err)
	}
	ni, err := cl.NetInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	outbound := 0
	for _, p := range ni.Peers {
		if p.IsOutbound {
			outbound++
		}
	}
	if outbound == 0 {
		t.Fatalf("the restarted node dialed none of its %d peers: its address book was not used", len(ni.Peers))
	}
	if top, err = latestHeight(ctx, c, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, restarted, top+2); err != nil {
		t.Fatal(err)
	}
}

// waitMeshed waits until each of the first n nodes of c reports at least
// want peers other than the seed in /net_info.
func waitMeshed(ctx context.Context, t *testing.T, c *Cluster, n, seed, want int) {
	t.Helper()
	seedID, err := c.nodeID(seed)
	if err != nil {
		t.Fatal(err)
	}
	err = c.WaitUntil(ctx, 90*time.Second, fmt.Sprintf("every node to have %d peers", want), func() (bool, error) {
		for i := 0; i < n; i++ {
			cl, err := c.Client(i)
			if err != nil {
				return false, err
			}
			ni, err := cl.NetInfo(ctx)
			if err != nil {
				return false, fmt.Errorf("node %d: %w", i, err)
			}
			peers := 0
			for _, p := range ni.Peers {
				if string(p.NodeInfo.DefaultNodeID) != seedID {
					peers++
				}
			}
			if peers < want {
				return false, fmt.Errorf("node %d has %d peers besides the seed", i, peers)
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var peerEntry = regexp.MustCompile(`([0-9a-f]{40})@127\.0\.0\.1:(\d+)`)

// nodeID is node i's ID, read from the persistent_peers that `bftnode
// testnet` wrote into another node's config.
func (c *Cluster) nodeID(i int) (string, error) {
	other := (i + 1) % len(c.Nodes)
	b, err := os.ReadFile(filepath.Join(c.Nodes[other].Home, "config", "config.toml"))
	if err != nil {
		return "", err
	}
	port := strconv.Itoa(c.port(i, offsetP2P))
	for _, m := range peerEntry.FindAllStringSubmatch(string(b), -1) {
		if m[2] == port {
			return m[1], nil
		}
	}
	return "", fmt.Errorf("node %d is not among node %d's persistent peers", i, other)
}

// nodeAddress is node i's id@host:port.
func (c *Cluster) nodeAddress(i int) (string, error) {
	id, err := c.nodeID(i)
	if err != nil {
		return "", err
	}
	return id + "@127.0.0.1:" + strconv.Itoa(c.port(i, offsetP2P)), nil
}

// bookEntries counts the addresses of an address book file.
func bookEntries(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var book struct {
		Addrs []json.RawMessage `json:"addrs"`
	}
	if err := json.Unmarshal(b, &book); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if !strings.Contains(string(b), `"last_success"`) {
		return 0, fmt.Errorf("%s has no last_success field", path)
	}
	return len(book.Addrs), nil
}
