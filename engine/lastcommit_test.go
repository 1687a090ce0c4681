package engine

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

var lcEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func lcValidators(t *testing.T, n int) *types.ValidatorSet {
	t.Helper()
	vals := make([]*types.Validator, n)
	for i := range vals {
		vals[i] = types.NewValidator(ed25519.GenPrivKeyFromSecret([]byte{byte(i)}).PubKey(), 10)
	}
	return types.NewValidatorSet(vals)
}

func lcID(b byte) consensus.ID {
	return wire.EncodeID(types.BlockID{Hash: bytes.Repeat([]byte{b}, 32),
		PartSetHeader: types.PartSetHeader{Total: 1, Hash: bytes.Repeat([]byte{b + 1}, 32)}})
}

func lcVote(h int64, r int32, val int32, id consensus.ID) consensus.Vote {
	return consensus.Vote{Type: consensus.Precommit, Height: h, Round: r, Value: id, Validator: val,
		Timestamp: lcEpoch.Add(time.Duration(val) * time.Millisecond), Signature: bytes.Repeat([]byte{byte(val + 1)}, 64)}
}

func lcFlags(c *commitVotes) []types.BlockIDFlag {
	out := make([]types.BlockIDFlag, len(c.sigs))
	for i, s := range c.sigs {
		out[i] = s.BlockIDFlag
	}
	return out
}

// A precommit of the decision's round that arrived before the decision but
// was not in the core's quorum joins the commit; one of another round does
// not (a commit is one round's precommits).
func TestDecidedCommitTakesEarlyPrecommitsOfItsRound(t *testing.T) {
	vals := lcValidators(t, 4)
	l := newLateVotes()
	block := lcID(7)
	nilVote, otherRound := lcVote(5, 1, 2, consensus.Nil), lcVote(5, 0, 3, block)
	l.observe(&nilVote, 4, vals, lcEpoch, true)
	l.observe(&otherRound, 4, vals, lcEpoch, true)
	d := consensus.Decide{Height: 5, Value: block, Commit: []consensus.Vote{lcVote(5, 1, 0, block), lcVote(5, 1, 1, block)}}
	c, err := l.decided(d, vals, lcEpoch)
	if err != nil {
		t.Fatal(err)
	}
	want := []types.BlockIDFlag{types.BlockIDFlagCommit, types.BlockIDFlagCommit, types.BlockIDFlagNil, types.BlockIDFlagAbsent}
	if got := lcFlags(c); !equalFlags(got, want) {
		t.Fatalf("flags %v, want %v", got, want)
	}
	if len(l.early) != 0 {
		t.Errorf("%d early entries left after the decision of their height", len(l.early))
	}
}

// After the decision, late precommits of its round for the block join as
// commit signatures with their extensions; repeats, other blocks and other
// heights do not.
func TestLatePrecommitsJoinTheCommit(t *testing.T) {
	vals := lcValidators(t, 4)
	l := newLateVotes()
	block := lcID(7)
	c, err := l.decided(consensus.Decide{Height: 5, Value: block, Commit: []consensus.Vote{lcVote(5, 0, 0, block), lcVote(5, 0, 1, block), lcVote(5, 0, 2, block)}}, vals, lcEpoch)
	if err != nil {
		t.Fatal(err)
	}
	other := lcVote(5, 0, 3, lcID(9))
	if l.observe(&other, 5, vals, lcEpoch, true) {
		t.Error("a precommit for another block joined the commit")
	}
	again := lcVote(5, 0, 1, block)
	if l.observe(&again, 5, vals, lcEpoch, true) {
		t.Error("a second precommit of a validator already in joined the commit")
	}
	late := lcVote(5, 0, 3, block)
	late.Extension, late.ExtensionSignature = []byte("ext"), bytes.Repeat([]byte{9}, 64)
	if !l.observe(&late, 5, vals, lcEpoch.Add(3*time.Millisecond), true) {
		t.Fatal("the late precommit for the block did not join the commit")
	}
	ec := c.extended()
	if s := ec.ExtendedSignatures[3]; s.BlockIDFlag != types.BlockIDFlagCommit || string(s.Extension) != "ext" || !bytes.Equal(s.ValidatorAddress, vals.Validators[3].Address) {
		t.Errorf("validator 3's signature: %+v", s)
	}
	if len(l.spreads) != 1 || l.spreads[0] != 3*time.Millisecond {
		t.Errorf("spreads %v, want the 3ms from the decision to the last precommit", l.spreads)
	}
	if !c.unsaved {
		t.Error("the commit changed but is not marked for saving")
	}
}

func TestLateVoteWaitFollowsTheMeasuredSpreadAndIsCapped(t *testing.T) {
	l := newLateVotes()
	if got := l.wait(); got != lateVoteWaitFirst {
		t.Errorf("wait with no samples %v, want %v", got, lateVoteWaitFirst)
	}
	for i := 1; i <= 10; i++ {
		l.recordSpread(time.Duration(i) * time.Millisecond)
	}
	// The 90th percentile of 1..10ms is 10ms; twice that and a margin.
	if got, want := l.wait(), 21*time.Millisecond; got != want {
		t.Errorf("wait %v, want %v", got, want)
	}
	// One stall among many short spreads does not stretch the wait.
	for i := 0; i < spreadSamples-1; i++ {
		l.recordSpread(5 * time.Millisecond)
	}
	l.recordSpread(900 * time.Millisecond)
	if got, want := l.wait(), 11*time.Millisecond; got != want {
		t.Errorf("wait after one stall %v, want %v", got, want)
	}
	// Spreads of a WAN's farthest link are waited out in full: the 90th
	// percentile of 64 samples cycling through 100-119ms is 117ms.
	for i := 0; i < spreadSamples; i++ {
		l.recordSpread(time.Duration(100+i%20) * time.Millisecond)
	}
	if got, want := l.wait(), 2*117*time.Millisecond+time.Millisecond; got != want {
		t.Errorf("wait with spreads of 100-119ms %v, want %v", got, want)
	}
	for i := 0; i < spreadSamples; i++ {
		l.recordSpread(time.Second)
	}
	if got := l.wait(); got != lateVoteWaitCap {
		t.Errorf("wait after slow heights %v, want the cap %v", got, lateVoteWaitCap)
	}
}

