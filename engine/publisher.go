package engine

import (
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// publishBacklog is how many executed blocks may wait for their events and
// indexing before the driver waits for the publisher. Under any sustained
// load the publisher keeps up (it does per block what the driver did
// before, minus consensus); the bound only keeps memory finite if a
// subscriber or the index stalls.
const publishBacklog = 64

// executedBlock is a block whose events and listeners are still to run.
type executedBlock struct {
	block   *types.Block
	blockID types.BlockID
	resp    *abcitypes.ResponseFinalizeBlock
	// lastVals signed the block's last commit.
	lastVals *types.ValidatorSet
	// took is how long executing it took, FinalizeBlock to Commit.
	took time.Duration
}

// publisher runs the block listeners (the indexer) and publishes the
// events of executed blocks on a goroutine of its own, in height order:
// their cost is per transaction, and none of it needs to hold up the next
// height's proposal and votes.
type publisher struct {
	in      chan executedBlock
	stopped chan struct{}
}

// startPublisher moves publishing off the driver until the returned stop
// is called; stop publishes what is still queued and returns when done.
func (e *Engine) startPublisher() (stop func()) {
	p := &publisher{in: make(chan executedBlock, publishBacklog), stopped: make(chan struct{})}
	go func() {
		defer close(p.stopped)
		for b := range p.in {
			e.deliverBlockEvents(b)
		}
	}()
	e.pub = p
	return func() {
		e.pub = nil
		close(p.in)
		<-p.stopped
	}
}

// announceBlock hands an executed block to the publisher, or delivers its
// events at once when there is none (the handshake, before Run).
func (e *Engine) announceBlock(b executedBlock) {
	if e.pub == nil {
		e.deliverBlockEvents(b)
		return
	}
	e.pub.in <- b
}
