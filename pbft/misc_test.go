package pbft

import (
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

func TestEquivocation_EvidenceOnceNeverCounted(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cases := []struct {
		name    string
		msgs    [3]consensus.Message
		counted func(c *Core) int64 // power counted for the second message
	}{
		{"prepare", [3]consensus.Message{prepareVote(1, 0, "a", 1), prepareVote(1, 0, "b", 1), prepareVote(1, 0, "c", 1)},
			func(c *Core) int64 { return c.lookup(1, 0).prepares.Power("b") }},
		{"commit", [3]consensus.Message{commitVote(1, 0, "a", 1), commitVote(1, 0, "b", 1), commitVote(1, 0, "c", 1)},
			func(c *Core) int64 { return c.lookup(1, 0).commits.Power("b") }},
		{"checkpoint", [3]consensus.Message{checkpointMsg(10, "a", 1), checkpointMsg(10, "b", 1), checkpointMsg(10, "c", 1)},
			func(c *Core) int64 { return c.checkpoints[10].tally.Power("b") }},
		{"checkpoint above the window", [3]consensus.Message{checkpointMsg(50, "a", 1), checkpointMsg(50, "b", 1), checkpointMsg(50, "c", 1)},
			func(c *Core) int64 {
				if string(c.ahead[1].AppHash) == "b" {
					return 1
				}
				return 0
			}},
		{"view change", [3]consensus.Message{viewChangeMsg(1, 1), viewChangeMsg(1, 1, cert(1, 0, "b")), viewChangeMsg(1, 1, cert(1, 0, "c"))},
			func(c *Core) int64 {
				if len(c.viewChanges[1].Prepared) != 0 {
					return 1
				}
				return 0
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, testConfig(), vals, 3)
			if acts := recv(t, c, tc.msgs[0]); len(ofType[consensus.Evidence](acts)) != 0 {
				t.Fatal("evidence on the first message")
			}
			if acts := recv(t, c, tc.msgs[0]); len(acts) != 0 {
				t.Fatalf("a repeated message produced %v", acts)
			}
			ev := ofType[consensus.Evidence](recv(t, c, tc.msgs[1]))
			if len(ev) != 1 || ev[0].First != tc.msgs[0] || ev[0].Second != tc.msgs[1] {
				t.Fatalf("evidence %v, want (first, second)", ev)
			}
			if ev := ofType[consensus.Evidence](recv(t, c, tc.msgs[2])); len(ev) != 0 {
				t.Fatalf("evidence reported twice: %v", ev)
			}
			if p := tc.counted(c); p != 0 {
				t.Fatalf("the equivocating message was counted (power %d)", p)
			}
		})
	}
}

func TestWeightedPower_HeavyValidatorDecidesWithOneOther(t *testing.T) {
	// Powers 4,1,1,1: more than 2/3 of 7 is 5, so validator 0 with any one
	// other decides, and without validator 0 nothing can be decided.
	cl := newCluster(t, testConfig(), 4, 1, 1, 1)
	cl.txs = true
	cl.drop = func(from, to int, _ consensus.Message) bool { return from >= 2 || to >= 2 }
	cl.start()
	cl.run(500_000, cl.allExecuted(30, 0, 1))
	if e := cl.nodes[2].core.lastExecuted; e != 0 {
		t.Fatalf("isolated light validator executed %d", e)
	}
	cl.drop = func(from, to int, _ consensus.Message) bool { return from == 0 || to == 0 }
	h := cl.chainHeight()
	cl.runFor(time.Minute, 500_000)
	if got := cl.chainHeight(); got > h+1 {
		t.Fatalf("decided up to %d without the validator holding 4/7 of the power (was %d)", got, h)
	}
	if len(cl.conflicts) != 0 {
		t.Fatal(cl.conflicts)
	}
}

func (cl *cluster) chainHeight() int64 {
	var h int64
	for n := range cl.chain {
		h = max(h, n)
	}
	return h
}

func TestDuplicateInputsAreHarmless(t *testing.T) {
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.txs, cl.dup = true, true
	cl.start()
	cl.run(500_000, cl.allExecuted(40, cl.all()...))
	cl.drop = func(from, to int, _ consensus.Message) bool { return from == 0 || to == 0 }
	cl.run(500_000, cl.allExecuted(60, 1, 2, 3))
	if len(cl.conflicts) != 0 {
		t.Fatal(cl.conflicts)
	}
	for i, n := range cl.nodes {
		if len(n.evidence) != 0 || n.err != nil {
			t.Fatalf("node %d: evidence %v, error %v", i, n.evidence, n.err)
		}
	}
}

func TestStatusAndState(t *testing.T) {
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.txs = true
	cl.start()
	cl.run(100_000, cl.allExecuted(25, cl.all()...))
	c := cl.nodes[2].core
	st := c.State()
	if st.View != 0 || st.Primary != 0 || st.Mode != "normal" || st.Self != 2 || st.LastExecuted != c.lastExecuted ||
		st.StableHeight != 20 || st.LowWatermark != 20 || st.HighWatermark != 40 || st.ViewChange.TotalPower != 4 {
		t.Fatalf("state %+v", st)
	}
	if s := c.Status(); s != (consensus.Status{Height: c.lastExecuted + 1, Round: 0, Step: "normal"}) {
		t.Fatalf("status %+v", s)
	}
	cl.drop = func(from, to int, _ consensus.Message) bool { return from == 0 || to == 0 }
	cl.run(100_000, func() bool { return !cl.nodes[2].core.active })
	st = cl.nodes[2].core.State()
	if st.Mode != "view-change" || st.View != 1 || st.Primary != 1 || st.ViewChange.Doublings != 1 || len(st.ViewChange.Voters) == 0 {
		t.Fatalf("state during a view change %+v", st)
	}
}

