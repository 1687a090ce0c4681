package tendermint

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// harness drives one core as its driver would: it signs and echoes the
// core's broadcasts back as Receive, answers verdicts (when autoVerdict is
// set) and records every input and action.
type harness struct {
	t           testing.TB
	cfg         Config
	vals        *consensus.ValidatorSet
	core        *Core
	self        int32
	autoVerdict bool
	clock       int64
	inputs      []consensus.Input
	actions     []consensus.Action
}

// equalPowers returns n validators of power 1.
func equalPowers(n int) []int64 {
	p := make([]int64, n)
	for i := range p {
		p[i] = 1
	}
	return p
}

func validatorSet(t testing.TB, powers []int64) *consensus.ValidatorSet {
	t.Helper()
	vals := make([]consensus.Validator, len(powers))
	for i, p := range powers {
		vals[i] = consensus.Validator{Address: []byte(fmt.Sprintf("val-%02d", i)), PubKey: []byte{byte(i)}, Power: p}
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// newHarness builds a core for validator index self (-1: a follower) of a
// set with the given powers, with empty blocks at once and no
// retransmission unless the test changes cfg before start.
func newHarness(t testing.TB, powers []int64, self int32) *harness {
	t.Helper()
	cfg := DefaultConfig()
	cfg.RetransmitInterval = 0
	h := &harness{t: t, cfg: cfg, vals: validatorSet(t, powers), self: self, autoVerdict: true}
	return h
}

func (h *harness) address() []byte {
	if h.self < 0 {
		return []byte("not-a-validator")
	}
	return h.vals.Validators[h.self].Address
}

// start builds the core and steps Start.
func (h *harness) start() []consensus.Action {
	h.t.Helper()
	c, err := New(h.cfg, h.address(), h.vals, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.core = c
	return h.step(consensus.Start{})
}

// step applies in and everything the driver does in answer at once (echo
// of own broadcasts, verdicts); it fails the test on any error.
func (h *harness) step(in consensus.Input) []consensus.Action {
	h.t.Helper()
	acts, err := h.stepErr(in)
	if err != nil {
		h.t.Fatalf("step %T%+v: %v", in, in, err)
	}
	return acts
}

func (h *harness) stepErr(in consensus.Input) ([]consensus.Action, error) {
	h.t.Helper()
	h.inputs = append(h.inputs, in)
	acts, err := h.core.Step(in)
	if err != nil {
		return nil, err
	}
	h.actions = append(h.actions, acts...)
	all := append([]consensus.Action(nil), acts...)
	for _, a := range acts {
		var follow consensus.Input
		switch a := a.(type) {
		case consensus.Broadcast:
			follow = consensus.Receive{Msg: h.sign(a.Msg)}
		case consensus.RequestVerdict:
			if h.autoVerdict {
				follow = consensus.Verdict{Height: a.Height, Value: a.Value, Valid: true}
			}
		}
		if follow != nil {
			more, err := h.stepErr(follow)
			if err != nil {
				return all, err
			}
			all = append(all, more...)
		}
	}
	return all, nil
}

// sign does what the driver's signer does: a timestamp and a signature.
func (h *harness) sign(m consensus.Message) consensus.Message {
	h.clock++
	ts := time.Unix(1_700_000_000+h.clock, 0).UTC()
	switch m := m.(type) {
	case *consensus.Proposal:
		cp := *m
		cp.Timestamp, cp.Signature = ts, []byte(fmt.Sprintf("sig-%d", h.clock))
		return &cp
	case *consensus.Vote:
		cp := *m
		cp.Timestamp, cp.Signature = ts, []byte(fmt.Sprintf("sig-%d", h.clock))
		return &cp
	}
	return m
}

func (h *harness) height() int64 { return h.core.h.number }

// proposer is proposer(h_p, round) at the core's height.
func (h *harness) proposer(round int32) int32 { return h.core.h.vals.ProposerOf(round) }

func (h *harness) proposal(round, pol int32, value consensus.ID) *consensus.Proposal {
	return h.sign(&consensus.Proposal{Height: h.height(), Round: round, POLRound: pol, Value: value, Proposer: h.proposer(round)}).(*consensus.Proposal)
}

func (h *harness) vote(t consensus.VoteType, round int32, value consensus.ID, validator int32) *consensus.Vote {
	return h.sign(&consensus.Vote{Type: t, Height: h.height(), Round: round, Value: value, Validator: validator}).(*consensus.Vote)
}

// receive delivers messages one by one and returns all resulting actions.
func (h *harness) receive(msgs ...consensus.Message) []consensus.Action {
	h.t.Helper()
	var all []consensus.Action
	for _, m := range msgs {
		all = append(all, h.step(consensus.Receive{Msg: m})...)
	}
	return all
}

// votesFrom delivers votes of t for value in round from the given
// validators, skipping this node (its own votes come from the core).
func (h *harness) votesFrom(t consensus.VoteType, round int32, value consensus.ID, validators ...int32) []consensus.Action {
	h.t.Helper()
	var all []consensus.Action
	for _, v := range validators {
		if v == h.self {
			continue
		}
		all = append(all, h.receive(h.vote(t, round, value, v))...)
	}
	return all
}

// others lists every validator index except this node's.
func (h *harness) others() []int32 {
	var out []int32
	for i := int32(0); int(i) < h.core.h.vals.Size(); i++ {
		if i != h.self {
			out = append(out, i)
		}
	}
	return out
}

// otherThan picks the validators other than this node and those excluded.
func (h *harness) otherThan(excluded ...int32) []int32 {
	var out []int32
	for _, i := range h.others() {
		skip := false
		for _, e := range excluded {
			skip = skip || i == e
		}
		if !skip {
			out = append(out, i)
		}
	}
	return out
}

// fire delivers a timeout.
func (h *harness) fire(kind consensus.TimeoutKind, round int32) []consensus.Action {
	h.t.Helper()
	return h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: kind, Height: h.height(), Round: round}})
}

