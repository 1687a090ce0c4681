package wan

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bftnode/bftnode/internal/benchnet"
)

// Recovery is what killing the proposer did to the chain.
type Recovery struct {
	// Killed is the node killed: the proposer of the latest block when
	// the kill was decided (under PBFT the primary, which proposes every
	// block of its view).
	Killed int `json:"killed"`
	// BaselineSec is the median time between blocks before the kill.
	BaselineSec float64 `json:"baseline_sec"`
	// FirstBlockSec is the time from the kill to the next block seen.
	FirstBlockSec float64 `json:"first_block_sec"`
	// StallSec is the longest time the height stood still within the
	// window after the kill: the time the chain needed to replace the
	// dead proposer (Tendermint meets it again at each of its turns;
	// PBFT once, by a view change).
	StallSec float64 `json:"stall_sec"`
	// BlocksAfter counts the heights decided in the window.
	BlocksAfter int64   `json:"blocks_after"`
	WindowSec   float64 `json:"window_sec"`
}

// Bounds of the recovery measurement: the window after the kill lasts
// at least recoveryMin and until 2n heights were decided (so a rotating
// proposer came round to the dead node's turn), at most recoveryMax.
const (
	recoveryBaseline = 4 * time.Second
	recoveryMin      = 12 * time.Second
	recoveryMax      = 45 * time.Second
	recoveryPoll     = 20 * time.Millisecond
	recoveryTxEvery  = 100 * time.Millisecond
)

// measureRecovery keeps a trickle of transactions flowing (so every
// system keeps making blocks), kills the proposer of the latest block and
// watches a surviving node's height.
func measureRecovery(ctx context.Context, n *benchnet.Network) (*Recovery, error) {
	addrs := make([]string, n.Size())
	for i, rpc := range n.RPCs {
		st, err := getStatus(ctx, rpc)
		if err != nil {
			return nil, err
		}
		addrs[i] = strings.ToUpper(st.ValidatorInfo.Address)
	}
	trickleCtx, stopTrickle := context.WithCancel(ctx)
	var wg sync.WaitGroup
	killed := -1
	var killedMu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		trickle(trickleCtx, n.RPCs, func(i int) bool {
			killedMu.Lock()
			defer killedMu.Unlock()
			return i != killed
		})
	}()
	defer func() { stopTrickle(); wg.Wait() }()

	var series heightSeries
	watched := 0
	begin := time.Now()
	if err := pollHeights(ctx, n.RPCs[watched], recoveryPoll, &series, func() bool { return time.Since(begin) > recoveryBaseline }); err != nil {
		return nil, err
	}
	if len(series.heights) == 0 {
		return nil, fmt.Errorf("no height seen on %s", n.RPCs[watched])
	}
	latest := series.heights[len(series.heights)-1]
	b, err := getBlock(ctx, n.RPCs[watched], latest)
	if err != nil {
		return nil, err
	}
	victim := -1
	for i, a := range addrs {
		if a == strings.ToUpper(b.Block.Header.ProposerAddress) {
			victim = i
		}
	}
	if victim < 0 {
		return nil, fmt.Errorf("the proposer %s of block %d is no node of the network", b.Block.Header.ProposerAddress, latest)
	}
	baseline := series.medianInterval(time.Now())
	if victim == watched {
		watched = (victim + 1) % n.Size()
		series = heightSeries{} // watch a survivor from now on
	}
	killedMu.Lock()
	killed = victim
	killedMu.Unlock()
	killAt := time.Now()
	n.Kill(victim)
	if series.heights == nil {
		series.note(killAt, latest)
	}
	enough := func() bool {
		since := time.Since(killAt)
		return since > recoveryMax || (since > recoveryMin && series.blocksAfter(killAt) >= int64(2*n.Size()))
	}
	if err := pollHeights(ctx, n.RPCs[watched], recoveryPoll, &series, enough); err != nil {
		return nil, err
	}
	end := time.Now()
	r := &Recovery{Killed: victim, BaselineSec: baseline.Seconds(),
		StallSec: series.longestGap(killAt, end).Seconds(), BlocksAfter: series.blocksAfter(killAt),
		WindowSec: end.Sub(killAt).Seconds(), FirstBlockSec: -1}
	for _, at := range series.times {
		if at.After(killAt) {
			r.FirstBlockSec = at.Sub(killAt).Seconds()
			break
		}
	}
	return r, nil
}

// trickle sends a small transaction every recoveryTxEvery, round robin
// over the nodes that use allows, until ctx ends. Errors are ignored: a
// node may be dead.
func trickle(ctx context.Context, rpcs []string, use func(int) bool) {
	tick := time.NewTicker(recoveryTxEvery)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for seq := 0; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		i := seq % len(rpcs)
		if !use(i) {
			continue
		}
		tx := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("recovery-%d-%d=x", time.Now().UnixNano(), seq)))
		body := `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_async","params":{"tx":"` + tx + `"}}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rpcs[i], bytes.NewBufferString(body))
		if err != nil {
			continue
		}
		req.Header.Set("Content-Type", "application/json")
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
		}
	}
}
