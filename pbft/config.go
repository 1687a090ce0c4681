package pbft

import (
	"fmt"
	"time"
)

// Config holds the protocol's parameters. Every replica of a network must
// use the same CheckpointInterval, WatermarkWindow and InitialHeight.
type Config struct {
	// CheckpointInterval is K: a replica broadcasts a CHECKPOINT after
	// executing every height that is a multiple of K [§4.3].
	CheckpointInterval int64
	// WatermarkWindow is L: messages are accepted for sequence numbers
	// h < n <= h+L, h being the stable checkpoint [§4.3]. L >= 2K, so
	// that the window never closes before the next checkpoint can become
	// stable.
	WatermarkWindow int64
	// ViewChangeTimeout is the base of a replica's view-change timer: how
	// long it waits for progress before it starts a view change [§4.4]
	// (the primary too, on its own pre-prepares; see armProgressTimer). It
	// doubles with every consecutive view change [§4.5.2].
	ViewChangeTimeout time.Duration
	// TimeoutCommit is how long the primary waits after a block is
	// decided before it proposes the next one (CometBFT's
	// timeout_commit): the chain's block time. 0 proposes at once.
	TimeoutCommit time.Duration
	// EmptyBlockInterval is how long the primary waits without
	// transactions before it proposes an empty block. As in CometBFT it
	// applies whenever it is positive, even with CreateEmptyBlocks off.
	EmptyBlockInterval time.Duration
	// RetransmitInterval is the period at which a replica resends its
	// latest messages, so that progress resumes after lost messages.
	RetransmitInterval time.Duration
	// CreateEmptyBlocks makes the primary propose without transactions:
	// after EmptyBlockInterval, or at once when it is 0.
	CreateEmptyBlocks bool
	// InitialHeight is the chain's first height (genesis initial_height).
	InitialHeight int64
	// RequestTimeout is the request timer [§4.4]: how long the blocks of
	// one view may keep leaving out a transaction the replica holds and
	// that would have fit in them before it starts a view change. 0
	// turns the timer off.
	RequestTimeout time.Duration
	// MaxViewsAhead bounds how far ahead of its own view a replica accepts
	// messages, so that a Byzantine validator cannot make it store
	// messages for arbitrarily distant views.
	MaxViewsAhead int32
}

// DefaultConfig returns the parameters bftnode uses unless configured
// otherwise.
//
// K = 10. A checkpoint costs every validator one broadcast and a snapshot,
// but K also bounds what a view change costs: the NEW-VIEW's O set holds a
// pre-prepare for every sequence number between the stable checkpoint and
// the highest prepared one [§4.4], and every replica prepares and commits
// each of them again, every one of those messages signed and made durable
// first. With K = 100 at tens of blocks a second a new view started with up
// to ~100 heights to redo: on a loaded machine that took longer than the
// view-change timer, so the new view decided a block or two and timed out
// in turn. Garbage collection is what keeps that log short [§4.5]. A
// replica that missed messages also catches up within at most K blocks
// (the next stable checkpoint makes it fetch the blocks it lacks). L = 2K,
// the smallest window that lets the primary keep proposing while a
// checkpoint is being stabilised.
func DefaultConfig() Config {
	return Config{
		CheckpointInterval: 10,
		WatermarkWindow:    20,
		ViewChangeTimeout:  2 * time.Second,
		RequestTimeout:     4 * time.Second,
		EmptyBlockInterval: time.Second,
		RetransmitInterval: time.Second,
		CreateEmptyBlocks:  true,
		InitialHeight:      1,
		MaxViewsAhead:      1000,
	}
}

// Validate reports the first parameter that is out of range.
func (c Config) Validate() error {
	switch {
	case c.CheckpointInterval < 1:
		return fmt.Errorf("checkpoint interval is %d; it must be at least 1", c.CheckpointInterval)
	case c.WatermarkWindow < 2*c.CheckpointInterval:
		return fmt.Errorf("watermark window is %d; it must be at least twice the checkpoint interval (%d)", c.WatermarkWindow, 2*c.CheckpointInterval)
	case c.WatermarkWindow > maxWatermarkWindow:
		return fmt.Errorf("watermark window is %d; it must be at most %d", c.WatermarkWindow, maxWatermarkWindow)
	case c.ViewChangeTimeout <= 0:
		return fmt.Errorf("view change timeout is %v; it must be positive", c.ViewChangeTimeout)
	case c.TimeoutCommit < 0:
		return fmt.Errorf("timeout_commit is %v; it must not be negative", c.TimeoutCommit)
	case c.EmptyBlockInterval < 0:
		return fmt.Errorf("empty block interval is %v; it must not be negative", c.EmptyBlockInterval)
	case c.RequestTimeout < 0:
		return fmt.Errorf("request timeout is %v; it must not be negative (0 turns the request timer off)", c.RequestTimeout)
	case c.RetransmitInterval <= 0:
		return fmt.Errorf("retransmit interval is %v; it must be positive", c.RetransmitInterval)
	case c.InitialHeight < 1:
		return fmt.Errorf("initial height is %d; it must be at least 1", c.InitialHeight)
	case c.MaxViewsAhead < 1:
		return fmt.Errorf("max views ahead is %d; it must be at least 1", c.MaxViewsAhead)
	}
	return nil
}

// maxWatermarkWindow bounds L so that a VIEW-CHANGE's P set, and the log a
// replica keeps, stay of reasonable size.
const maxWatermarkWindow = 1 << 16
