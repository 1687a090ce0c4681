package tendermint

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// Core is the Tendermint consensus core of one node. It is not safe for
// concurrent use: its driver steps it from one goroutine.
type Core struct {
	cfg  Config
	self []byte // this node's validator address; may be absent from the set
	bug  bugs   // deliberately broken variants for the simulator's checker

	started bool
	// commitTimer is the height whose TimeoutCommit this instance has
	// scheduled, and commitWaitOver the height whose TimeoutCommit fired
	// before the block below it finished executing. The wait starts at the
	// decision, as CometBFT counts timeout_commit from the commit, so
	// executing the block overlaps it. A restarted instance schedules it
	// again; the snapshot's afterCommit says whether it is still due.
	commitTimer, commitWaitOver int64
	h                           *height    // the height being decided
	carry                       carryState // what survives from one height to the next
	out                         consensus.Outbox
}

// carryState is the part of the core's state that outlives a height; it is
// exactly what a snapshot records besides the height and its validators.
type carryState struct {
	// afterCommit: the height was entered by executing the previous block
	// before its TimeoutCommit ran out, so the height waits for it.
	afterCommit bool
	// txsAvailable is sticky: remembered until a height starts round 0.
	txsAvailable bool
	// appHash is the application hash after the last executed block;
	// appHashChanged says it differs from the one before, so the next
	// height must start at once to put it in a header (CometBFT's "proof
	// block"), even when empty blocks are off.
	appHash        []byte
	appHashKnown   bool
	appHashChanged bool
	// retransmitSeq numbers the one pending retransmit timeout, so that a
	// repeated firing cannot start a second chain of them.
	retransmitSeq int32
	// buffered holds messages for the height about to begin, received too
	// early; they are applied when it begins.
	buffered messageBuffer
}

// bugs are deliberately broken variants of the lock rules, switched on only
// by tests (export_test.go) so the simulator can prove its checker catches
// safety violations. Production code never sets them.
type bugs struct {
	// unlockOnNilPolka releases the lock on 2f+1 nil prevotes (line 44),
	// which the paper forbids.
	unlockOnNilPolka bool
	// forgetLock ignores the lock when prevoting (lines 22 and 28).
	forgetLock bool
	// ignoreStaleLock ignores the lock only at line 29: it prevotes a
	// value re-proposed with an older POL round while locked on another
	// value in a later round.
	ignoreStaleLock bool
	// skipPOLCheck prevotes a re-proposal (line 28) without 2f+1 prevotes
	// for it in its POL round, once it has a log of that round.
	skipPOLCheck bool
	// firstVoteOnly counts only a validator's first vote of a slot, also
	// for the rules about one value (see voteSet): safe, but an
	// equivocator can then keep a correct node from ever seeing a polka.
	firstVoteOnly bool
}

// New returns an idle core at the genesis height (snapshot nil) or at the
// height a snapshot recorded. self is this node's validator address; a node
// whose address is not in a height's set follows that height without voting.
// Step Start to begin.
func New(cfg Config, self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, self: bytes.Clone(self)}
	if snapshot != nil {
		s, err := decodeSnapshot(snapshot, cfg)
		if err != nil {
			return nil, err
		}
		c.carry = s.carry
		c.h = newHeight(s.height, s.vals, c.self)
		return c, nil
	}
	if genesis == nil {
		return nil, fmt.Errorf("tendermint: no genesis validator set and no snapshot; pass the genesis validators")
	}
	vals, err := checkedSet(genesis)
	if err != nil {
		return nil, fmt.Errorf("tendermint: genesis validator set: %w", err)
	}
	c.h = newHeight(cfg.InitialHeight, vals, c.self)
	return c, nil
}

// checkedSet copies vs through the contract's validation, so that a set
// built by hand (with its total power unset) is rejected or completed.
func checkedSet(vs *consensus.ValidatorSet) (*consensus.ValidatorSet, error) {
	if vs == nil {
		return nil, fmt.Errorf("validator set is missing")
	}
	return consensus.ValidatorSetFromExisting(vs.Validators, vs.Proposer)
}

// Step applies one input. See consensus.Core for the error contract: errors
// wrapping consensus.ErrInvalidInput leave the core unchanged; errors
// wrapping ErrBrokenInvariant mean the driver must halt.
func (c *Core) Step(in consensus.Input) ([]consensus.Action, error) {
	c.out.Take()
	err := c.step(in)
	out := c.out.Take()
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Core) step(in consensus.Input) error {
	if _, ok := in.(consensus.Start); ok {
		return c.start()
	}
	if !c.started {
		return invalidf("input %T before Start; step Start first", in)
	}
	switch in := in.(type) {
	case consensus.Receive:
		return c.receive(in.Msg)
	case consensus.TimeoutFired:
		return c.onTimeout(in.Timeout)
	case consensus.ProposalReady:
		return c.onProposalReady(in)
	case consensus.Verdict:
		return c.onVerdict(in)
	case consensus.Executed:
		return c.onExecuted(in)
	case consensus.TxsAvailable:
		return c.onTxsAvailable()
	case consensus.Synced:
		return c.onSynced(in)
	case nil:
		return invalidf("nil input")
	default:
		return invalidf("input of type %T is not one the Tendermint core handles", in)
	}
}

// start begins participation: the retransmit timer and the current height.
// A second Start (a restarted driver replaying its log) changes nothing.
func (c *Core) start() error {
	if c.started {
		return nil
	}
	c.started = true
	c.scheduleRetransmit()
	return c.enterHeight()
}

func (c *Core) emit(a consensus.Action) { c.out.Emit(a) }

// Status reports the core's position.
func (c *Core) Status() consensus.Status {
	return consensus.Status{Height: c.h.number, Round: c.h.round, Step: c.stepName()}
}

func (c *Core) stepName() string {
	if !c.started {
		return "idle"
	}
	switch c.h.phase {
	case phaseCommitWait:
		return "commit-wait"
	case phaseNewHeight:
		return "new-height"
	case phaseDecided:
		return "commit"
	}
	return c.h.step.String()
}
