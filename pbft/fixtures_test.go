package pbft

import (
	"errors"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// testVals builds a validator set whose index i has address {i+1} when the
// powers are given in non-increasing order.
func testVals(t testing.TB, powers ...int64) *consensus.ValidatorSet {
	t.Helper()
	var vs []consensus.Validator
	for i, p := range powers {
		vs = append(vs, consensus.Validator{Address: []byte{byte(i + 1)}, PubKey: []byte{byte(i + 1)}, Power: p})
	}
	set, err := consensus.NewValidatorSet(vs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range set.Validators {
		if set.Validators[i].Address[0] != byte(i+1) {
			t.Fatalf("give powers in non-increasing order")
		}
	}
	return set
}

func addr(i int) []byte { return []byte{byte(i + 1)} }

func newCore(t testing.TB, cfg Config, vals *consensus.ValidatorSet, self int) *Core {
	t.Helper()
	c, err := New(cfg, addr(self), vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustStep(t testing.TB, c *Core, in consensus.Input) []consensus.Action {
	t.Helper()
	acts, err := c.Step(in)
	if err != nil {
		t.Fatalf("step %T: %v", in, err)
	}
	return acts
}

func recv(t testing.TB, c *Core, m consensus.Message) []consensus.Action {
	t.Helper()
	return mustStep(t, c, consensus.Receive{Msg: m})
}

func wantInvalid(t testing.TB, c *Core, in consensus.Input) {
	t.Helper()
	before, _ := c.Snapshot()
	_, err := c.Step(in)
	if !errors.Is(err, consensus.ErrInvalidInput) {
		t.Fatalf("step %T: error %v, want ErrInvalidInput", in, err)
	}
	after, _ := c.Snapshot()
	if string(before) != string(after) {
		t.Fatalf("state changed after a rejected %T", in)
	}
}

func prePrepare(n int64, v int32, value consensus.ID, from int32) *consensus.Proposal {
	return &consensus.Proposal{Height: n, Round: v, POLRound: -1, Value: value, Proposer: from, Signature: []byte("signed")}
}

func prepareVote(n int64, v int32, value consensus.ID, from int32) *consensus.Vote {
	return &consensus.Vote{Type: consensus.Prevote, Height: n, Round: v, Value: value, Validator: from, Signature: []byte("signed")}
}

func commitVote(n int64, v int32, value consensus.ID, from int32) *consensus.Vote {
	return &consensus.Vote{Type: consensus.Precommit, Height: n, Round: v, Value: value, Validator: from, Signature: []byte("signed")}
}

func checkpointMsg(n int64, hash string, from int32) *consensus.Checkpoint {
	return &consensus.Checkpoint{Height: n, AppHash: []byte(hash), Validator: from, Signature: []byte("signed")}
}

func ofType[T consensus.Action](acts []consensus.Action) []T {
	var out []T
	for _, a := range acts {
		if x, ok := a.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// broadcastVotes returns the votes of type typ the actions broadcast.
func broadcastVotes(acts []consensus.Action, typ consensus.VoteType) []*consensus.Vote {
	var out []*consensus.Vote
	for _, b := range ofType[consensus.Broadcast](acts) {
		if v, ok := b.Msg.(*consensus.Vote); ok && v.Type == typ {
			out = append(out, v)
		}
	}
	return out
}

// decideThrough drives a lone backup c through heights 1..h of view 0 with
// the other validators' messages, executing each block.
func decideThrough(t testing.TB, c *Core, vals *consensus.ValidatorSet, h int64) {
	t.Helper()
	for n := c.lastExecuted + 1; n <= h; n++ {
		value := blockID(n, 0)
		for i := int32(0); int(i) < vals.Size(); i++ {
			if i != c.self {
				recv(t, c, commitVote(n, 0, value, i))
			}
		}
		recv(t, c, commitVote(n, 0, value, c.self))
		if c.lastDecided != n {
			t.Fatalf("height %d not decided", n)
		}
		mustStep(t, c, consensus.Executed{Height: n, AppHash: appHash(n, value), Next: vals})
	}
}