// ownVotes returns the votes of type t this node broadcast in acts.
func ownVotes(acts []consensus.Action, t consensus.VoteType) []*consensus.Vote {
	var out []*consensus.Vote
	for _, a := range acts {
		if b, ok := a.(consensus.Broadcast); ok {
			if v, ok := b.Msg.(*consensus.Vote); ok && v.Type == t {
				out = append(out, v)
			}
		}
	}
	return out
}

// onlyVote asserts that acts broadcast exactly one vote of type t, for want.
func onlyVote(t testing.TB, acts []consensus.Action, typ consensus.VoteType, round int32, want consensus.ID) {
	t.Helper()
	vs := ownVotes(acts, typ)
	if len(vs) != 1 {
		t.Fatalf("broadcast %d %ss, want 1 (actions %v)", len(vs), typ, acts)
	}
	if vs[0].Value != want || vs[0].Round != round {
		t.Fatalf("%s for %q in round %d, want %q in round %d", typ, vs[0].Value, vs[0].Round, want, round)
	}
}

func noVote(t testing.TB, acts []consensus.Action, typ consensus.VoteType) {
	t.Helper()
	if vs := ownVotes(acts, typ); len(vs) != 0 {
		t.Fatalf("broadcast %s for %q, want none", typ, vs[0].Value)
	}
}

func timeouts(acts []consensus.Action, kind consensus.TimeoutKind) []consensus.SetTimeout {
	var out []consensus.SetTimeout
	for _, a := range acts {
		if s, ok := a.(consensus.SetTimeout); ok && s.Timeout.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

func actionsOf[A consensus.Action](acts []consensus.Action) []A {
	var out []A
	for _, a := range acts {
		if x, ok := a.(A); ok {
			out = append(out, x)
		}
	}
	return out
}

// lockOn runs round `round` (which must be current) to a lock on value: the
// proposal and prevotes of everyone. It returns the actions.
func (h *harness) lockOn(round int32, value consensus.ID) []consensus.Action {
	h.t.Helper()
	acts := h.receive(h.proposal(round, -1, value))
	acts = append(acts, h.votesFrom(consensus.Prevote, round, value, h.others()...)...)
	rs := h.core.RoundState()
	if rs.LockedValue != value || rs.LockedRound != round {
		h.t.Fatalf("not locked on %q in round %d: %+v", value, round, rs)
	}
	return acts
}

// toRound moves the core from its current round to round+1 by the nil
// path: everyone precommits nil and the precommit timeout fires.
func (h *harness) nextRound() {
	h.t.Helper()
	r := h.core.h.round
	h.votesFrom(consensus.Precommit, r, consensus.Nil, h.others()...)
	h.fire(consensus.TimeoutPrecommit, r)
	if h.core.h.round != r+1 {
		h.t.Fatalf("still in round %d", h.core.h.round)
	}
}

func isInvalid(err error) bool { return errors.Is(err, consensus.ErrInvalidInput) }

// newNonProposer builds a harness whose node proposes none of the rounds
// 0..rounds-1 of the first height.
func newNonProposer(t testing.TB, powers []int64, rounds int32) *harness {
	t.Helper()
	return newQuietValidator(t, powers, rounds, 1)
}

// newQuietValidator builds a harness whose node proposes none of the rounds
// 0..rounds-1 of the first height nor round 0 of the heights up to heights
// (when no validator changes).
func newQuietValidator(t testing.TB, powers []int64, rounds int32, heights int) *harness {
	t.Helper()
	h := newHarness(t, powers, -1)
	busy := map[int32]bool{}
	for r := int32(0); r < rounds; r++ {
		busy[h.vals.ProposerOf(r)] = true
	}
	vs := h.vals
	for i := 1; i < heights; i++ {
		vs = vs.Next()
		busy[vs.ProposerOf(0)] = true
	}
	for i := int32(0); int(i) < h.vals.Size(); i++ {
		if !busy[i] {
			h.self = i
			return h
		}
	}
	t.Fatalf("every validator proposes one of the first %d rounds", rounds)
	return nil
}

// decideHeight runs round 0 of the current height to a decision for value
// (the core must have started round 0) and returns the actions.
func (h *harness) decideHeight(value consensus.ID) []consensus.Action {
	h.t.Helper()
	var acts []consensus.Action
	if h.proposer(0) == h.self {
		acts = h.step(consensus.ProposalReady{Height: h.height(), Round: 0, Value: value})
	} else {
		acts = h.receive(h.proposal(0, -1, value))
	}
	acts = append(acts, h.votesFrom(consensus.Prevote, 0, value, h.others()...)...)
	acts = append(acts, h.votesFrom(consensus.Precommit, 0, value, h.others()...)...)
	if ds := actionsOf[consensus.Decide](acts); len(ds) != 1 || ds[0].Value != value {
		h.t.Fatalf("height %d: want a decision for %q, got %v", h.height(), value, ds)
	}
	return acts
}

// execute answers the decision of the current height.
func (h *harness) execute(appHash string) []consensus.Action {
	h.t.Helper()
	return h.step(consensus.Executed{Height: h.height(), AppHash: []byte(appHash), Next: h.core.h.vals.Next()})
}
