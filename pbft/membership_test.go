package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// A replica signs PBFT messages only with an index it holds: a replica
// outside the current set follows without voting, and a member of the
// current set that joined after n has no index to sign n's COMMIT with.

// decideByCommits has c decide height 1 (pre-prepared by validator 0) by
// the COMMITs of validators 0, 1 and 2, and execute it with next as the
// set of height 2.
func decideByCommits(t *testing.T, c *Core, next *consensus.ValidatorSet) consensus.ID {
	t.Helper()
	value := blockID(1, 0)
	recv(t, c, prePrepare(1, 0, value, 0))
	for i := int32(0); i <= 2; i++ {
		recv(t, c, commitVote(1, 0, value, i))
	}
	if c.lastDecided != 1 {
		t.Fatal("height 1 not decided")
	}
	mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, value), Next: next})
	return value
}

func TestMembership_RemovedReplicaSendsNoCommit(t *testing.T) {
	four, three := testVals(t, 1, 1, 1, 1), testVals(t, 1, 1, 1)
	c := newCore(t, testConfig(), four, 3)
	mustStep(t, c, consensus.Start{})
	value := decideByCommits(t, c, three)
	if c.isValidator() {
		t.Fatal("replica 3 still a validator after the set of height 2 left it out")
	}
	acts := recv(t, c, prepareVote(1, 0, value, 1))
	acts = append(acts, recv(t, c, prepareVote(1, 0, value, 2))...)
	if v := broadcastVotes(acts, consensus.Precommit); len(v) != 0 {
		t.Fatalf("a replica outside the current set broadcast COMMIT %+v", *v[0])
	}
}

func TestMembership_JoinedReplicaSendsNoCommitForHeightsBeforeIt(t *testing.T) {
	four, five := testVals(t, 1, 1, 1, 1), testVals(t, 1, 1, 1, 1, 1)
	c := newCore(t, testConfig(), four, 4) // not in the set of height 1
	mustStep(t, c, consensus.Start{})
	value := decideByCommits(t, c, five)
	if c.self != 4 {
		t.Fatalf("replica index %d in the set of height 2, want 4", c.self)
	}
	acts := recv(t, c, prepareVote(1, 0, value, 1))
	acts = append(acts, recv(t, c, prepareVote(1, 0, value, 2))...)
	if v := broadcastVotes(acts, consensus.Precommit); len(v) != 0 {
		t.Fatalf("a replica that joined at height 2 broadcast COMMIT %+v for height 1", *v[0])
	}
}

func TestMembership_RemovedReplicaStartsNoViewChange(t *testing.T) {
	four, three := testVals(t, 1, 1, 1, 1), testVals(t, 1, 1, 1)
	c := newCore(t, testConfig(), four, 3)
	mustStep(t, c, consensus.Start{})
	recv(t, c, viewChangeMsg(1, 0))
	sent := sentViewChanges(recv(t, c, viewChangeMsg(1, 1)))
	if len(sent) != 1 {
		t.Fatalf("view changes of 2 of 4: sent %v, want to join view 1", sent)
	}
	acts := recv(t, c, sign(sent[0]))
	timer := viewChangeTimer(t, acts) // 3 of 4 left view 0: the NEW-VIEW timer runs
	decideByCommits(t, c, three)
	if c.isValidator() {
		t.Fatal("replica 3 still a validator after the set of height 2 left it out")
	}
	acts = mustStep(t, c, consensus.TimeoutFired{Timeout: timer.Timeout})
	if vcs := sentViewChanges(acts); len(vcs) != 0 {
		t.Fatalf("a replica outside the current set sent VIEW-CHANGE %+v", *vcs[0])
	}
}
