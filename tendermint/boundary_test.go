package tendermint

import (
	"errors"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// The durations of Config are exact: any positive value arms its timer,
// however short, and 0 (where allowed) arms none.

// RetransmitInterval: "0 disables retransmission"; 1 ns is a positive
// interval and retransmits.
func TestRetransmit_IntervalZeroArmsNoTimerAndOneNanosecondDoes(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		timers   int
	}{{0, 0}, {time.Nanosecond, 1}} {
		h := newNonProposer(t, equalPowers(4), 1)
		h.cfg.RetransmitInterval = tc.interval
		ts := timeouts(h.start(), consensus.TimeoutRetransmit)
		if len(ts) != tc.timers {
			t.Fatalf("retransmit_interval %v: %d retransmit timers at start, want %d", tc.interval, len(ts), tc.timers)
		}
		if tc.timers == 1 && ts[0].After != tc.interval {
			t.Fatalf("retransmit timer of %v, want %v", ts[0].After, tc.interval)
		}
	}
}

// TimeoutCommit: 0 starts the next height once the block is executed, with
// no commit timer; 1 ns is a commit wait and arms its timer at the
// decision.
func TestCommitWait_ZeroArmsNoTimerAndOneNanosecondDoes(t *testing.T) {
	for _, tc := range []struct {
		timeout time.Duration
		timers  int
		step    string
	}{{0, 0, "propose"}, {time.Nanosecond, 1, "commit-wait"}} {
		h := newQuietValidator(t, equalPowers(4), 1, 2)
		h.cfg.TimeoutCommit = tc.timeout
		h.start()
		acts := h.decideHeight(valueA)
		acts = append(acts, h.execute("app")...)
		ts := timeouts(acts, consensus.TimeoutCommit)
		if len(ts) != tc.timers {
			t.Fatalf("timeout_commit %v: %d commit timers, want %d", tc.timeout, len(ts), tc.timers)
		}
		if tc.timers == 1 && (ts[0].After != tc.timeout || ts[0].Timeout.Height != 2) {
			t.Fatalf("commit timer %+v, want %v for height 2", ts[0], tc.timeout)
		}
		if st := h.core.Status(); st.Height != 2 || st.Step != tc.step {
			t.Fatalf("timeout_commit %v: status %+v, want height 2 in %s", tc.timeout, st, tc.step)
		}
	}
}

// EmptyBlockInterval: a positive interval makes empty blocks even with
// create_empty_blocks off, 1 ns included.
func TestHeightStart_OneNanosecondIntervalMakesEmptyBlocks(t *testing.T) {
	h := toQuietHeight(t, func(c *Config) { c.CreateEmptyBlocks, c.EmptyBlockInterval = false, time.Nanosecond })
	ts := timeouts(h.execute("same"), consensus.TimeoutEmptyBlock)
	if len(ts) != 1 || ts[0].After != time.Nanosecond || ts[0].Timeout.Height != 3 {
		t.Fatalf("want an empty-block timeout of 1ns for height 3, got %+v", ts)
	}
}

// MaxRoundsAhead bounds how far ahead a message may be "before it is
// ignored": a next-height message of exactly that round is kept (and shows
// this node behind), one round more is ignored.
func TestReceiveAhead_ExactlyMaxRoundsAheadIsKept(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	o := h.others()
	max := h.cfg.MaxRoundsAhead
	ahead := func(round int32, v int32) []consensus.Action {
		return h.receive(h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 2, Round: round, Value: valueA, Validator: v}))
	}
	if acts := ahead(max+1, o[0]); len(acts) != 0 || len(h.core.carry.buffered.msgs) != 0 {
		t.Fatalf("a message %d rounds ahead was kept: %v", max+1, acts)
	}
	fb := actionsOf[consensus.FetchBlocks](ahead(max, o[0]))
	if len(fb) != 1 || fb[0].From != 1 {
		t.Fatalf("a message exactly %d rounds ahead: want FetchBlocks from 1, got %+v", max, fb)
	}
	if n := len(h.core.carry.buffered.msgs); n != 1 {
		t.Fatalf("buffered %d messages, want the one exactly %d rounds ahead", n, max)
	}
}

