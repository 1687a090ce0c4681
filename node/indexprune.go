package node

import (
	"context"
	"log/slog"

	"github.com/bftnode/bftnode/indexer"
)

// indexPruner keeps the transaction index from holding heights the block
// store has pruned ([tx_index] prune). It runs on a goroutine of its own:
// deleting index entries costs per transaction, and neither consensus nor
// the indexing of new blocks should wait for it (Index waits at most for
// one bounded pruning batch).
type indexPruner struct {
	index *indexer.Indexer
	// base is the block store's lowest height.
	base func() int64
	log  *slog.Logger
	wake chan struct{}
}

func newIndexPruner(index *indexer.Indexer, base func() int64, log *slog.Logger) *indexPruner {
	return &indexPruner{index: index, base: base, log: log, wake: make(chan struct{}, 1)}
}

// poke tells the pruner the block store may have pruned; it never blocks.
func (p *indexPruner) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// start runs the pruner until the returned stop is called; stop returns
// once a batch being written is done, so the index can be closed. The
// first round also finishes a pruning a crash interrupted.
func (p *indexPruner) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p.poke()
	go func() {
		defer close(done)
		unfinished := true // a crash may have left a pruning to finish
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			}
			if target := p.base(); unfinished || target > p.index.Base() {
				unfinished = !p.prune(ctx, target)
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// prune prunes the index below target and tells whether it finished.
func (p *indexPruner) prune(ctx context.Context, target int64) bool {
	n, err := p.index.PruneBelow(ctx, target)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("pruning the transaction index; retried after the next block", "below", target, "err", err)
		}
		return false
	}
	if n > 0 {
		p.log.Debug("pruned the transaction index", "below", p.index.Base(), "items", n)
	}
	return true
}
