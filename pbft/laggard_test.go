package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// A replica that missed a whole view change (it heard no VIEW-CHANGE, no
// NEW-VIEW and its own timer never fired) is still active in the old view
// while the others decide blocks in the new one. It keeps up by fetching
// the blocks their checkpoints prove, but it never prepares or commits
// again: nothing it sends carries its view, so nobody sends it the
// NEW-VIEW. Votes of a higher view from more than 1/3 of the power (so from
// at least one correct replica, which entered that view by a NEW-VIEW)
// must make it change view, and the others' answer to its VIEW-CHANGE
// brings it into their view.
func TestLaggardInAnOldViewJoinsTheViewTheOthersDecideIn(t *testing.T) {
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.txs = true
	cl.start()
	cl.run(200_000, cl.allExecuted(20, cl.all()...))

	// The view-0 primary stops proposing, so 0, 1 and 2 change view; 3
	// hears none of it and its view-change timer never fires.
	missed := func(m consensus.Message) bool {
		switch m.(type) {
		case *consensus.ViewChange, *consensus.NewView:
			return true
		}
		return false
	}
	cl.drop = func(from, to int, m consensus.Message) bool {
		if _, ok := m.(*consensus.Proposal); ok && from == 0 {
			return true
		}
		return to == 3 && missed(m)
	}
	cl.skip = func(to int, in consensus.Input) bool {
		tf, ok := in.(consensus.TimeoutFired)
		return ok && to == 3 && tf.Timeout.Kind == consensus.TimeoutViewChange
	}
	cl.run(400_000, func() bool {
		for _, i := range []int{0, 1, 2} {
			if st := cl.nodes[i].core.Status(); st.Round < 1 || st.Step != "normal" {
				return false
			}
		}
		return true
	})

	// The network heals: 3 must end up committing in the others' view.
	cl.drop, cl.skip = nil, nil
	h := cl.nodes[1].core.lastExecuted
	cl.run(400_000, cl.allExecuted(h+40, cl.all()...))
	want := cl.nodes[1].core.Status()
	if st := cl.nodes[3].core.Status(); st.Round != want.Round || st.Step != "normal" {
		t.Fatalf("replica 3 is at %+v; the others are at %+v", st, want)
	}
	last := cl.nodes[1].decided[len(cl.nodes[1].decided)-1]
	signed := false
	for _, v := range last.Commit {
		signed = signed || v.Validator == 3
	}
	if !signed && len(last.Commit) < 4 {
		// The decision needs only three COMMITs; look at the tallies.
		if vs := cl.nodes[1].core.lookup(last.Height, want.Round); vs != nil {
			_, signed = vs.commits.Voted(3)
		}
	}
	if !signed {
		t.Fatalf("replica 3's COMMIT for height %d is missing", last.Height)
	}
	if len(cl.conflicts) > 0 {
		t.Fatalf("disagreement: %v", cl.conflicts)
	}
}

// A laggard that never gets the NEW-VIEW keeps repeating its old-view
// messages every retransmission tick. The others answer it with the whole
// NEW-VIEW, but backing off (1, 2, 4 ... ticks apart, at most
// maxLaggardGap), not once per tick: a lost reply is repeated, and a
// laggard slow to check the NEW-VIEW's signatures is not buried in them.
func TestLaggardRepliesBackOff(t *testing.T) {
	cfg := testConfig()
	cfg.TimeoutCommit = 100 * time.Millisecond // so that virtual time moves on
	cl := newCluster(t, cfg, 1, 1, 1, 1)
	cl.txs = true
	cl.start()
	cl.run(200_000, cl.allExecuted(20, cl.all()...))

	// 0 stops proposing; 3 never hears a NEW-VIEW and never times out.
	cl.drop = func(from, to int, m consensus.Message) bool {
		if _, ok := m.(*consensus.Proposal); ok && from == 0 {
			return true
		}
		_, nv := m.(*consensus.NewView)
		return to == 3 && nv
	}
	cl.skip = func(to int, in consensus.Input) bool {
		tf, ok := in.(consensus.TimeoutFired)
		return ok && to == 3 && tf.Timeout.Kind == consensus.TimeoutViewChange
	}
	cl.run(400_000, func() bool {
		for _, i := range []int{1, 2} {
			if st := cl.nodes[i].core.Status(); st.Round < 1 || st.Step != "normal" {
				return false
			}
		}
		return true
	})
	replies := map[int]int{}
	drop := cl.drop
	cl.drop = func(from, to int, m consensus.Message) bool {
		if _, nv := m.(*consensus.NewView); nv && to == 3 {
			replies[from]++
		}

		return drop(from, to, m)
	}
	const ticks = 40
	cl.runFor(ticks*cfg.RetransmitInterval, cl.steps+2_000_000)
	// Gaps 1, 2, 4, 8, 8 ... ticks: 8 replies in 40 ticks, give or take
	// one at each end; once per tick would be about 40.
	for _, i := range []int{1, 2} {
		if n := replies[i]; n < 2 || n > 10 {
			t.Errorf("replica %d sent the laggard %d NEW-VIEWs in %d retransmission ticks; want 2 to 10", i, n, ticks)
		}
	}
}
