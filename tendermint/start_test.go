package tendermint

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// With create_empty_blocks on and no interval, every height starts at
// once, also one without transactions and with an unchanged application
// hash (CometBFT's default).
func TestHeightStart_EmptyBlocksWithoutIntervalStartAtOnce(t *testing.T) {
	h := toQuietHeight(t, func(*Config) {})
	acts := h.execute("same")
	if st := h.core.Status(); st.Height != 3 || st.Step != "propose" || len(timeouts(acts, consensus.TimeoutPropose)) != 1 {
		t.Fatalf("status %+v: a quiet height waited with empty blocks on", st)
	}
}

// Starting a height applies line 55 to the messages logged before it
// started, not only to the message that made it start: a validator with
// more than a third of the power whose own prevote of round 2 came back
// while the height waited for transactions (a restarted node's own signed
// message handed back) starts in round 2, where its signature already is.
func TestHeightStart_SkipsToTheRoundOfMessagesLoggedBefore(t *testing.T) {
	h := newHarness(t, []int64{2, 2, 1}, -1)
	third := h.vals.Next().Next() // the set of height 3
	for _, i := range []int32{0, 1} {
		if third.ProposerOf(0) != i && third.ProposerOf(2) != i {
			h.self = i
		}
	}
	if h.self < 0 {
		t.Fatal("no validator of power 2 is free of round 0 and 2 of height 3; change the powers")
	}
	h.cfg.CreateEmptyBlocks = false
	h.start()
	h.decideHeight(valueA)
	h.execute("same")
	h.decideHeight(valueB)
	h.execute("same")
	if st := h.core.Status(); st.Height != 3 || st.Step != "new-height" {
		t.Fatalf("status %+v, want height 3 waiting for transactions", st)
	}
	h.receive(h.vote(consensus.Prevote, 2, consensus.Nil, h.self))
	if st := h.core.Status(); st.Step != "new-height" {
		t.Fatalf("status %+v: this node's own message started the height", st)
	}
	acts := h.step(consensus.TxsAvailable{})
	ts := timeouts(acts, consensus.TimeoutPropose)
	if st := h.core.Status(); st.Round != 2 || len(ts) == 0 || ts[len(ts)-1].Timeout.Round != 2 {
		t.Fatalf("status %+v, propose timeouts %+v: want round 2 started", st, ts)
	}
}
