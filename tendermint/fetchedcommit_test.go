package tendermint

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// A validator that decides a height by a fetched commit precommits in the
// commit's round first only if it was taking part in that round: it has
// messages of the round, logged or waiting in the buffer (takesPart). One
// that saw nothing of the round is catching up and signs nothing.

// commitWaiting returns a harness whose node decided height 1 and waits
// out timeout_commit at height 2, so that messages of height 2 are
// buffered.
func commitWaiting(t *testing.T) *harness {
	t.Helper()
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.cfg.TimeoutCommit = time.Second
	h.start()
	h.decideHeight(valueA)
	h.execute("app-1")
	if h.height() != 2 || h.core.h.phase != phaseCommitWait {
		t.Fatalf("not waiting out the commit of height 1 at height 2 (height %d)", h.height())
	}
	return h
}

func TestFetchedCommit_RoundOnlyEnteredSignsNothing(t *testing.T) {
	h := newHarness(t, equalPowers(4), 0)
	h.self = h.vals.ProposerOf(0)
	h.start() // the proposer of round 0 asks for its proposal: it has entered round 0
	acts := h.step(consensus.Synced{Height: 1, Value: valueB, Commit: precommits(h, 0, valueB, h.others()...)})
	if len(actionsOf[consensus.Decide](acts)) != 1 {
		t.Fatalf("fetched commit not decided: %v", acts)
	}
	noVote(t, acts, consensus.Precommit)
}

func TestFetchedCommit_BufferedMessageOfTheRoundMeansTakingPart(t *testing.T) {
	h := commitWaiting(t)
	o := h.others()
	h.receive(h.vote(consensus.Prevote, 0, valueB, o[0]))
	acts := h.step(consensus.Synced{Height: 2, Value: valueB, Commit: precommits(h, 0, valueB, o...)})
	if len(actionsOf[consensus.Decide](acts)) != 1 {
		t.Fatalf("fetched commit not decided: %v", acts)
	}
	onlyVote(t, acts, consensus.Precommit, 0, consensus.Nil) // no polka logged: nil
}

func TestFetchedCommit_BufferedMessagesOfOtherRoundsOrHeightsDoNot(t *testing.T) {
	h := commitWaiting(t)
	o := h.others()
	h.receive(h.vote(consensus.Prevote, 1, valueB, o[0])) // height 2, round 1
	next := h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 0, Value: valueB, Validator: o[1]})
	h.receive(next) // height 3, round 0
	acts := h.step(consensus.Synced{Height: 2, Value: valueB, Commit: precommits(h, 0, valueB, o...)})
	if len(actionsOf[consensus.Decide](acts)) != 1 {
		t.Fatalf("fetched commit not decided: %v", acts)
	}
	noVote(t, acts, consensus.Precommit)
}
