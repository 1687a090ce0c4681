package tendermint

import (
	"bytes"

	"github.com/bftnode/bftnode/consensus"
)

// phase is where a height is, around the paper's rounds.
type phase uint8

const (
	// phaseCommitWait: entered, waiting TimeoutCommit before beginning.
	phaseCommitWait phase = iota
	// phaseNewHeight: begun, waiting for transactions, the empty-block
	// interval or another validator's message before StartRound(0).
	phaseNewHeight
	// phaseRunning: rounds are running (lines 11-67).
	phaseRunning
	// phaseDecided: decided (line 49), waiting for Executed.
	phaseDecided
)

// step is step_p of the paper (line 4).
type step uint8

const (
	stepPropose step = iota
	stepPrevote
	stepPrecommit
)

func (s step) String() string {
	switch s {
	case stepPropose:
		return "propose"
	case stepPrevote:
		return "prevote"
	}
	return "precommit"
}

// height is the state of one consensus instance h_p: the paper's variables
// (lines 2-9), reset for every height (line 53), and the message log.
type height struct {
	number    int64
	vals      *consensus.ValidatorSet
	self      int32 // this node's index in vals, or -1 when it only follows
	proposers map[int32]int32

	phase phase
	round int32
	step  step

	lockedValue consensus.ID
	lockedRound int32
	validValue  consensus.ID
	validRound  int32

	rounds   map[int32]*roundLog
	verdicts map[consensus.ID]verdict

	decision consensus.ID
	// fetchRequested: FetchBlocks was emitted at this height already.
	fetchRequested bool
	// repliedAt is the retransmission tick at which a validator still in
	// an earlier round was last sent this node's votes of that round.
	repliedAt map[int32]int32
}

// verdict is what this node knows of valid(v).
type verdict uint8

const (
	verdictPending verdict = iota + 1
	verdictValid
	verdictInvalid
)

func newHeight(number int64, vals *consensus.ValidatorSet, self []byte) *height {
	h := &height{
		number: number, vals: vals, self: -1,
		proposers:   map[int32]int32{},
		lockedRound: -1, validRound: -1,
		rounds:    map[int32]*roundLog{},
		verdicts:  map[consensus.ID]verdict{},
		repliedAt: map[int32]int32{},
	}
	for i, v := range vals.Validators {
		if len(self) > 0 && bytes.Equal(v.Address, self) {
			h.self = int32(i)
		}
	}
	return h
}

// proposerOf is proposer(h_p, round), cached because each call replays the
// priority algorithm round times. Callers bound round first.
func (h *height) proposerOf(round int32) int32 {
	p, ok := h.proposers[round]
	if !ok {
		p = h.vals.ProposerOf(round)
		h.proposers[round] = p
	}
	return p
}

func (h *height) isValidator() bool { return h.self >= 0 }

// log returns the message log of round, creating it.
func (h *height) log(round int32) *roundLog {
	l, ok := h.rounds[round]
	if !ok {
		l = newRoundLog(h.vals)
		h.rounds[round] = l
	}
	return l
}

// enterHeight makes c.h the height being decided: it records a snapshot (the
// state a restarted node rebuilds from) and then begins the height, after
// the commit delay if the height follows an executed block.
func (c *Core) enterHeight() error {
	state, err := c.snapshot()
	if err != nil {
		return err
	}
	// Nothing below the height entered will ever be signed again.
	c.emit(consensus.SaveSnapshot{State: state, SignFloor: c.h.number})
	if c.carry.afterCommit && c.cfg.TimeoutCommit > 0 {
		c.h.phase = phaseCommitWait
		c.scheduleCommitWait(c.h.number)
		return nil
	}
	return c.beginHeight()
}

// scheduleCommitWait starts TimeoutCommit for height n once per instance:
// at the decision of n-1, or when a restarted node enters n.
func (c *Core) scheduleCommitWait(n int64) {
	if c.cfg.TimeoutCommit <= 0 || c.commitTimer == n {
		return
	}
	c.commitTimer = n
	c.emit(consensus.SetTimeout{
		Timeout: consensus.Timeout{Kind: consensus.TimeoutCommit, Height: n},
		After:   c.cfg.TimeoutCommit,
	})
}

