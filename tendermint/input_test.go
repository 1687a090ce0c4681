package tendermint

import (
	"reflect"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func TestEquivocation_ReportedOnceAndCountedOncePerValue(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	h.receive(h.proposal(0, -1, valueA)) // own prevote for A
	o := h.others()
	first := h.vote(consensus.Prevote, 0, valueA, o[0])
	h.receive(first)
	second := h.vote(consensus.Prevote, 0, valueB, o[0])
	acts := h.receive(second)
	ev := actionsOf[consensus.Evidence](acts)
	if len(ev) != 1 || !reflect.DeepEqual(ev[0].First, first) || !reflect.DeepEqual(ev[0].Second, second) {
		t.Fatalf("want evidence of %v then %v, got %+v", first, second, ev)
	}
	if again := h.receive(h.vote(consensus.Prevote, 0, consensus.Nil, o[0])); len(actionsOf[consensus.Evidence](again)) != 0 {
		t.Fatal("equivocation reported twice")
	}
	if dup := h.receive(first); len(dup) != 0 {
		t.Fatalf("a duplicate of the counted vote produced %v", dup)
	}
	// Own A + o[0]'s A: 2 of 4 voted. o[0] counts once for "any" (line
	// 34) and once for each value it signed (the paper's per-value count).
	rs := h.core.RoundState()
	if rs.Prevotes.Power != 2 || rs.Prevotes.NilPower != 1 {
		t.Fatalf("prevote power %d (nil %d), want 2 (1)", rs.Prevotes.Power, rs.Prevotes.NilPower)
	}
	if n := len(h.core.h.rounds[0].prevotes.messages(valueA)); n != 2 {
		t.Fatalf("%d prevotes for A, want 2: o[0] counts once for A", n)
	}
	// A third prevote for A completes the polka.
	acts = h.receive(h.vote(consensus.Prevote, 0, valueA, o[1]))
	onlyVote(t, acts, consensus.Precommit, 0, valueA)
}

// An equivocator showed this node nil and the others v; the proposer that
// proposes v with that POL round relays the polka, and this node must count
// the equivocator's vote for v, or it could never prevote v (line 28).
func TestEquivocation_RelayedPolkaCountsTheOtherValue(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 2)
	h.start()
	o := h.others()
	byz := o[0]
	h.receive(h.vote(consensus.Prevote, 0, consensus.Nil, byz))
	h.nextRound()
	h.receive(h.proposal(1, 0, valueA))
	acts := h.receive(h.vote(consensus.Prevote, 0, valueA, o[1]), h.vote(consensus.Prevote, 0, valueA, o[2]))
	noVote(t, acts, consensus.Prevote)
	acts = h.receive(h.vote(consensus.Prevote, 0, valueA, byz))
	if len(actionsOf[consensus.Evidence](acts)) != 1 {
		t.Fatal("equivocation not reported")
	}
	onlyVote(t, acts, consensus.Prevote, 1, valueA)
}

func TestEquivocation_ExtraValuesAreBounded(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	byz := h.others()[0]
	for i := 0; i < 50; i++ {
		h.receive(h.vote(consensus.Prevote, 0, consensus.ID(rune('a'+i)), byz))
	}
	if n := len(h.core.h.rounds[0].prevotes.values()); n != 1+maxExtraValues {
		t.Fatalf("kept %d values of one equivocator, want %d", n, 1+maxExtraValues)
	}
}

func TestEquivocation_ConflictingProposals(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	p1 := h.proposal(0, -1, valueA)
	acts := h.receive(p1)
	onlyVote(t, acts, consensus.Prevote, 0, valueA)
	p2 := h.proposal(0, -1, valueB)
	acts = h.receive(p2)
	ev := actionsOf[consensus.Evidence](acts)
	if len(ev) != 1 || ev[0].First.(*consensus.Proposal).Value != valueA || ev[0].Second.(*consensus.Proposal).Value != valueB {
		t.Fatalf("want evidence A then B, got %+v", ev)
	}
	noVote(t, acts, consensus.Prevote)
	if h.core.RoundState().Proposal != valueA {
		t.Fatal("the first proposal was replaced")
	}
	if again := h.receive(h.proposal(0, -1, "block-C")); len(actionsOf[consensus.Evidence](again)) != 0 {
		t.Fatalf("second conflict reported again: %v", again)
	}
	h.receive(h.proposal(0, -1, "block-D"))
	if n := len(h.core.h.rounds[0].proposals()); n != 1+maxExtraValues {
		t.Fatalf("kept %d proposals of an equivocating proposer, want %d", n, 1+maxExtraValues)
	}
	// The others saw B: its precommits decide B (line 49 holds for any
	// proposal of the round).
	acts = h.votesFrom(consensus.Precommit, 0, valueB, h.others()...)
	if ds := actionsOf[consensus.Decide](acts); len(ds) != 1 || ds[0].Value != valueB {
		t.Fatalf("want a decision for B, got %v", acts)
	}
}

