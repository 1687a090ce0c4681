package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func TestBug_ForgetLockPrevotesAgainstTheLock(t *testing.T) {
	for _, bug := range []string{"", "forget-lock"} {
		h := newNonProposer(t, equalPowers(4), 2)
		h.start()
		if bug != "" {
			EnableBug(h.core, bug)
		}
		h.lockOn(0, valueA)
		h.nextRound()
		acts := h.receive(h.proposal(1, -1, valueB))
		want := consensus.Nil
		if bug != "" {
			want = valueB
		}
		onlyVote(t, acts, consensus.Prevote, 1, want)
	}
}

func TestBug_UnlockOnNilPolkaReleasesTheLock(t *testing.T) {
	for _, bug := range []string{"", "unlock-on-nil-polka"} {
		h := newNonProposer(t, equalPowers(4), 3)
		h.start()
		if bug != "" {
			EnableBug(h.core, bug)
		}
		h.lockOn(0, valueA)
		h.nextRound()
		h.fire(consensus.TimeoutPropose, 1)
		h.votesFrom(consensus.Prevote, 1, consensus.Nil, h.others()...)
		rs := h.core.RoundState()
		if locked := rs.LockedRound == 0; locked != (bug == "") {
			t.Fatalf("bug %q: lock after a nil polka: %+v", bug, rs)
		}
		h.votesFrom(consensus.Precommit, 1, consensus.Nil, h.others()...)
		h.fire(consensus.TimeoutPrecommit, 1)
		acts := h.receive(h.proposal(2, -1, valueB))
		want := consensus.Nil
		if bug != "" {
			want = valueB
		}
		onlyVote(t, acts, consensus.Prevote, 2, want)
	}
}