func TestInputValidation(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	bad := map[string]consensus.Input{
		"nil input":          nil,
		"nil message":        consensus.Receive{},
		"nil vote pointer":   consensus.Receive{Msg: (*consensus.Vote)(nil)},
		"nil input pointer":  (*consensus.Receive)(nil),
		"unknown vote type":  consensus.Receive{Msg: &consensus.Vote{Type: 7, Height: 1}},
		"negative view":      consensus.Receive{Msg: commitVote(1, -1, "a", 0)},
		"height 0":           consensus.Receive{Msg: commitVote(0, 0, "a", 0)},
		"unknown validator":  consensus.Receive{Msg: commitVote(1, 0, "a", 4)},
		"huge block ID":      consensus.Receive{Msg: commitVote(1, 0, consensus.ID(make([]byte, maxIDBytes+1)), 0)},
		"tendermint timeout": consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutPropose}},
		"executed unknown":   consensus.Executed{Height: 1, Next: vals},
		"executed no set":    consensus.Executed{Height: 1},
		"verdict height 0":   consensus.Verdict{Height: 0},
		"synced no commit":   consensus.Synced{Height: 1, Value: "a"},
		"synced nil value":   consensus.Synced{Height: 1},
		"new view to 0":      consensus.Receive{Msg: &consensus.NewView{View: 0}},
		"hand-built set": consensus.Executed{Height: 1, Next: &consensus.ValidatorSet{
			Validators: []consensus.Validator{{Address: []byte{1}, Power: 0}}}},
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) { wantInvalid(t, c, in) })
	}
	if _, err := c.Step(&consensus.TxsAvailable{}); err != nil {
		t.Fatalf("input by pointer: %v", err)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.WatermarkWindow = cfg.CheckpointInterval
	if _, err := New(cfg, addr(0), vals, nil); err == nil {
		t.Error("accepted L < 2K")
	}
	if _, err := New(testConfig(), addr(0), nil, nil); err == nil {
		t.Error("accepted a missing genesis set")
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

func TestValidatorSetChange_CountsAgainstTheSetOfTheHeight(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	grown := testVals(t, 1, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	for i := int32(0); i < 3; i++ {
		recv(t, c, commitVote(1, 0, "b1", i))
		recv(t, c, commitVote(2, 0, "b2", i)) // a quorum of the old set only
	}
	recv(t, c, checkpointMsg(10, "h10", 0))
	recv(t, c, checkpointMsg(10, "h10", 1))
	acts := mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: grown})
	if d := ofType[consensus.Decide](acts); len(d) != 0 {
		t.Fatalf("decided height 2 with 3 of 5 validators: %v", d)
	}
	acts = recv(t, c, commitVote(2, 0, "b2", 4))
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Height != 2 || len(d[0].Commit) != 4 {
		t.Fatalf("4 of 5: %v, want height 2 decided", acts)
	}
	recv(t, c, checkpointMsg(10, "h10", 2))
	if c.low() != 0 {
		t.Fatal("checkpoint stable with 3 of 5 validators")
	}
	// 4 of 5 is a quorum of the set assumed for height 10, which the
	// replica does not know before Executed{9}: it fetches, it does not
	// adopt (TestValidatorSetChange_StableWaitsForTheSetOfItsHeight).
	acts = recv(t, c, checkpointMsg(10, "h10", 4))
	if c.low() != 0 {
		t.Fatal("checkpoint stable before the set of its height is known")
	}
	if f := ofType[consensus.FetchBlocks](acts); len(f) != 1 || f[0].To != 10 {
		t.Fatalf("fetches %v with 4 of 5 validators at 10; want blocks up to 10", f)
	}
	if st := c.State(); st.ViewChange.TotalPower != 5 {
		t.Fatalf("current set has power %d, want 5", st.ViewChange.TotalPower)
	}
}

// TestSizeLimitsAreInclusive pins the size limits' boundary: a block ID or
// app hash of exactly the limit is a valid input, one byte more is not.
func TestSizeLimitsAreInclusive(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	if _, err := c.Step(consensus.Receive{Msg: commitVote(1, 0, consensus.ID(make([]byte, maxIDBytes)), 0)}); err != nil {
		t.Fatalf("a block ID of exactly %d bytes: %v", maxIDBytes, err)
	}
	if _, err := c.Step(consensus.Receive{Msg: checkpointMsg(10, string(make([]byte, maxAppHashBytes)), 0)}); err != nil {
		t.Fatalf("an app hash of exactly %d bytes: %v", maxAppHashBytes, err)
	}
	wantInvalid(t, c, consensus.Receive{Msg: commitVote(1, 0, consensus.ID(make([]byte, maxIDBytes+1)), 0)})
	wantInvalid(t, c, consensus.Receive{Msg: checkpointMsg(10, string(make([]byte, maxAppHashBytes+1)), 0)})
}
