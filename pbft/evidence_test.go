package pbft

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// slotKey names the slot a message fills: the kind, and the view and
// sequence number (or checkpoint height) it is for. Two messages of one
// signer for one slot with different content are equivocation.
func slotKey(m consensus.Message) string {
	switch m := m.(type) {
	case *consensus.Proposal:
		return fmt.Sprintf("pp/%d/%d", m.Round, m.Height)
	case *consensus.Vote:
		return fmt.Sprintf("%s/%d/%d", m.Type, m.Round, m.Height)
	case *consensus.Checkpoint:
		return fmt.Sprintf("cp/%d", m.Height)
	case *consensus.ViewChange:
		return fmt.Sprintf("vc/%d", m.View)
	case *consensus.NewView:
		return fmt.Sprintf("nv/%d", m.View)
	}
	return fmt.Sprintf("unknown %T", m)
}

// checkEvidence fails unless every Evidence action pairs two messages of
// one signer for one slot: evidence is a claim that the signer
// equivocated, and a pair of two signers proves nothing against either.
func checkEvidence(t testing.TB, acts []consensus.Action) {
	t.Helper()
	for _, ev := range ofType[consensus.Evidence](acts) {
		if ev.First == nil || ev.Second == nil {
			t.Fatalf("evidence with a missing message: %+v", ev)
		}
		if ev.First.Signer() != ev.Second.Signer() || slotKey(ev.First) != slotKey(ev.Second) {
			t.Fatalf("evidence pairs %s by %d with %s by %d", slotKey(ev.First), ev.First.Signer(), slotKey(ev.Second), ev.Second.Signer())
		}
	}
}

// A NEW-VIEW for the replica's current view signed by a validator that is
// not that view's primary (a Byzantine validator re-signing another view's
// NEW-VIEW) is rejected; it is no evidence against the primary whose
// NEW-VIEW the replica installed.
func TestEvidence_NewViewOfAnotherSignerIsRejectedNotEvidence(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	good := newViewFor(t, viewChangeMsg(2, 0, cert(1, 0, "x")), viewChangeMsg(2, 1))
	b := newCore(t, testConfig(), vals, 3)
	recv(t, b, good)
	if b.view != 2 || !b.active {
		t.Fatal("backup did not enter view 2")
	}
	forged := *good
	forged.Validator = 1
	forged.PrePrepares = nil
	acts, err := b.Step(consensus.Receive{Msg: &forged})
	checkEvidence(t, acts)
	if !errors.Is(err, consensus.ErrInvalidInput) {
		t.Fatalf("NEW-VIEW for view 2 from validator 1: error %v, want ErrInvalidInput", err)
	}
	// The primary's own second, different NEW-VIEW still is evidence.
	other := *good
	other.PrePrepares = nil
	acts = recv(t, b, &other)
	checkEvidence(t, acts)
	if ev := ofType[consensus.Evidence](acts); len(ev) != 1 || ev[0].First.Signer() != 2 {
		t.Fatalf("evidence %v, want one against the primary 2", ev)
	}
}
