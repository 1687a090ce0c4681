package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// With powers 71, 27, 16 and 13 and the two light validators silent, every
// quorum needs both the primary of view 0 and validator 1. Cut off from the
// primary, validator 1 changes view alone (27 is less than 1/3, so nobody
// joins it). Once the link is back, the primary must start a view change
// too, since its own pre-prepares do not commit: otherwise the two wait for
// each other forever.
func TestLiveness_PrimaryChangesViewWhenItsPrePreparesDoNotCommit(t *testing.T) {
	cl := newCluster(t, testConfig(), 71, 27, 16, 13)
	cl.txs = true
	cut := true
	cl.drop = func(from, to int, _ consensus.Message) bool {
		if from >= 2 || to >= 2 {
			return true // the Byzantine validators stay silent
		}
		return cut
	}
	cl.start()
	cl.runFor(10*testConfig().ViewChangeTimeout, 200_000)
	if st := cl.nodes[1].core.Status(); st.Step != "view-change" {
		t.Fatalf("validator 1 did not start a view change while cut off: %+v", st)
	}
	if h := cl.nodes[0].core.lastExecuted; h != 0 {
		t.Fatalf("executed %d blocks without a quorum", h)
	}
	cut = false
	healedAt := cl.now
	done := cl.allExecuted(5, 0, 1)
	for !done() && cl.now < healedAt+time.Minute && cl.steps < 500_000 && cl.stepOnce() {
	}
	for _, i := range []int{0, 1} {
		if h := cl.nodes[i].core.lastExecuted; h < 5 {
			t.Errorf("validator %d executed %d blocks in the minute after the link came back (healed at %v); status %+v", i, h, healedAt, cl.nodes[i].core.Status())
		}
	}
	if len(cl.conflicts) > 0 {
		t.Fatalf("disagreement: %v", cl.conflicts)
	}
}
