package node

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/testnet"
)

// cluster runs n validators in this process over real loopback sockets,
// each with the built-in kvstore.
type cluster struct {
	t      *testing.T
	homes  []string
	nodes  []*Node
	cancel []context.CancelFunc
	done   []chan error
}

func newCluster(t *testing.T, protocol string, validators int) *cluster {
	return newClusterWithFullNodes(t, protocol, validators, 0)
}

func newClusterWithFullNodes(t *testing.T, protocol string, validators, full int) *cluster {
	t.Helper()
	gen, err := testnet.Generate(testnet.Options{
		Validators: validators, NonValidators: full, OutputDir: t.TempDir(), NodeDirPrefix: "node",
		BasePort: freeBase(t, (validators+full)*10), Protocol: protocol, PopulatePeers: true, ChainID: "node-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t}
	for _, g := range gen {
		c.homes = append(c.homes, g.Dir)
	}
	c.nodes = make([]*Node, len(gen))
	c.cancel = make([]context.CancelFunc, len(gen))
	c.done = make([]chan error, len(gen))
	for i := range c.homes {
		c.start(i)
	}
	t.Cleanup(c.stopAll)
	return c
}

func freeBase(t *testing.T, n int) int {
	for attempt := 0; attempt < 50; attempt++ {
		base := 20000 + rand.IntN(40000)
		ok := true
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

func (c *cluster) start(i int) {
	c.t.Helper()
	cfg, err := config.Load(c.homes[i], nil)
	if err != nil {
		c.t.Fatal(err)
	}
	cfg.Consensus.TimeoutPropose = 500 * time.Millisecond
	cfg.Consensus.ViewChangeTimeout = 500 * time.Millisecond
	cfg.Consensus.CreateEmptyBlocksInterval = 200 * time.Millisecond
	level := slog.LevelWarn
	if os.Getenv("NODE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("node", i)
	ctx, cancel := context.WithCancel(context.Background())
	n, err := New(ctx, cfg, logger)
	if err != nil {
		cancel()
		c.t.Fatalf("node %d: %v", i, err)
	}
	c.nodes[i], c.cancel[i], c.done[i] = n, cancel, make(chan error, 1)
	go func(done chan error) {
		err := n.Run(ctx)
		n.Close()
		done <- err
	}(c.done[i])
}

func (c *cluster) stop(i int) {
	if c.cancel[i] == nil {
		return
	}
	c.cancel[i]()
	if err := <-c.done[i]; err != nil {
		c.t.Errorf("node %d stopped with %v", i, err)
	}
	c.cancel[i] = nil
}

func (c *cluster) stopAll() {
	for i := range c.nodes {
		c.stop(i)
	}
}

func (c *cluster) send(i int, key, value string) {
	c.t.Helper()
	res, err := c.nodes[i].Mempool().CheckTx(context.Background(), []byte(key+"="+value), "")
	if err != nil || res.Code != 0 {
		c.t.Fatalf("node %d refused %s: %v %v", i, key, err, res)
	}
}

// waitValue waits until node i's application holds key=value.
func (c *cluster) waitValue(i int, key, value string, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		res, err := c.nodes[i].App().Query.Query(context.Background(), &abcitypes.RequestQuery{Data: []byte(key)})
		if err == nil && string(res.Value) == value {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("node %d: %s=%s not committed within %v (height %d)", i, key, value, within, c.nodes[i].Engine().View().LatestHeight)
}

func TestNodesCommitTransactionsAndRecover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four nodes")
	}
	for _, protocol := range []string{config.ProtocolTendermint, config.ProtocolPBFT} {
		t.Run(protocol, func(t *testing.T) {
			c := newCluster(t, protocol, 4)
			var keys []string
			for i := 0; i < 20; i++ {
				k := fmt.Sprintf("k%d", i)
				c.send(i%4, k, "v"+k)
				keys = append(keys, k)
			}
			for i := range c.nodes {
				for _, k := range keys {
					c.waitValue(i, k, "v"+k, 30*time.Second)
				}
			}
			// A stopped node comes back from its log and store and catches up.
			c.stop(3)
			c.send(0, "while-down", "1")
			c.waitValue(0, "while-down", "1", 30*time.Second)
			c.start(3)
			c.waitValue(3, "while-down", "1", 30*time.Second)
			c.send(3, "after", "2")
			var wg sync.WaitGroup
			for i := range c.nodes {
				wg.Add(1)
				go func(i int) { defer wg.Done(); c.waitValue(i, "after", "2", 30*time.Second) }(i)
			}
			wg.Wait()
			checkSameChain(t, c)
		})
	}
}

// checkSameChain compares the block hashes every node holds.
func checkSameChain(t *testing.T, c *cluster) {
	t.Helper()
	top := int64(-1)
	for _, n := range c.nodes {
		if h := n.blocks.Height(); top < 0 || h < top {
			top = h
		}
	}
	for h := int64(1); h <= top; h++ {
		var want []byte
		for i, n := range c.nodes {
			m, err := n.blocks.LoadBlockMeta(h)
			if err != nil || m == nil {
				t.Fatalf("node %d has no block %d: %v", i, h, err)
			}
			if i == 0 {
				want = m.BlockID.Hash
			} else if string(m.BlockID.Hash) != string(want) {
				t.Fatalf("height %d: node %d has block %X, node 0 has %X", h, i, m.BlockID.Hash, want)
			}
		}
	}
}