// The proposer waits only while a live validator is missing, and never
// past the wait.
func TestProposerWaitsOnlyForMissingLiveValidators(t *testing.T) {
	vals := lcValidators(t, 4)
	l := newLateVotes()
	block := lcID(7)
	decide := func(h int64, signers ...int32) *commitVotes {
		d := consensus.Decide{Height: h, Value: block}
		for _, s := range signers {
			d.Commit = append(d.Commit, lcVote(h, 0, s, block))
		}
		c, err := l.decided(d, vals, lcEpoch)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	decide(1, 0, 1, 2)
	if got := l.deadline(vals, lcEpoch); !got.Equal(lcEpoch.Add(lateVoteWaitFirst)) {
		t.Errorf("deadline %v with validator 3 missing, want the decision plus %v", got, lateVoteWaitFirst)
	}
	if got := l.deadline(vals, lcEpoch.Add(lateVoteWaitFirst)); !got.IsZero() {
		t.Errorf("deadline %v once the wait is over, want none", got)
	}
	decide(2, 0, 1, 2, 3)
	if got := l.deadline(vals, lcEpoch); !got.IsZero() {
		t.Errorf("deadline %v with every validator in, want none", got)
	}
	// Validator 3 goes down: after liveWindow heights without it, nobody
	// waits for it.
	var last int64
	for h := int64(3); h <= 3+liveWindow; h++ {
		decide(h, 0, 1, 2)
		last = h
	}
	if got := l.deadline(vals, lcEpoch); !got.IsZero() {
		t.Errorf("height %d: deadline %v for a validator absent %d heights, want none", last, got, liveWindow)
	}
}

func equalFlags(a, b []types.BlockIDFlag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A signature read from a fetched block's commit has no extension; the
// same validator's extended precommit replaces it, and nothing replaces
// an extended one.
func TestExtendedPrecommitReplacesAnUnextendedSignature(t *testing.T) {
	vals := lcValidators(t, 4)
	l := newLateVotes()
	block := lcID(7)
	if _, err := l.decided(consensus.Decide{Height: 5, Value: block, Commit: []consensus.Vote{lcVote(5, 0, 0, block), lcVote(5, 0, 1, block), lcVote(5, 0, 2, block)}}, vals, lcEpoch); err != nil {
		t.Fatal(err)
	}
	ext := lcVote(5, 0, 1, block)
	ext.Extension, ext.ExtensionSignature = []byte("e1"), bytes.Repeat([]byte{3}, 64)
	if !l.observe(&ext, 5, vals, lcEpoch, false) {
		t.Fatal("the extended precommit did not replace the unextended signature")
	}
	again := ext
	again.Extension = []byte("e2")
	if l.observe(&again, 5, vals, lcEpoch, false) {
		t.Error("a second extended precommit replaced the first")
	}
	if got := string(l.cur.sigs[1].Extension); got != "e1" {
		t.Errorf("extension %q, want e1", got)
	}
}

// A proposer that finishes executing the block after its wait for late
// precommits ran out (a loaded machine) first takes in the events queued
// meanwhile, which hold the precommits that came while it executed; it
// proposes once they are handled, or at once when its commit is complete.
func TestProposerTakesInQueuedVotesWhenTheWaitRanOutDuringExecution(t *testing.T) {
	vals := lcValidators(t, 4)
	e := &Engine{late: newLateVotes(), events: make(chan event, 4)}
	e.state.LastBlockHeight, e.state.LastValidators = 1, vals
	d := consensus.Decide{Height: 1, Value: lcID(7)}
	for _, s := range []int32{0, 1, 2} {
		d.Commit = append(d.Commit, lcVote(1, 0, s, lcID(7)))
	}
	decidedAt := time.Now().Add(-time.Second) // executing took longer than any wait
	if _, err := e.late.decided(d, vals, decidedAt); err != nil {
		t.Fatal(err)
	}
	e.events <- verifiedMessage{}
	e.events <- verifiedMessage{}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("proposed at once with two events queued and validator 3 missing (%v)", r)
			}
		}()
		if err := e.requestProposal(context.Background(), consensus.RequestProposal{Height: 2}); err != nil {
			t.Fatal(err)
		}
	}()
	if e.proposeLater == nil || e.backlog != 2 {
		t.Fatalf("held %v with backlog %d; want the proposal held for the 2 queued events", e.proposeLater, e.backlog)
	}
	if err := e.proposeIfDue(context.Background()); err != nil || e.proposeLater == nil {
		t.Fatalf("proposed (err %v) before the queued events were handled", err)
	}
	v := lcVote(1, 0, 3, lcID(7))
	e.late.observe(&v, 1, vals, time.Now(), true)
	if e.late.missingLive(vals) {
		t.Fatal("validator 3's precommit did not complete the commit")
	}
}