func TestProposalFromNonProposerRejected(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	p := h.proposal(0, -1, valueA)
	p.Proposer = h.otherThan(p.Proposer)[0]
	_, err := h.stepErr(consensus.Receive{Msg: p})
	if !isInvalid(err) {
		t.Fatalf("want ErrInvalidInput, got %v", err)
	}
}

// twins builds two cores with the same history; the test steps a rejected
// input into one and checks both behave the same afterwards.
func twins(t *testing.T, setup func(h *harness)) (a, b *harness) {
	a = newNonProposer(t, equalPowers(4), 2)
	b = newNonProposer(t, equalPowers(4), 2)
	for _, h := range []*harness{a, b} {
		h.start()
		setup(h)
	}
	return a, b
}

// sameFuture steps the same continuation into both and compares.
func sameFuture(t *testing.T, a, b *harness) {
	t.Helper()
	run := func(h *harness) []consensus.Action {
		var acts []consensus.Action
		acts = append(acts, h.receive(h.proposal(0, -1, valueA))...)
		acts = append(acts, h.votesFrom(consensus.Prevote, 0, valueA, h.others()...)...)
		acts = append(acts, h.votesFrom(consensus.Precommit, 0, valueA, h.others()...)...)
		return acts
	}
	if ra, rb := run(a), run(b); !reflect.DeepEqual(ra, rb) {
		t.Fatalf("a rejected input changed the core:\n%v\n%v", ra, rb)
	}
	if !reflect.DeepEqual(a.core.RoundState(), b.core.RoundState()) {
		t.Fatal("round states differ")
	}
}

func TestInvalidInputLeavesCoreUnchanged(t *testing.T) {
	vote := func(h *harness, mod func(v *consensus.Vote)) consensus.Input {
		v := h.vote(consensus.Prevote, 0, valueB, h.others()[0])
		mod(v)
		return consensus.Receive{Msg: v}
	}
	prop := func(h *harness, mod func(p *consensus.Proposal)) consensus.Input {
		p := h.proposal(0, -1, valueB)
		mod(p)
		return consensus.Receive{Msg: p}
	}
	cases := map[string]func(h *harness) consensus.Input{
		"vote type 0":        func(h *harness) consensus.Input { return vote(h, func(v *consensus.Vote) { v.Type = 0 }) },
		"vote type 3":        func(h *harness) consensus.Input { return vote(h, func(v *consensus.Vote) { v.Type = 3 }) },
		"negative round":     func(h *harness) consensus.Input { return vote(h, func(v *consensus.Vote) { v.Round = -1 }) },
		"negative height":    func(h *harness) consensus.Input { return vote(h, func(v *consensus.Vote) { v.Height = -5 }) },
		"signer out of set":  func(h *harness) consensus.Input { return vote(h, func(v *consensus.Vote) { v.Validator = 4 }) },
		"negative signer":    func(h *harness) consensus.Input { return vote(h, func(v *consensus.Vote) { v.Validator = -2 }) },
		"POL round = round":  func(h *harness) consensus.Input { return prop(h, func(p *consensus.Proposal) { p.POLRound = 0 }) },
		"POL round below -1": func(h *harness) consensus.Input { return prop(h, func(p *consensus.Proposal) { p.POLRound = -2 }) },
		"proposal of nil": func(h *harness) consensus.Input {
			return prop(h, func(p *consensus.Proposal) { p.Value = consensus.Nil })
		},
		"wrong proposer": func(h *harness) consensus.Input {
			return prop(h, func(p *consensus.Proposal) { p.Proposer = h.otherThan(p.Proposer)[0] })
		},
		"nil proposal pointer": func(h *harness) consensus.Input { return consensus.Receive{Msg: (*consensus.Proposal)(nil)} },
		"nil vote pointer":     func(h *harness) consensus.Input { return consensus.Receive{Msg: (*consensus.Vote)(nil)} },
		"no message":           func(h *harness) consensus.Input { return consensus.Receive{} },
		"PBFT checkpoint":      func(h *harness) consensus.Input { return consensus.Receive{Msg: &consensus.Checkpoint{Height: 1}} },
		"nil input":            func(h *harness) consensus.Input { return nil },
		"pointer input":        func(h *harness) consensus.Input { return &consensus.Start{} },
		"view-change timeout": func(h *harness) consensus.Input {
			return consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: 1}}
		},
		"unknown timeout": func(h *harness) consensus.Input {
			return consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: 99, Height: 1}}
		},
		"unrequested proposal":    func(h *harness) consensus.Input { return consensus.ProposalReady{Height: 1, Round: 0, Value: valueB} },
		"future proposal ready":   func(h *harness) consensus.Input { return consensus.ProposalReady{Height: 2, Round: 0, Value: valueB} },
		"unrequested verdict":     func(h *harness) consensus.Input { return consensus.Verdict{Height: 1, Value: valueB, Valid: true} },
		"executed before decided": func(h *harness) consensus.Input { return consensus.Executed{Height: 1, Next: h.vals} },
		"executed in the future":  func(h *harness) consensus.Input { return consensus.Executed{Height: 7, Next: h.vals} },
		"synced without commit":   func(h *harness) consensus.Input { return consensus.Synced{Height: 1, Value: valueB} },
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := twins(t, func(h *harness) {})
			in := bad(a)
			bad(b) // keeps the signing clocks of the twins equal
			acts, err := a.core.Step(in)
			if !isInvalid(err) || acts != nil {
				t.Fatalf("want ErrInvalidInput and no actions, got %v, %v", acts, err)
			}
			if err != nil && len(err.Error()) < 20 {
				t.Fatalf("error %q does not say what was wrong", err)
			}
			sameFuture(t, a, b)
		})
	}
}