// beginHeight starts round 0 at once or waits for a reason to, then applies
// the messages that arrived early.
func (c *Core) beginHeight() error {
	c.h.phase = phaseNewHeight
	if c.startsAtOnce() {
		if err := c.startHeight(); err != nil {
			return err
		}
	} else if c.cfg.EmptyBlockInterval > 0 {
		// As in CometBFT, an interval makes empty blocks even with
		// create_empty_blocks off.
		c.emit(consensus.SetTimeout{
			Timeout: consensus.Timeout{Kind: consensus.TimeoutEmptyBlock, Height: c.h.number},
			After:   c.cfg.EmptyBlockInterval,
		})
	}
	return c.applyBuffered()
}

// startsAtOnce follows CometBFT's rules for the first round of a height
// (after the commit wait): empty blocks without an interval, transactions
// waiting, the
// chain's first height or an application hash that changed (the new hash
// must reach a header; CometBFT's needProofBlock).
func (c *Core) startsAtOnce() bool {
	return (c.cfg.CreateEmptyBlocks && c.cfg.EmptyBlockInterval == 0) ||
		c.carry.txsAvailable || c.h.number == c.cfg.InitialHeight || c.carry.appHashChanged
}

// startHeight is "upon start do StartRound(0)" (line 10) for this height.
// Messages of any round may already be logged (a node that joins because
// another validator started), so lines 49 and 55 are checked for all of
// them.
func (c *Core) startHeight() error {
	c.h.phase = phaseRunning
	c.carry.txsAvailable = false
	c.startRound(0)
	for _, r := range c.h.loggedRounds() {
		if err := c.tryDecide(r); err != nil || c.h.phase != phaseRunning {
			return err
		}
	}
	rounds := c.h.loggedRounds()
	for i := len(rounds) - 1; i >= 0; i-- {
		if c.trySkipRound(rounds[i]) {
			break
		}
	}
	c.progress()
	return nil
}

// onTxsAvailable remembers that the mempool has transactions and starts a
// height that was waiting for them.
func (c *Core) onTxsAvailable() error {
	c.carry.txsAvailable = true
	if c.h.phase == phaseNewHeight {
		return c.startHeight()
	}
	return nil
}

// onExecuted moves to the next height once the decided block was executed.
func (c *Core) onExecuted(in consensus.Executed) error {
	h := c.h
	if in.Height < h.number {
		return nil // a repeated answer for a height already left
	}
	if in.Height > h.number || h.phase != phaseDecided {
		return invalidf("executed height %d, but height %d is the one being decided and is not decided yet; deliver Executed only after Decide", in.Height, h.number)
	}
	next, err := checkedSet(in.Next)
	if err != nil {
		return invalidf("executed height %d with a bad next validator set (%v); pass the validator set of height %d", in.Height, err, in.Height+1)
	}
	c.carry.appHashChanged = !c.carry.appHashKnown || !bytes.Equal(c.carry.appHash, in.AppHash)
	c.carry.appHash = bytes.Clone(in.AppHash)
	c.carry.appHashKnown = true
	// The commit wait is still to come unless it ran out while the block
	// executed (a slow application).
	c.carry.afterCommit = c.commitWaitOver != h.number+1
	c.h = newHeight(h.number+1, next, c.self)
	return c.enterHeight()
}

// decide is lines 49-54 up to StartRound: the decision is handed to the
// driver, which executes it and answers with Executed.
func (c *Core) decide(value consensus.ID, commit []*consensus.Vote) {
	h := c.h
	h.decision = value
	h.phase = phaseDecided
	votes := make([]consensus.Vote, len(commit))
	for i, v := range commit {
		votes[i] = *v
	}
	c.emit(consensus.Decide{Height: h.number, Value: value, Commit: votes})
	c.scheduleCommitWait(h.number + 1)
}
