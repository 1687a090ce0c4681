package e2e

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

const (
	// commitWaiters is how many broadcast_tx_commit calls wait at once.
	commitWaiters = 200
	// maxBlockGap bounds the time between consecutive blocks while they
	// wait. An idle chain makes a block every second and a round that
	// fails waits a 3s proposal timeout; a driver held up by the waiters
	// would show longer gaps.
	maxBlockGap = 5 * time.Second
)

// testConcurrentCommits has commitWaiters broadcast_tx_commit calls wait
// at once, spread over all nodes: every call returns with its
// transaction's height and result, and the chain keeps its pace.
func testConcurrentCommits(t *testing.T, n *rpcNet) {
	t.Run("SpreadOverNodes", func(t *testing.T) { commitsSpreadOverNodes(t, n) })
	t.Run("OneNode", func(t *testing.T) { commitsOnOneNode(t, n) })
}

func commitsSpreadOverNodes(t *testing.T, n *rpcNet) {
	start := n.height(t, 0)
	began := time.Now()
	results := make([]*coretypes.ResultBroadcastTxCommit, commitWaiters)
	errs := make([]error, commitWaiters)
	took := make([]time.Duration, commitWaiters)
	var wg sync.WaitGroup
	for j := 0; j < commitWaiters; j++ {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			t0 := time.Now()
			tx := kvTx(fmt.Sprintf("load-%s-%d", n.protocol, j), fmt.Sprint(j))
			results[j], errs[j] = n.clients[j%len(n.clients)].BroadcastTxCommit(n.ctx, tx)
			took[j] = time.Since(t0)
		}(j)
	}
	wg.Wait()
	elapsed := time.Since(began)
	end := n.height(t, 0)
	failed := 0
	for j, res := range results {
		key := fmt.Sprintf("load-%s-%d", n.protocol, j)
		switch {
		case errs[j] != nil:
			failed++
			t.Errorf("broadcast_tx_commit %s: %v", key, errs[j])
		case res.CheckTx.Code != abci.CodeTypeOK || res.Height <= start || res.Height > end:
			failed++
			t.Errorf("broadcast_tx_commit %s: check %d, height %d outside (%d, %d]", key, res.CheckTx.Code, res.Height, start, end)
		default:
			checkKVResult(t, key, res.TxResult, key, fmt.Sprint(j))
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d broadcast_tx_commit calls failed\n%s", failed, commitWaiters, n.LogTails(3000))
	}
	// Each transaction is in the block its answer named, once.
	seen := map[string]bool{}
	for h := start + 1; h <= end; h++ {
		b, err := n.clients[0].Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Block.Txs {
			if seen[string(tx)] {
				t.Errorf("%q is committed twice", tx)
			}
			seen[string(tx)] = true
		}
	}
	for j, res := range results {
		b, err := n.clients[0].Block(n.ctx, &res.Height)
		if err != nil {
			t.Fatal(err)
		}
		tx := kvTx(fmt.Sprintf("load-%s-%d", n.protocol, j), fmt.Sprint(j))
		if !slices.ContainsFunc(b.Block.Txs, func(have types.Tx) bool { return bytes.Equal(have, tx) }) {
			t.Errorf("block %d does not hold %q, which broadcast_tx_commit placed there", res.Height, tx)
		}
	}
	gap := n.maxBlockGap(t, start, end)
	slices.Sort(took)
	t.Logf("%d broadcast_tx_commit calls in %v over heights %d..%d; latency median %v, max %v; longest gap between blocks %v",
		commitWaiters, elapsed.Round(time.Millisecond), start+1, end, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), gap.Round(time.Millisecond))
	if gap > maxBlockGap {
		t.Errorf("consensus slowed down under %d waiting broadcast_tx_commit calls: %v between two blocks", commitWaiters, gap)
	}
}

// maxBlockGap is the longest time between consecutive block times over
// heights from..to.
func (n *rpcNet) maxBlockGap(t *testing.T, from, to int64) time.Duration {
	t.Helper()
	var gap time.Duration
	var prev time.Time
	for h := from; h <= to; h++ {
		hdr, err := n.clients[0].Header(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if !prev.IsZero() {
			gap = max(gap, hdr.Header.Time.Sub(prev))
		}
		prev = hdr.Header.Time
	}
	return gap
}

// maxSubscriptionClients is [rpc] max_subscription_clients by default:
// each broadcast_tx_commit waiting holds one subscription.
const maxSubscriptionClients = 100

// commitsOnOneNode sends all commitWaiters calls to one node, which serves
// at most maxSubscriptionClients waiters at once: as CometBFT, it refuses
// the others at once with max_subscription_clients. Every call returns,
// every one accepted commits, and the chain keeps its pace, also while a
// websocket client subscribed to every transaction reads nothing.
func commitsOnOneNode(t *testing.T, n *rpcNet) {
	const node = 1
	stalled := n.dialWS(t, node)
	for id, q := range []string{"tm.event='Tx'", "tm.event='NewBlock'"} {
		stalled.call(id+1, "subscribe", q)
		if m := stalled.readAnswer(id+1, func(wsMessage) {}); m.Error != nil {
			t.Fatalf("subscribe %s: %s", q, m.raw)
		}
	}
	start := n.height(t, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed, refused := map[string]int64{}, 0
	for j := 0; j < commitWaiters; j++ {
		wg.Add(1)
		go func(j int) {
			defer wg.Done()
			tx := kvTx(fmt.Sprintf("one-%s-%d", n.protocol, j), "1")
			res, err := n.clients[node].BroadcastTxCommit(n.ctx, tx)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && strings.Contains(err.Error(), fmt.Sprintf("max_subscription_clients %d reached", maxSubscriptionClients)):
				refused++
			case err != nil:
				t.Errorf("broadcast_tx_commit %q: %v", tx, err)
			case res.CheckTx.Code != abci.CodeTypeOK || res.TxResult.Code != abci.CodeTypeOK || res.Height <= start:
				t.Errorf("broadcast_tx_commit %q: %+v", tx, res)
			default:
				committed[string(tx)] = res.Height
			}
		}(j)
	}
	wg.Wait()
	end := n.height(t, 0)
	// A refusal means maxSubscriptionClients subscribers at that moment:
	// the stalled client and calls that were waiting, each of which
	// commits.
	if len(committed)+refused != commitWaiters || (refused > 0 && len(committed) < maxSubscriptionClients-1) {
		t.Fatalf("%d committed and %d refused of %d calls\n%s", len(committed), refused, commitWaiters, n.LogTails(3000))
	}
	for tx, h := range committed {
		res, err := n.clients[0].Tx(n.ctx, types.Tx(tx).Hash(), false)
		if err != nil || res.Height != h {
			t.Errorf("%q: broadcast_tx_commit said height %d, tx says %+v %v", tx, h, res, err)
		}
	}
	gap := n.maxBlockGap(t, start, end)
	t.Logf("%d broadcast_tx_commit calls to one node: %d committed over heights %d..%d, %d refused; longest gap between blocks %v",
		commitWaiters, len(committed), start+1, end, refused, gap.Round(time.Millisecond))
	if gap > maxBlockGap {
		t.Errorf("consensus slowed down under %d broadcast_tx_commit calls to one node: %v between two blocks", commitWaiters, gap)
	}
}
