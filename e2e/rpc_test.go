package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// The RPC compatibility suite runs CometBFT's own Go client and raw HTTP
// against a live network of each protocol: four validators and one full
// node, each backed by its own `abci-cli kvstore`, with the unsafe routes
// on. One network per protocol is shared by the subtests, which run in
// order; each leaves the chain usable for the next.
const (
	rpcValidators = 4
	rpcFullNodes  = 1
	// fullNode is the index of the node that is not a validator.
	fullNode = rpcValidators
)

// rpcNet is a running network and what the subtests share.
type rpcNet struct {
	*Cluster
	protocol string
	ctx      context.Context
	clients  []*rpchttp.HTTP
}

func TestRPCCompatibility(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, protocol := range rpcProtocols() {
		t.Run(protocol, func(t *testing.T) {
			n := startRPCNet(t, protocol)
			for _, s := range rpcSuite {
				if !t.Run(s.name, func(t *testing.T) { s.run(t, n) }) {
					n.logFailure(t)
				}
				if err := n.Alive(); err != nil {
					t.Fatalf("after %s: %v\n%s", s.name, err, n.LogTails(4000))
				}
			}
		})
	}
}

// rpcSuite lists the subtests in the order they run.
var rpcSuite = []struct {
	name string
	run  func(*testing.T, *rpcNet)
}{
	{"NodeInfo", testNodeInfo},
	{"Genesis", testGenesis},
	{"Validators", testValidators},
	{"ConsensusViews", testConsensusViews},
	{"BlockchainInfo", testBlockchainInfo},
	{"Broadcast", testBroadcastAndTx},
	{"CheckTx", testCheckTx},
	{"BatchAndEdges", testBatchAndEdges},
	{"TxSearch", testTxSearch},
	{"BlockSearch", testBlockSearch},
	{"Subscriptions", testSubscriptions},
	{"WebsocketRaw", testWebsocketRaw},
	{"Shapes", testShapes},
	{"BadInput", testBadInput},
	{"DialRoutes", testDialRoutes},
	{"Mempool", testMempool},
	{"Evidence", testEvidence},
	{"EvidenceAcrossRestart", testEvidenceAcrossRestart},
	{"ConcurrentCommits", testConcurrentCommits},
	{"RestartFullNode", testRestartFullNode},
	{"Blocks", testBlocks},
}

func startRPCNet(t *testing.T, protocol string) *rpcNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	c, err := NewCluster(t.TempDir(), Options{
		Protocol: protocol, Validators: rpcValidators, FullNodes: rpcFullNodes, ExternalApp: true,
		ExtraFlags: []string{"--rpc.unsafe"},
	}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	if err := c.StartAll(); err != nil {
		t.Fatal(err)
	}
	n := &rpcNet{Cluster: c, protocol: protocol, ctx: ctx}
	for i := range c.Nodes {
		cl, err := c.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		n.clients = append(n.clients, cl)
	}
	for i := range c.Nodes {
		if err := n.waitHeight(i, 2); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// waitHeight waits until node i has committed height h.
func (n *rpcNet) waitHeight(i int, h int64) error {
	return n.WaitUntil(n.ctx, time.Minute, fmt.Sprintf("node %d to reach height %d", i, h), func() (bool, error) {
		st, err := n.clients[i].Status(n.ctx)
		if err != nil {
			return false, err
		}
		return st.SyncInfo.LatestBlockHeight >= h, nil
	})
}

// height is node i's latest height.
func (n *rpcNet) height(t *testing.T, i int) int64 {
	t.Helper()
	st, err := n.clients[i].Status(n.ctx)
	if err != nil {
		t.Fatalf("status of node %d: %v", i, err)
	}
	return st.SyncInfo.LatestBlockHeight
}

// logFailure shows the end of every node's log, and keeps the whole logs
// in $E2E_LOG_DIR when it is set.
func (n *rpcNet) logFailure(t *testing.T) {
	t.Logf("%s network after a failed subtest:\n%s", n.protocol, n.LogTails(3000))
	dir := os.Getenv("E2E_LOG_DIR")
	if dir == "" {
		return
	}
	for _, node := range n.Nodes {
		for _, name := range []string{"node.log", "app.log"} {
			b, err := os.ReadFile(filepath.Join(node.Home, name))
			if err != nil {
				continue
			}
			dst := filepath.Join(dir, fmt.Sprintf("%s-node%d-%s", n.protocol, node.Index, name))
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Logf("keeping %s: %v", dst, err)
			}
		}
	}
	t.Logf("the nodes' logs are in %s", dir)
}

// rpcProtocols are the protocols the suite runs, all unless
// E2E_PROTOCOL names one.
func rpcProtocols() []string {
	if p := os.Getenv("E2E_PROTOCOL"); p != "" {
		return []string{p}
	}
	return []string{"tendermint", "pbft"}
}
