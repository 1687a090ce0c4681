package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// WriteLoad sends unique transactions to random nodes and remembers those
// a node acknowledged: broadcast_tx_sync answered code 0 (the node admitted
// it durably), or broadcast_tx_commit answered it committed. Every
// acknowledged transaction must end up in the chain exactly once.
type WriteLoad struct {
	c       *Cluster
	tag     string
	targets []int

	mu    sync.Mutex
	acked map[string]time.Time

	sent, failed atomic.Int64
}

// NewWriteLoad prepares a load on the given nodes; tag makes its
// transactions unique across loads.
func NewWriteLoad(c *Cluster, tag string, targets []int) *WriteLoad {
	return &WriteLoad{c: c, tag: tag, targets: targets, acked: map[string]time.Time{}}
}

// Run sends from clients concurrent clients, each pausing pause between
// transactions, until ctx ends.
func (w *WriteLoad) Run(ctx context.Context, clients int, pause time.Duration) {
	var wg sync.WaitGroup
	for cl := 0; cl < clients; cl++ {
		wg.Add(1)
		go func(cl int) {
			defer wg.Done()
			w.client(ctx, cl, pause)
		}(cl)
	}
	wg.Wait()
}

func (w *WriteLoad) client(ctx context.Context, cl int, pause time.Duration) {
	rng := rand.New(rand.NewPCG(uint64(cl), uint64(time.Now().UnixNano())))
	for seq := 0; ctx.Err() == nil; seq++ {
		tx := fmt.Sprintf("w-%s-%d-%d=%d", w.tag, cl, seq, rng.Uint32())
		node := w.targets[rng.IntN(len(w.targets))]
		if w.send(ctx, node, tx, seq%4 == 3) {
			w.mu.Lock()
			w.acked[tx] = time.Now()
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// send submits tx to node and reports whether the node acknowledged it.
func (w *WriteLoad) send(ctx context.Context, node int, tx string, commit bool) bool {
	w.sent.Add(1)
	cl, err := w.c.Client(node)
	if err != nil {
		w.failed.Add(1)
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if commit {
		res, err := cl.BroadcastTxCommit(cctx, []byte(tx))
		if err == nil && res.CheckTx.Code == 0 && res.TxResult.Code == 0 && res.Height > 0 {
			return true
		}
	} else {
		res, err := cl.BroadcastTxSync(cctx, []byte(tx))
		if err == nil && res.Code == 0 {
			return true
		}
	}
	w.failed.Add(1)
	return false
}

// Acked returns the acknowledged transactions.
func (w *WriteLoad) Acked() map[string]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]time.Time, len(w.acked))
	for k, v := range w.acked {
		out[k] = v
	}
	return out
}

// Counts returns transactions sent and not acknowledged.
func (w *WriteLoad) Counts() (sent, failed int64) { return w.sent.Load(), w.failed.Load() }
