package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// leadNewView makes c, the primary of view, count its own VIEW-CHANGE sent
// in sent, send its NEW-VIEW, and accept it; it returns the actions of the
// acceptance.
func leadNewView(t *testing.T, c *Core, view int32, sent []*consensus.ViewChange) []consensus.Action {
	t.Helper()
	if len(sent) != 1 || sent[0].View != view {
		t.Fatalf("sent %v, want a VIEW-CHANGE for view %d", sent, view)
	}
	for _, b := range ofType[consensus.Broadcast](recv(t, c, sign(sent[0]))) {
		if nv, ok := b.Msg.(*consensus.NewView); ok {
			acts := recv(t, c, sign(nv))
			if c.view != view || !c.active {
				t.Fatalf("after its NEW-VIEW(%d): view %d, active %v", view, c.view, c.active)
			}
			return acts
		}
	}
	t.Fatalf("the primary of view %d sent no NEW-VIEW", view)
	return nil
}

// TestPrimary_IgnoresTheAnswerOfAnEarlierViewItLed: onProposalReady
// ignores stale answers. Validator 1 of four leads view 1 and asks the
// application for height 1; before the answer it moves to view 5, which it
// leads too (5 mod 4 = 1), and whose NEW-VIEW re-proposes height 1 from a
// certificate of view 2. The answer for view 1 then becomes no PRE-PREPARE:
// every replica would ignore one of a view below its own.
func TestPrimary_IgnoresTheAnswerOfAnEarlierViewItLed(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	recv(t, c, viewChangeMsg(1, 0))
	acts := leadNewView(t, c, 1, sentViewChanges(recv(t, c, viewChangeMsg(1, 2))))
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0] != (consensus.RequestProposal{Height: 1, Round: 1}) {
		t.Fatalf("primary of view 1: proposal requests %v, want height 1 in view 1", rp)
	}
	recv(t, c, viewChangeMsg(5, 0))
	acts = leadNewView(t, c, 5, sentViewChanges(recv(t, c, viewChangeMsg(5, 2, cert(1, 2, blockID(1, 2))))))
	if vs := c.lookup(1, 5); vs == nil || vs.prePrepare == nil || vs.prePrepare.Value != blockID(1, 2) {
		t.Fatalf("NEW-VIEW(5) did not re-propose height 1 with the value of view 2")
	}
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 0 {
		t.Fatalf("proposal requests %v for a height the NEW-VIEW re-proposed", rp)
	}
	acts = mustStep(t, c, consensus.ProposalReady{Height: 1, Round: 1, Value: blockID(1, 1)})
	for _, b := range ofType[consensus.Broadcast](acts) {
		if pp, ok := b.Msg.(*consensus.Proposal); ok {
			t.Fatalf("pre-prepare %+v of view 1 sent in view 5", pp)
		}
	}
}
