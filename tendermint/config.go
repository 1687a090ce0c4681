package tendermint

import (
	"fmt"
	"math"
	"time"
)

// Config holds the core's timing and block-production settings. The names
// follow CometBFT's [consensus] section.
type Config struct {
	// Timeouts of round r are Timeout + r*TimeoutDelta, so that they grow
	// until they exceed the network's delay after GST (paper, section 2).
	TimeoutPropose, TimeoutProposeDelta     time.Duration
	TimeoutPrevote, TimeoutPrevoteDelta     time.Duration
	TimeoutPrecommit, TimeoutPrecommitDelta time.Duration
	// TimeoutCommit delays the start of a height until this long after the
	// previous block was decided (CometBFT's timeout_commit): the chain's
	// block time. 0 starts once the block is executed.
	TimeoutCommit time.Duration
	// EmptyBlockInterval is how long a height waits for transactions before
	// it proposes an empty block; as in CometBFT it applies whenever it is
	// positive, even with CreateEmptyBlocks off.
	EmptyBlockInterval time.Duration
	// RetransmitInterval is how often the node resends its latest messages;
	// 0 disables retransmission.
	RetransmitInterval time.Duration
	// CreateEmptyBlocks makes heights start without transactions: at once
	// when EmptyBlockInterval is 0, else after that interval.
	CreateEmptyBlocks bool
	// InitialHeight is the chain's first height (genesis initial_height).
	InitialHeight int64
	// MaxRoundsAhead bounds how far above the current round a message may
	// be before it is ignored, so that Byzantine validators cannot make the
	// core keep state for arbitrary rounds.
	MaxRoundsAhead int32
}

// DefaultConfig returns CometBFT's defaults.
func DefaultConfig() Config {
	return Config{
		TimeoutPropose:        3 * time.Second,
		TimeoutProposeDelta:   500 * time.Millisecond,
		TimeoutPrevote:        time.Second,
		TimeoutPrevoteDelta:   500 * time.Millisecond,
		TimeoutPrecommit:      time.Second,
		TimeoutPrecommitDelta: 500 * time.Millisecond,
		TimeoutCommit:         0,
		EmptyBlockInterval:    0,
		RetransmitInterval:    time.Second,
		CreateEmptyBlocks:     true,
		InitialHeight:         1,
		MaxRoundsAhead:        1000,
	}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"timeout_propose", c.TimeoutPropose}, {"timeout_propose_delta", c.TimeoutProposeDelta},
		{"timeout_prevote", c.TimeoutPrevote}, {"timeout_prevote_delta", c.TimeoutPrevoteDelta},
		{"timeout_precommit", c.TimeoutPrecommit}, {"timeout_precommit_delta", c.TimeoutPrecommitDelta},
		{"timeout_commit", c.TimeoutCommit}, {"create_empty_blocks_interval", c.EmptyBlockInterval},
		{"retransmit_interval", c.RetransmitInterval},
	}
	for _, d := range durations {
		if d.d < 0 {
			return fmt.Errorf("tendermint config: %s is %v; it must not be negative", d.name, d.d)
		}
	}
	if c.InitialHeight < 1 {
		return fmt.Errorf("tendermint config: initial height is %d; it must be at least 1", c.InitialHeight)
	}
	if c.MaxRoundsAhead < 1 {
		return fmt.Errorf("tendermint config: max rounds ahead is %d; it must be at least 1 (1000 is a good value)", c.MaxRoundsAhead)
	}
	return nil
}

func (c Config) proposeTimeout(round int32) time.Duration {
	return grow(c.TimeoutPropose, c.TimeoutProposeDelta, round)
}

func (c Config) prevoteTimeout(round int32) time.Duration {
	return grow(c.TimeoutPrevote, c.TimeoutPrevoteDelta, round)
}

func (c Config) precommitTimeout(round int32) time.Duration {
	return grow(c.TimeoutPrecommit, c.TimeoutPrecommitDelta, round)
}

// grow is base + delta*round, saturating instead of overflowing.
func grow(base, delta time.Duration, round int32) time.Duration {
	if round <= 0 || delta == 0 {
		return base
	}
	if delta > (math.MaxInt64-base)/time.Duration(round) {
		return math.MaxInt64
	}
	return base + delta*time.Duration(round)
}
