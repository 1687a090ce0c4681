package engine

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// A slow listener (an indexer behind) must not hold up the driver: blocks
// queue in order, and stopping delivers every queued block.
func TestPublisherKeepsTheDriverGoingAndDeliversInOrder(t *testing.T) {
	release := make(chan struct{})
	got := make(chan int64, publishBacklog+2)
	e := &Engine{log: slog.New(slog.DiscardHandler), p: Parts{Listeners: []BlockListener{
		func(b ExecutedBlock) {
			if b.Block.Height == 1 {
				<-release
			}
			got <- b.Block.Height
		},
	}}}
	stop := e.startPublisher()
	returned := make(chan struct{})
	go func() {
		for h := int64(1); h <= publishBacklog; h++ {
			e.announceBlock(executedBlock{block: &types.Block{Header: types.Header{Height: h}}, resp: &abcitypes.ResponseFinalizeBlock{}})
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing waited for a blocked listener")
	}
	close(release)
	stop()
	close(got)
	var heights []int64
	for h := range got {
		heights = append(heights, h)
	}
	if len(heights) != publishBacklog || !slices.IsSorted(heights) {
		t.Fatalf("delivered %v; want 1..%d in order", heights, publishBacklog)
	}
	if e.pub != nil {
		t.Error("after stop, blocks must be published inline again")
	}
}
