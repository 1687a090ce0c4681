package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A restarted driver steps Start on the replica it rebuilt from the latest
// snapshot and then replays the inputs logged since, which can hold the
// Start of an earlier life (the snapshot predates the previous restart).
// Start resumes the replica once: the decision awaiting execution, the
// timers and the requests are handed over once per life, not once per
// logged Start.
func TestRestart_ReplayedStartResumesNothingTwice(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	mustStep(t, c, consensus.Start{})
	for _, i := range []int32{0, 2, 3} {
		recv(t, c, commitVote(1, 0, blockID(1, 0), i))
	}
	if c.lastDecided != 1 || c.lastExecuted != 0 {
		t.Fatalf("decided %d, executed %d; want height 1 awaiting execution", c.lastDecided, c.lastExecuted)
	}
	snap, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restarted, err := New(testConfig(), addr(1), vals, snap)
	if err != nil {
		t.Fatal(err)
	}
	acts := mustStep(t, restarted, consensus.Start{})
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Height != 1 {
		t.Fatalf("resuming: decisions %v, want height 1 once", d)
	}
	if acts := mustStep(t, restarted, consensus.Start{}); len(acts) != 0 {
		t.Fatalf("a replayed Start of an earlier life produced %v", acts)
	}
}
