package pbft

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// The join rule [§4.5.2 rule 2] runs when a replica learns something new
// about the views of the others: a VIEW-CHANGE, or a vote of a view above
// its own (noteVoteView). A vote that tells nothing new does not run it,
// even when the rule's outcome changed since it last ran: executing a block
// whose new validator set lifts the validators known in higher views above
// 1/3 of the power joins at the next news of their views (a VIEW-CHANGE
// repeated unchanged is no news either: onViewChange drops it).

// replicaAfterPowerShift returns validator 2 of four equal validators,
// active in view 1, that knows validator 0's VIEW-CHANGE and a vote of
// validator 0 for view 2 (a quarter of the power: no join), and then
// executed height 1, whose next set gives validator 0 three fifths of the
// power and drops validator 3.
func replicaAfterPowerShift(t *testing.T) *Core {
	t.Helper()
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 2)
	mustStep(t, c, consensus.Start{})
	recv(t, c, viewChangeMsg(1, 0))
	sent := sentViewChanges(recv(t, c, viewChangeMsg(1, 1)))
	if len(sent) != 1 || sent[0].View != 1 {
		t.Fatalf("half the power in view 1: sent %v, want a VIEW-CHANGE for view 1", sent)
	}
	recv(t, c, sign(sent[0]))
	nv := &consensus.NewView{View: 1, Validator: 1, Signature: []byte("signed")}
	for _, i := range []int32{0, 1, 2} {
		nv.ViewChanges = append(nv.ViewChanges, *viewChangeMsg(1, i))
	}
	recv(t, c, nv)
	if c.view != 1 || !c.active {
		t.Fatalf("after NEW-VIEW(1): view %d, active %v", c.view, c.active)
	}
	recv(t, c, viewChangeMsg(2, 0))
	recv(t, c, commitVote(1, 2, blockID(1, 2), 0))
	for _, i := range []int32{0, 2, 3} { // validator 1 has not voted in view 1 yet
		recv(t, c, commitVote(1, 1, blockID(1, 1), i))
	}
	if c.view != 1 || !c.active || c.lastDecided != 1 {
		t.Fatalf("a quarter of the power in view 2: view %d, active %v, last decided %d; want active in 1, height 1 decided", c.view, c.active, c.lastDecided)
	}
	shifted := testVals(t, 3, 1, 1)
	acts := mustStep(t, c, consensus.Executed{Height: 1, AppHash: appHash(1, blockID(1, 1)), Next: shifted})
	if len(sentViewChanges(acts)) != 0 || c.view != 1 || !c.active {
		t.Fatalf("executing the set change ran the join rule: %v", acts)
	}
	return c
}

// TestJoinRule_RunsOnNewsOnly: a vote of the replica's own view, a vote of
// a view already known for its validator, and a vote of a validator no
// longer in the set are no news and leave the replica in its view; the
// next news, validator 0's VIEW-CHANGE for view 3, makes it join view 3
// (under the old set's powers it would not).
func TestJoinRule_RunsOnNewsOnly(t *testing.T) {
	cases := []struct {
		name string
		vote *consensus.Vote
	}{
		{"a vote of the replica's own view", commitVote(2, 1, blockID(2, 1), 1)},
		{"a vote of a view already known for its validator", commitVote(2, 2, blockID(2, 2), 0)},
		{"a vote of a higher view from a validator no longer in the set", commitVote(1, 2, blockID(1, 2), 3)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := replicaAfterPowerShift(t)
			if acts := recv(t, c, tc.vote); len(sentViewChanges(acts)) != 0 || c.view != 1 || !c.active {
				t.Fatalf("joined on a vote that is no news: view %d, active %v, %v", c.view, c.active, acts)
			}
			sent := sentViewChanges(recv(t, c, viewChangeMsg(3, 0)))
			if len(sent) != 1 || sent[0].View != 3 || c.view != 3 {
				t.Fatalf("validator 0's VIEW-CHANGE for view 3 with three fifths of the power: sent %v, view %d; want a join of view 3", sent, c.view)
			}
		})
	}
}
