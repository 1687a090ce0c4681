package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func broadcastPrePrepares(acts []consensus.Action) []*consensus.Proposal {
	var out []*consensus.Proposal
	for _, b := range ofType[consensus.Broadcast](acts) {
		if p, ok := b.Msg.(*consensus.Proposal); ok {
			out = append(out, p)
		}
	}
	return out
}

// TestPrimary_IgnoresStaleAndUnaskedProposals: the application's answer
// becomes a PRE-PREPARE only for the request outstanding and while its
// height is the next to execute: an answer arriving after the others
// decided and executed that height, or one for a height never asked, is
// ignored.
func TestPrimary_IgnoresStaleAndUnaskedProposals(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 0)
	if rp := ofType[consensus.RequestProposal](mustStep(t, c, consensus.Start{})); len(rp) != 1 || rp[0].Height != 1 {
		t.Fatalf("start: proposal requests %v, want height 1", rp)
	}
	decideHeight(t, c, vals, 1)
	mustStep(t, c, consensus.Executed{Height: 1, Next: vals}) // same app hash, no transactions: height 2 is not due
	if pp := broadcastPrePrepares(mustStep(t, c, consensus.ProposalReady{Height: 1, Round: 0, Value: "late"})); len(pp) != 0 {
		t.Fatalf("answer for executed height 1 pre-prepared %v", pp)
	}
	if pp := broadcastPrePrepares(mustStep(t, c, consensus.ProposalReady{Height: 2, Round: 0, Value: "unasked"})); len(pp) != 0 {
		t.Fatalf("unasked answer for height 2 pre-prepared %v", pp)
	}
}

// TestLaggardReplies_StartAtOnceInEachView: the backoff of NEW-VIEW
// replies to a laggard holds within a view; in a new view its first reply
// goes at once, and the next after one tick.
func TestLaggardReplies_StartAtOnceInEachView(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	sent := func() int {
		n := 0
		for _, s := range ofType[consensus.Send](c.out.Take()) {
			if _, ok := s.Msg.(*consensus.NewView); ok && s.To == 3 {
				n++
			}
		}
		return n
	}
	c.view, c.newView = 1, &consensus.NewView{View: 1}
	c.replyToLaggard(3)
	if n := sent(); n != 1 {
		t.Fatalf("first reply in view 1: %d sent, want 1", n)
	}
	c.replyToLaggard(3)
	if n := sent(); n != 0 {
		t.Fatalf("second reply in the same tick: %d sent, want 0", n)
	}
	c.view, c.newView = 2, &consensus.NewView{View: 2}
	c.replyToLaggard(3)
	if n := sent(); n != 1 {
		t.Fatalf("first reply in view 2, same tick: %d sent, want 1", n)
	}
	c.ticks++
	c.replyToLaggard(3)
	if n := sent(); n != 1 {
		t.Fatalf("reply one tick later: %d sent, want 1", n)
	}
}
