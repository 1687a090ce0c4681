package pbft

import (
	"errors"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// stableAt makes c's checkpoint at h stable with the checkpoints of every
// validator.
func stableAt(t *testing.T, c *Core, vals *consensus.ValidatorSet, h int64) {
	t.Helper()
	for i := int32(0); int(i) < vals.Size(); i++ {
		recv(t, c, checkpointMsg(h, string(appHash(h, blockID(h, 0))), i))
	}
	if c.low() != h {
		t.Fatalf("checkpoint %d not stable (low watermark %d)", h, c.low())
	}
}

func TestPrePrepare_RejectedOutsideWatermarks(t *testing.T) {
	cfg := testConfig() // K = 10, L = 20
	vals := testVals(t, 1, 1, 1, 1)
	cases := []struct {
		name   string
		n      int64
		accept bool
	}{
		{"at the low watermark", 10, false},
		{"just above the low watermark", 11, true},
		{"at the high watermark", 30, true},
		{"above the high watermark", 31, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, cfg, vals, 1)
			decideThrough(t, c, vals, 10)
			stableAt(t, c, vals, 10)
			acts := recv(t, c, prePrepare(tc.n, 0, "x", 0))
			vs := c.lookup(tc.n, 0)
			accepted := vs != nil && vs.prePrepare != nil
			if accepted != tc.accept {
				t.Fatalf("pre-prepare for %d in (10, 30]: accepted=%v", tc.n, accepted)
			}
			if got := len(ofType[consensus.RequestVerdict](acts)); (got == 1) != tc.accept {
				t.Fatalf("verdict requests %d, accepted=%v", got, tc.accept)
			}
		})
	}
}

func TestPrePrepare_OnlyFromPrimaryOfCurrentActiveView(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	wantInvalid(t, c, consensus.Receive{Msg: prePrepare(1, 0, "x", 2)}) // not the primary
	wantInvalid(t, c, consensus.Receive{Msg: prePrepare(1, 0, "", 0)})  // null outside NEW-VIEW
	wantInvalid(t, c, consensus.Receive{Msg: &consensus.Proposal{Height: 1, Round: 0, POLRound: 0, Value: "x", Proposer: 0}})
	if acts := recv(t, c, prePrepare(1, 1, "x", 1)); len(acts) != 0 || c.lookup(1, 1) != nil {
		t.Fatalf("pre-prepare of a view the replica is not in was accepted: %v", acts)
	}
}

func TestPrePrepare_OneDigestPerViewAndSequence(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	first := prePrepare(1, 0, "a", 0)
	recv(t, c, first)
	acts := recv(t, c, prePrepare(1, 0, "b", 0))
	ev := ofType[consensus.Evidence](acts)
	if len(ev) != 1 || ev[0].First != consensus.Message(first) {
		t.Fatalf("second digest for (0, 1): actions %v, want evidence naming the first", acts)
	}
	if acts := recv(t, c, prePrepare(1, 0, "c", 0)); len(acts) != 0 {
		t.Fatalf("third digest: %v, want nothing (evidence once)", acts)
	}
	if got := c.lookup(1, 0).prePrepare.Value; got != "a" {
		t.Fatalf("logged pre-prepare is %q, want the first", got)
	}
	// The backup prepares the first digest only.
	acts = mustStep(t, c, consensus.Verdict{Height: 1, Value: "a", Valid: true})
	if p := broadcastVotes(acts, consensus.Prevote); len(p) != 1 || p[0].Value != "a" {
		t.Fatalf("prepares %v, want one for a", p)
	}
	if acts := mustStep(t, c, consensus.Verdict{Height: 1, Value: "b", Valid: true}); len(acts) != 0 {
		t.Fatalf("verdict for the equivocated digest produced %v", acts)
	}
}