func TestInputsBeforeStartAreRejected(t *testing.T) {
	h := newHarness(t, equalPowers(4), 0)
	c, err := New(h.cfg, h.address(), h.vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Step(consensus.TxsAvailable{}); !isInvalid(err) {
		t.Fatalf("input before Start: %v", err)
	}
	if c.Status().Step != "idle" {
		t.Fatalf("status %+v", c.Status())
	}
}

func TestStartTwiceIsHarmless(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	if acts := h.step(consensus.Start{}); len(acts) != 0 {
		t.Fatalf("second Start produced %v", acts)
	}
}

func TestRoundsTooFarAheadAreIgnored(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.cfg.MaxRoundsAhead = 10
	h.start()
	o := h.others()
	for _, r := range []int32{11, 1 << 30, 1<<31 - 1} {
		h.receive(h.vote(consensus.Prevote, r, valueA, o[0]), h.vote(consensus.Prevote, r, valueA, o[1]))
		// Whoever signs it: the bound is checked before the proposer,
		// whose computation takes time linear in the round.
		h.receive(&consensus.Proposal{Height: 1, Round: r, POLRound: -1, Value: valueA, Proposer: o[0]})
	}
	if st := h.core.Status(); st.Round != 0 {
		t.Fatalf("moved to round %d beyond the bound", st.Round)
	}
	if len(h.core.h.rounds) != 0 {
		t.Fatalf("kept state for %d far rounds", len(h.core.h.rounds))
	}
	h.receive(h.vote(consensus.Prevote, 10, valueA, o[0]), h.vote(consensus.Prevote, 10, valueA, o[1]))
	if st := h.core.Status(); st.Round != 10 {
		t.Fatalf("round %d, want 10 (within the bound)", st.Round)
	}
}

func TestMessagesOfEarlierHeightsAreIgnored(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	h.start()
	v := h.vote(consensus.Prevote, 0, valueA, h.others()[0])
	v.Height = 0
	if acts := h.receive(v); len(acts) != 0 {
		t.Fatalf("old message produced %v", acts)
	}
}

func TestNewRejectsBadArguments(t *testing.T) {
	vals := validatorSet(t, equalPowers(4))
	bad := DefaultConfig()
	bad.InitialHeight = 0
	if _, err := New(bad, nil, vals, nil); err == nil {
		t.Error("initial height 0 accepted")
	}
	bad = DefaultConfig()
	bad.TimeoutPrevote = -1
	if _, err := New(bad, nil, vals, nil); err == nil {
		t.Error("negative timeout accepted")
	}
	bad = DefaultConfig()
	bad.MaxRoundsAhead = 0
	if _, err := New(bad, nil, vals, nil); err == nil {
		t.Error("max rounds ahead 0 accepted")
	}
	if _, err := New(DefaultConfig(), nil, nil, nil); err == nil {
		t.Error("missing genesis accepted")
	}
	if _, err := New(DefaultConfig(), nil, &consensus.ValidatorSet{}, nil); err == nil {
		t.Error("empty genesis accepted")
	}
}
