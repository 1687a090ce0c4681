package tendermint

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// toCommitWait decides and executes height 1 with the given timeout_commit,
// leaving the core waiting it out at height 2.
func toCommitWait(t *testing.T, timeoutCommit time.Duration) *harness {
	t.Helper()
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.cfg.TimeoutCommit = timeoutCommit
	h.start()
	h.decideHeight(valueA)
	h.execute("app")
	if st := h.core.Status(); st.Height != 2 || st.Step != "commit-wait" {
		t.Fatalf("status %+v, want height 2 in commit-wait", st)
	}
	return h
}

// The commit wait ends early only when the buffer shows the height decided
// by the others: a proposal and precommits for it from more than 2/3. A
// proposal with a polka of prevotes is not a decision (the value may still
// fail to gather its precommits), so the node keeps waiting.
func TestCommitWait_PrevotesAloneDoNotEndIt(t *testing.T) {
	h := toCommitWait(t, 2*time.Second)
	h.receive(h.proposal(0, -1, valueB))
	h.votesFrom(consensus.Prevote, 0, valueB, h.others()...)
	if st := h.core.Status(); st.Step != "commit-wait" {
		t.Fatalf("status %+v: a proposal and its prevotes ended the commit wait", st)
	}
	acts := h.votesFrom(consensus.Precommit, 0, valueB, h.others()...)
	if ds := actionsOf[consensus.Decide](acts); len(ds) != 1 || ds[0].Value != valueB {
		t.Fatalf("the others' precommits did not end the wait with a decision: %v", acts)
	}
}

// Any positive timeout_commit makes the node wait, however short.
func TestCommitWait_ShortestPositiveTimeoutCommitWaits(t *testing.T) {
	h := toCommitWait(t, time.Nanosecond)
	acts := h.fire(consensus.TimeoutCommit, 0)
	if st := h.core.Status(); st.Step != "propose" || len(timeouts(acts, consensus.TimeoutPropose)) != 1 {
		t.Fatalf("status %+v after the commit timeout, want round 0 started", st)
	}
}

// A commit timeout of the height already being decided is stale and
// changes nothing (timeouts are never cancelled): here the next height's
// wait ran out while the block executed, and a late firing of the current
// height's wait must not make the next height wait again, for no timer
// would end that wait.
func TestCommitWait_StaleCommitTimeoutIsIgnored(t *testing.T) {
	h := newQuietValidator(t, equalPowers(4), 1, 2)
	h.cfg.TimeoutCommit = 2 * time.Second
	h.start()
	h.decideHeight(valueA)
	h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutCommit, Height: 2}})
	if acts := h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutCommit, Height: 1}}); len(acts) != 0 {
		t.Fatalf("a stale commit timeout acted: %v", acts)
	}
	acts := h.execute("app")
	if st := h.core.Status(); st.Height != 2 || st.Step != "propose" || len(timeouts(acts, consensus.TimeoutPropose)) != 1 {
		t.Fatalf("status %+v: height 2 waits although its commit wait ran out", st)
	}
}
