package tendermint

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// A validator whose round the others finish before it votes still signs a
// precommit of the deciding round, as CometBFT does on +2/3 precommits:
// otherwise the commit, and the next block's LastCommit, leave out a live
// validator (x/slashing counts it as having missed the block).

// precommitBeforeDecide returns this node's precommits in acts, failing
// the test unless every one comes before the Decide.
func precommitBeforeDecide(t *testing.T, acts []consensus.Action) []*consensus.Vote {
	t.Helper()
	var out []*consensus.Vote
	decided := false
	for _, a := range acts {
		switch a := a.(type) {
		case consensus.Decide:
			decided = true
		case consensus.Broadcast:
			if v, ok := a.Msg.(*consensus.Vote); ok && v.Type == consensus.Precommit {
				if decided {
					t.Fatalf("precommit %+v after the Decide: the driver executes the block first and the vote misses its extension", v)
				}
				out = append(out, v)
			}
		}
	}
	if !decided {
		t.Fatalf("no decision in %v", acts)
	}
	return out
}

// TestLine49_OvertakenDuringCommitWaitStillPrecommits: the others decide
// height 2 while this node still waits out timeout_commit (it decided
// height 1 a little later than they did). Their proposal and prevotes wait
// in the buffer; the precommit that completes their quorum ends the wait,
// as CometBFT's +2/3 precommits end its commit wait, and the height decides
// at once, before this node's application answered valid(v); it precommits
// v first.
func TestLine49_OvertakenDuringCommitWaitStillPrecommits(t *testing.T) {
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.cfg.TimeoutCommit = time.Second
	h.start()
	h.decideHeight(valueA)
	h.execute("app")
	h.autoVerdict = false
	if acts := h.receive(h.proposal(0, -1, valueB)); len(acts) != 0 {
		t.Fatalf("acted during the commit wait: %v", acts)
	}
	o := h.others()
	h.votesFrom(consensus.Prevote, 0, valueB, o...)
	if acts := h.votesFrom(consensus.Precommit, 0, valueB, o[:2]...); len(acts) != 0 {
		t.Fatalf("acted during the commit wait on precommits short of a quorum: %v", acts)
	}
	acts := h.votesFrom(consensus.Precommit, 0, valueB, o[2])
	pcs := precommitBeforeDecide(t, acts)
	if len(pcs) != 1 || pcs[0].Value != valueB || pcs[0].Round != 0 || pcs[0].Height != 2 || pcs[0].Validator != h.self {
		t.Fatalf("precommits %+v, want one for %q at height 2 round 0 from validator %d", pcs, valueB, h.self)
	}
	if acts := h.fire(consensus.TimeoutCommit, 0); len(acts) != 0 {
		t.Fatalf("the commit wait running out after the decision acted: %v", acts)
	}
}

// TestSyncedDecisionPrecommitsWhenTakingPart: a fetched commit decides
// the height of a node that was in its round (it had the proposal): it
// precommits in the commit's round first (nil: it saw no polka). A node
// that saw nothing of the height is catching up and signs nothing.
func TestSyncedDecisionPrecommitsWhenTakingPart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		takePart bool
	}{{"in the round", true}, {"catching up", false}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newNonProposer(t, equalPowers(4), 1)
			h.autoVerdict = false
			h.start()
			if tc.takePart {
				h.receive(h.proposal(0, -1, valueA))
			}
			var commit []consensus.Vote
			for _, v := range h.others() {
				commit = append(commit, *h.vote(consensus.Precommit, 0, valueA, v))
			}
			pcs := precommitBeforeDecide(t, h.step(consensus.Synced{Height: 1, Value: valueA, Commit: commit}))
			switch {
			case !tc.takePart && len(pcs) != 0:
				t.Fatalf("a node catching up signed %+v", pcs)
			case tc.takePart && (len(pcs) != 1 || pcs[0].Value != consensus.Nil || pcs[0].Round != 0):
				t.Fatalf("precommits %+v, want one for nil in round 0", pcs)
			}
		})
	}
}

// TestLine49_OvertakenWithoutPolkaPrecommitsNil: with 2f+1 precommits but
// not the prevotes, the node has no polka of its own (line 36 does not
// hold for it) and precommits nil, which still shows it live.
func TestLine49_OvertakenWithoutPolkaPrecommitsNil(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.autoVerdict = false
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	acts := h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)
	pcs := precommitBeforeDecide(t, acts)
	if len(pcs) != 1 || pcs[0].Value != consensus.Nil || pcs[0].Round != 0 {
		t.Fatalf("precommits %+v, want one for nil in round 0", pcs)
	}
}

// TestLine49_NoSecondPrecommitInTheDecidingRound: a node that precommitted
// nil in round 0 (its prevote timeout) and moved on to round 1 decides
// round 0's value from late precommits without signing a second precommit
// of round 0, which would be an equivocation.
func TestLine49_NoSecondPrecommitInTheDecidingRound(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.autoVerdict = false
	h.start()
	h.receive(h.proposal(0, -1, valueA))
	o := h.others()
	h.votesFrom(consensus.Prevote, 0, consensus.Nil, o[0])
	h.votesFrom(consensus.Prevote, 0, valueA, o[1], o[2])
	h.fire(consensus.TimeoutPropose, 0)
	onlyVote(t, h.fire(consensus.TimeoutPrevote, 0), consensus.Precommit, 0, consensus.Nil)
	h.votesFrom(consensus.Precommit, 0, valueA, o[0], o[1])
	h.fire(consensus.TimeoutPrecommit, 0)
	if h.core.h.round != 1 {
		t.Fatalf("round %d, want 1", h.core.h.round)
	}
	acts := h.votesFrom(consensus.Precommit, 0, valueA, o[2])
	if pcs := precommitBeforeDecide(t, acts); len(pcs) != 0 {
		t.Fatalf("signed %+v after precommitting nil in round 0", pcs)
	}
}
