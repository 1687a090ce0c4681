package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// inOrder builds a validator set whose index i has address {i+1} and the
// given power, in that order (testVals needs non-increasing powers).
func inOrder(t testing.TB, powers ...int64) *consensus.ValidatorSet {
	t.Helper()
	var vs []consensus.Validator
	for i, p := range powers {
		vs = append(vs, consensus.Validator{Address: addr(i), PubKey: addr(i), Power: p})
	}
	set, err := consensus.ValidatorSetFromExisting(vs, 0)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// A backup that decided height 1 but has not executed it does not know the
// set of height 2 yet (Executed{1} reports it), so it does not count the
// PREPAREs of height 2 with the set it assumes: the primary's and two of
// four equal powers would be a quorum of the old set, but not once the
// backup's own power grows to 4 of 7. Counted early, the certificate went
// into its VIEW-CHANGEs, which every replica that knew the new powers
// refused, and the view change never completed (found by the simulator's
// valset family). Regression test.
func TestValidatorSetChange_PreparesCountAgainstTheSetOfTheHeight(t *testing.T) {
	cases := []struct {
		name       string
		next       *consensus.ValidatorSet
		wantCommit bool
	}{
		{"same powers", inOrder(t, 1, 1, 1, 1), true},
		{"the backup's power grows", inOrder(t, 1, 1, 1, 4), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, testConfig(), inOrder(t, 1, 1, 1, 1), 3)
			for i := int32(0); i < 3; i++ {
				recv(t, c, commitVote(1, 0, blockID(1, 0), i))
			}
			if c.lastDecided != 1 {
				t.Fatal("height 1 not decided")
			}
			var acts []consensus.Action
			acts = append(acts, recv(t, c, prePrepare(2, 0, blockID(2, 0), 0))...)
			acts = append(acts, recv(t, c, prepareVote(2, 0, blockID(2, 0), 1))...)
			acts = append(acts, recv(t, c, prepareVote(2, 0, blockID(2, 0), 2))...)
			if commits := broadcastVotes(acts, consensus.Precommit); len(commits) != 0 {
				t.Fatalf("sent COMMIT %v for height 2 before knowing its validator set", commits)
			}
			acts = mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, blockID(1, 0)), Next: tc.next})
			commits := broadcastVotes(acts, consensus.Precommit)
			_, certified := c.prepared[2]
			if (len(commits) == 1) != tc.wantCommit || certified != tc.wantCommit {
				t.Fatalf("after Executed{1}: COMMITs %v, certificate kept %v; want both %v", commits, certified, tc.wantCommit)
			}
		})
	}
}

// Once the checkpoint at K is stable, its proof is still weighed with the
// set of height K, even after Executed{K} reported another set for K+1:
// garbage collection used to drop the set of K too, so the replica refused
// its own proof, and every VIEW-CHANGE carrying a proof at K, for lack of
// power (found by the simulator's valset family). Regression test.
func TestValidatorSetChange_StableProofKeepsTheSetOfItsHeight(t *testing.T) {
	vals := inOrder(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	k := c.cfg.CheckpointInterval
	decideThrough(t, c, vals, k-1)
	value := blockID(k, 0)
	for i := int32(0); i < 4; i++ {
		recv(t, c, commitVote(k, 0, value, i))
	}
	mustStep(t, c, consensus.Executed{Height: k, AppHash: appHash(k, value), Next: inOrder(t, 1, 1, 1, 4)})
	for i := int32(0); i < 3; i++ {
		recv(t, c, checkpointMsg(k, string(appHash(k, value)), i))
	}
	if c.low() != k {
		t.Fatalf("low watermark %d; want the checkpoint at %d stable with 3 of 4 equal powers", c.low(), k)
	}
	if err := c.checkStable(&c.stable); err != nil {
		t.Fatalf("the replica refuses its own stable checkpoint's proof: %v", err)
	}
}

// A replica that executed height 5 only does not know the set of the
// checkpoint height K=10 yet (Executed{K-1} reports it), so CHECKPOINTs at
// K from validators 1 to 3 of four equal powers, a quorum of the set it
// assumes, only make it fetch the blocks up to K: the set of K gives
// validator 0 4 of 7, and a stable checkpoint adopted on the old powers
// went into the replica's VIEW-CHANGEs, which every replica that knew the
// new powers refused, so the replica was silent in view changes (found by
// the simulator's valset family). Once Executed{K-1} reports the set, the
// checkpoint becomes stable when its signers hold more than 2/3 of it.
// Regression test.
func TestValidatorSetChange_StableWaitsForTheSetOfItsHeight(t *testing.T) {
	old, next := inOrder(t, 1, 1, 1, 1), inOrder(t, 4, 1, 1, 1)
	c := newCore(t, testConfig(), old, 0)
	k := c.cfg.CheckpointInterval
	decideThrough(t, c, old, 5)
	hash := string(appHash(k, blockID(k, 0)))
	var acts []consensus.Action
	for i := int32(1); i < 4; i++ {
		acts = append(acts, recv(t, c, checkpointMsg(k, hash, i))...)
	}
	if c.low() != 0 {
		t.Fatalf("checkpoint at %d stable at executed height %d, before the set of its height is known", c.low(), c.lastExecuted)
	}
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 1 || f[0].To != k {
		t.Fatalf("fetches %v; want the blocks up to %d, which more than 2/3 of the assumed set proved", f, k)
	}
	decideThrough(t, c, old, k-2)
	for i := int32(1); i < 4; i++ {
		recv(t, c, commitVote(k-1, 0, blockID(k-1, 0), i))
	}
	mustStep(t, c, consensus.Executed{Height: k - 1, AppHash: appHash(k-1, blockID(k-1, 0)), Next: next})
	if c.low() != 0 {
		t.Fatalf("checkpoint at %d stable with 3 of the 7 powers of its height's set", c.low())
	}
	recv(t, c, checkpointMsg(k, hash, 0))
	if c.low() != k {
		t.Fatalf("low watermark %d; want the checkpoint at %d stable once all four signed it", c.low(), k)
	}
	if err := c.checkStable(&c.stable); err != nil {
		t.Fatalf("the replica's stable proof is refused under its height's set: %v", err)
	}
}