func TestPrepare_OnlyAfterValidVerdictAndExecutingPrevious(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	// Pre-prepare for 2 while 1 is not executed: a verdict is requested
	// (the driver holds it until 1 executed) but no prepare is sent.
	acts := recv(t, c, prePrepare(2, 0, "b2", 0))
	if len(ofType[consensus.RequestVerdict](acts)) != 1 {
		t.Fatalf("no verdict requested: %v", acts)
	}
	if p := broadcastVotes(mustStep(t, c, consensus.Verdict{Height: 2, Value: "b2", Valid: true}), consensus.Prevote); len(p) != 0 {
		t.Fatalf("prepared 2 before executing 1: %v", p)
	}
	// An invalid verdict never prepares.
	recv(t, c, prePrepare(1, 0, "b1", 0))
	if p := broadcastVotes(mustStep(t, c, consensus.Verdict{Height: 1, Value: "b1", Valid: false}), consensus.Prevote); len(p) != 0 {
		t.Fatalf("prepared an invalid block: %v", p)
	}
	// Height 1 gets decided anyway (by the others); executing it releases
	// the prepare for 2.
	for i := int32(0); i < 4; i++ {
		if i != 1 {
			recv(t, c, commitVote(1, 0, "b1", i))
		}
	}
	acts = mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: vals})
	if p := broadcastVotes(acts, consensus.Prevote); len(p) != 1 || p[0].Height != 2 || p[0].Value != "b2" {
		t.Fatalf("after executing 1: prepares %v, want one for (2, b2)", p)
	}
}

func TestPrepared_NeedsPowerAboveTwoThirds(t *testing.T) {
	// Powers 3,2,2,1,1 (total 9): prepared needs the primary's 3 plus
	// prepares of more than 6-3 = 3.
	vals := testVals(t, 3, 2, 2, 1, 1)
	cases := []struct {
		name     string
		others   []int32 // backups (besides self, index 4) that prepare
		prepared bool
	}{
		{"primary and self: 4 of 9", nil, false},
		{"plus power 1: 5 of 9", []int32{3}, false},
		{"plus power 2: exactly 6 of 9 is not more than 2/3", []int32{1}, false},
		{"plus power 2 and 1: 7 of 9", []int32{1, 3}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, testConfig(), vals, 4)
			recv(t, c, prePrepare(1, 0, "v", 0))
			acts := mustStep(t, c, consensus.Verdict{Height: 1, Value: "v", Valid: true})
			own := broadcastVotes(acts, consensus.Prevote)
			if len(own) != 1 {
				t.Fatalf("backup did not prepare: %v", acts)
			}
			all := recv(t, c, sign(own[0]))
			recv(t, c, prepareVote(1, 0, "other", 2)) // another value never counts
			for _, i := range tc.others {
				all = append(all, recv(t, c, prepareVote(1, 0, "v", i))...)
			}
			commits := broadcastVotes(all, consensus.Precommit)
			if (len(commits) == 1) != tc.prepared {
				t.Fatalf("commits %v, prepared=%v", commits, tc.prepared)
			}
			if _, ok := c.prepared[1]; ok != tc.prepared {
				t.Fatalf("certificate recorded=%v, want %v", ok, tc.prepared)
			}
		})
	}
	c := newCore(t, testConfig(), vals, 4)
	wantInvalid(t, c, consensus.Receive{Msg: prepareVote(1, 0, "v", 0)}) // primaries do not prepare
}

func TestCommitted_DecidesInOrder(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	var acts []consensus.Action
	for i := int32(0); i < 3; i++ {
		acts = append(acts, recv(t, c, commitVote(2, 0, "b2", i))...)
	}
	if d := ofType[consensus.Decide](acts); len(d) != 0 {
		t.Fatalf("decided %v before height 1", d)
	}
	acts = nil
	for i := int32(0); i < 3; i++ {
		acts = append(acts, recv(t, c, commitVote(1, 0, "b1", i))...)
	}
	d := ofType[consensus.Decide](acts)
	if len(d) != 1 || d[0].Height != 1 || d[0].Value != "b1" || len(d[0].Commit) != 3 {
		t.Fatalf("decisions %+v, want height 1 with its 3 commits", d)
	}
	for _, v := range d[0].Commit {
		if v.Type != consensus.Precommit || v.Round != 0 || v.Height != 1 || v.Value != "b1" {
			t.Fatalf("commit holds %+v", v)
		}
	}
	// Height 2 waits until 1 is executed.
	if got := c.Status(); got.Height != 1 {
		t.Fatalf("status %+v", got)
	}
	wantInvalid(t, c, consensus.Executed{Height: 2, Next: vals})
	acts = mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: vals})
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Height != 2 {
		t.Fatalf("after executing 1: %+v, want height 2 decided", d)
	}
	if acts := mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: vals}); len(acts) != 0 {
		t.Fatalf("repeated Executed produced %v", acts)
	}
}