// Validator addresses are compared whole, whatever their length: a node
// whose one-byte address is in the set is that validator and votes.
func TestNew_OneByteAddressIsAValidator(t *testing.T) {
	vals, err := consensus.NewValidatorSet([]consensus.Validator{
		{Address: []byte{1}, PubKey: []byte{1}, Power: 1},
		{Address: []byte{2}, PubKey: []byte{2}, Power: 1},
		{Address: []byte{3}, PubKey: []byte{3}, Power: 1},
		{Address: []byte{4}, PubKey: []byte{4}, Power: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, equalPowers(4), -1)
	h.vals = vals
	h.self = (vals.ProposerOf(0) + 1) % 4 // not round 0's proposer: it waits for the proposal
	h.start()
	if h.core.h.self != h.self {
		t.Fatalf("the node with address %x is validator %d, want %d", h.address(), h.core.h.self, h.self)
	}
	onlyVote(t, h.receive(h.proposal(0, -1, valueA)), consensus.Prevote, 0, valueA)
}

// A message buffered for the next height that turns out invalid once that
// height's set is known (its signer left the set) is dropped like any
// rejected message: the height still begins, and the step reports no error.
func TestBuffer_MessageInvalidForTheNextSetIsDropped(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.decideHeight(valueA)
	leaving := int32(3)
	h.receive(h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 2, Value: valueB, Validator: leaving}))
	if n := len(h.core.carry.buffered.msgs); n != 1 {
		t.Fatalf("buffered %d messages of height 2, want 1", n)
	}
	next := validatorSet(t, equalPowers(3)) // validator 3 leaves
	if _, err := h.stepErr(consensus.Executed{Height: 1, AppHash: []byte("app"), Next: next}); err != nil {
		t.Fatalf("a buffered vote of a validator that left failed the start of height 2: %v", err)
	}
	if st := h.core.Status(); st.Height != 2 || st.Step == "new-height" || st.Step == "commit-wait" {
		t.Fatalf("status %+v, want height 2 running", st)
	}
	if n := len(h.core.carry.buffered.msgs); n != 0 {
		t.Fatalf("%d messages still buffered", n)
	}
}

// Line 49 for a round in which this node prevoted but has not precommitted
// (the round's precommits overtook it in step prevote): it signs its
// precommit of that round before it decides (precommitBeforeDeciding), nil
// as it saw no polka. Only a precommit of the round sets the latch that
// stops this, not the node's prevote.
func TestLine49_OvertakenInStepPrevoteStillPrecommits(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	onlyVote(t, h.receive(h.proposal(0, -1, valueA)), consensus.Prevote, 0, valueA)
	if st := h.core.Status(); st.Step != "prevote" {
		t.Fatalf("status %+v, want step prevote", st)
	}
	pcs := precommitBeforeDecide(t, h.votesFrom(consensus.Precommit, 0, valueA, h.others()...))
	if len(pcs) != 1 || pcs[0].Value != consensus.Nil || pcs[0].Round != 0 || pcs[0].Validator != h.self {
		t.Fatalf("precommits %+v, want this node's one for nil in round 0", pcs)
	}
}

// A round logged before its height started (this node's own messages
// echoed back while it waited for transactions) that holds a decision for
// a value this node's application rejected is a broken invariant (see
// tryDecide): the step that starts the height reports it, rather than the
// node going on to vote.
func TestHeightStart_LoggedDecisionOfARejectedValueHalts(t *testing.T) {
	h := newHarness(t, []int64{1}, 0)
	h.cfg.CreateEmptyBlocks = false
	h.start()
	h.decideHeight(valueA)
	h.execute("same")
	h.decideHeight(valueA)
	h.execute("same")
	if st := h.core.Status(); st.Height != 3 || st.Step != "new-height" {
		t.Fatalf("status %+v, want height 3 waiting for transactions", st)
	}
	h.autoVerdict = false
	h.receive(h.proposal(0, -1, valueB))
	h.step(consensus.Verdict{Height: 3, Value: valueB, Valid: false})
	h.receive(h.vote(consensus.Precommit, 0, valueB, h.self))
	if st := h.core.Status(); st.Step != "new-height" {
		t.Fatalf("status %+v: this node's own messages started the height", st)
	}
	acts, err := h.core.Step(consensus.TxsAvailable{})
	if !errors.Is(err, ErrBrokenInvariant) {
		t.Fatalf("starting a height whose log decides a rejected value: err %v, actions %v; want ErrBrokenInvariant", err, acts)
	}
}