func TestCommitted_NullRequestHalts(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	recv(t, c, commitVote(1, 2, consensus.Nil, 0))
	recv(t, c, commitVote(1, 2, consensus.Nil, 1))
	_, err := c.Step(consensus.Receive{Msg: commitVote(1, 2, consensus.Nil, 2)})
	if !errors.Is(err, ErrBrokenInvariant) || errors.Is(err, consensus.ErrInvalidInput) {
		t.Fatalf("committed null: error %v, want a broken invariant", err)
	}
}

func TestCommitted_ConflictingDecisionHalts(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 3)
	for i := int32(0); i < 3; i++ {
		recv(t, c, commitVote(1, 0, "a", i))
	}
	recv(t, c, commitVote(1, 1, "b", 0))
	recv(t, c, commitVote(1, 1, "b", 1))
	if _, err := c.Step(consensus.Receive{Msg: commitVote(1, 1, "b", 2)}); !errors.Is(err, ErrBrokenInvariant) {
		t.Fatalf("second decision at height 1: error %v, want a broken invariant", err)
	}
}

func TestPrimary_ProposesTheFirstHeightAtOnce(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	c := newCore(t, cfg, vals, 0)
	// The first block carries the genesis app hash: it is due at once,
	// without transactions or the empty-block interval (blockrate.go).
	acts := mustStep(t, c, consensus.Start{})
	if rp := ofType[consensus.RequestProposal](acts); len(rp) != 1 || rp[0] != (consensus.RequestProposal{Height: 1, Round: 0}) {
		t.Fatalf("start: %v", acts)
	}
	if empty := timersOf(acts, consensus.TimeoutEmptyBlock); len(empty) != 0 {
		t.Fatalf("start: empty-block timer %v beside the proposal", empty)
	}
	if acts := mustStep(t, c, consensus.TxsAvailable{}); len(ofType[consensus.RequestProposal](acts)) != 0 {
		t.Fatalf("asked twice for one height: %v", acts)
	}
	wantInvalid(t, c, consensus.ProposalReady{Height: 1, Round: 0, Value: consensus.Nil})
	acts = mustStep(t, c, consensus.ProposalReady{Height: 1, Round: 0, Value: "b1"})
	b := ofType[consensus.Broadcast](acts)
	if len(b) != 1 {
		t.Fatalf("proposal ready: %v", acts)
	}
	if pp, ok := b[0].Msg.(*consensus.Proposal); !ok || pp.Height != 1 || pp.Round != 0 || pp.POLRound != -1 || pp.Value != "b1" || pp.Proposer != 0 {
		t.Fatalf("pre-prepare %+v", b[0].Msg)
	}
	if acts := mustStep(t, c, consensus.ProposalReady{Height: 1, Round: 0, Value: "b1-again"}); len(acts) != 0 {
		t.Fatalf("repeated ProposalReady produced %v", acts)
	}
}

func TestNonValidator_FollowsCommitsWithoutSending(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c, err := New(testConfig(), []byte("not-a-validator"), vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	var acts []consensus.Action
	acts = append(acts, mustStep(t, c, consensus.Start{})...)
	acts = append(acts, mustStep(t, c, consensus.TxsAvailable{})...)
	acts = append(acts, recv(t, c, prePrepare(1, 0, "b1", 0))...)
	for i := int32(0); i < 3; i++ {
		acts = append(acts, recv(t, c, prepareVote(1, 0, "b1", i+1))...)
		acts = append(acts, recv(t, c, commitVote(1, 0, "b1", i))...)
	}
	acts = append(acts, mustStep(t, c, consensus.Executed{Height: 1, AppHash: []byte("h1"), Next: vals})...)
	for _, a := range acts {
		switch a.(type) {
		case consensus.Broadcast, consensus.Send, consensus.RequestVerdict, consensus.RequestProposal:
			t.Fatalf("non-validator acted: %#v", a)
		}
	}
	if d := ofType[consensus.Decide](acts); len(d) != 1 || d[0].Value != "b1" {
		t.Fatalf("non-validator did not follow the commits: %v", acts)
	}
}
