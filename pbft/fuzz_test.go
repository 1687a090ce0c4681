package pbft

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// fuzzReader turns fuzz bytes into small numbers; past the end it yields
// zeros.
type fuzzReader struct {
	data []byte
	pos  int
}

func (r *fuzzReader) byte() byte {
	if r.pos >= len(r.data) {
		return 0
	}
	b := r.data[r.pos]
	r.pos++
	return b
}

func (r *fuzzReader) done() bool { return r.pos >= len(r.data) }

func (r *fuzzReader) height() int64 {
	b := r.byte()
	if b == 255 {
		return math.MaxInt64
	}
	return int64(b%28) - 1
}

func (r *fuzzReader) view() int32 {
	switch b := r.byte(); b {
	case 254:
		return math.MaxInt32
	case 255:
		return 2000
	default:
		return int32(b%6) - 1
	}
}

func (r *fuzzReader) value() consensus.ID { return []consensus.ID{"", "a", "b", "c"}[r.byte()%4] }
func (r *fuzzReader) validator() int32    { return int32(r.byte()%6) - 1 }
func (r *fuzzReader) voteType() consensus.VoteType {
	return []consensus.VoteType{consensus.Prevote, consensus.Precommit, 9}[r.byte()%3]
}

func (r *fuzzReader) vote(typ consensus.VoteType) consensus.Vote {
	return consensus.Vote{Type: typ, Height: r.height(), Round: r.view(), Value: r.value(), Validator: r.validator()}
}

func (r *fuzzReader) checkpoint() consensus.Checkpoint {
	h := r.height()
	if r.byte()%4 != 0 {
		h = h / 5 * 5
	}
	return consensus.Checkpoint{Height: h, AppHash: []byte{r.byte() % 3}, Validator: r.validator()}
}

func (r *fuzzReader) stable() consensus.StableCheckpoint {
	if r.byte()%2 == 0 {
		return consensus.StableCheckpoint{}
	}
	cp := r.checkpoint()
	sc := consensus.StableCheckpoint{Height: cp.Height, AppHash: cp.AppHash}
	for i := r.byte() % 5; i > 0; i-- {
		p := cp
		p.Validator = r.validator()
		sc.Proof = append(sc.Proof, p)
	}
	return sc
}

func (r *fuzzReader) cert() consensus.PreparedCert {
	pp := consensus.Proposal{Height: r.height(), Round: r.view(), POLRound: -1, Value: r.value(), Proposer: r.validator()}
	pc := consensus.PreparedCert{PrePrepare: pp}
	for i := r.byte() % 4; i > 0; i-- {
		v := consensus.Vote{Type: consensus.Prevote, Height: pp.Height, Round: pp.Round, Value: pp.Value, Validator: r.validator()}
		if r.byte()%8 == 0 {
			v.Value = r.value()
		}
		pc.Prepares = append(pc.Prepares, v)
	}
	return pc
}

func (r *fuzzReader) viewChange() consensus.ViewChange {
	vc := consensus.ViewChange{View: r.view(), Validator: r.validator(), Stable: r.stable()}
	for i := r.byte() % 3; i > 0; i-- {
		vc.Prepared = append(vc.Prepared, r.cert())
	}
	return vc
}

func (r *fuzzReader) newView(c *Core) consensus.NewView {
	nv := consensus.NewView{View: r.view(), Validator: r.validator()}
	for i := r.byte() % 5; i > 0; i-- {
		vc := r.viewChange()
		vc.View = nv.View
		nv.ViewChanges = append(nv.ViewChanges, vc)
	}
	valid := len(nv.ViewChanges) > 0
	for i := range nv.ViewChanges {
		valid = valid && c.checkViewChange(&nv.ViewChanges[i]) == nil
	}
	if valid && r.byte()%2 == 0 {
		_, nv.PrePrepares = c.computeO(nv.View, nv.ViewChanges)
	} else {
		for i := r.byte() % 3; i > 0; i-- {
			nv.PrePrepares = append(nv.PrePrepares, consensus.Proposal{Height: r.height(), Round: nv.View, POLRound: -1, Value: r.value(), Proposer: nv.Validator})
		}
	}
	return nv
}

// nextInput decodes one input. Half of the opcodes build arbitrary inputs;
// the other half answer the replica's own actions or send well-formed
// messages shaped by its state, so that the fuzzer reaches deep protocol
// states (quorums, checkpoints, view changes), not only rejections.
func (r *fuzzReader) nextInput(c *Core, vals *consensus.ValidatorSet, pending *[]consensus.Input) consensus.Input {
	op := r.byte() % 24
	if op >= 14 {
		return r.guidedInput(op, c, pending)
	}
	switch op {
	case 0:
		return consensus.Start{}
	case 1:
		return consensus.TxsAvailable{}
	case 2:
		return consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutKind(r.byte() % 9), Height: r.height(), Round: r.view()}}
	case 3:
		return consensus.ProposalReady{Height: r.height(), Round: r.view(), Value: r.value()}
	case 4:
		return consensus.Verdict{Height: r.height(), Value: r.value(), Valid: r.byte()%4 != 0}
	case 5:
		h := r.height()
		if r.byte()%4 != 0 {
			h = c.lastDecided
		}
		next := vals
		if r.byte() == 7 {
			next = nil
		}
		return consensus.Executed{Height: h, AppHash: []byte{byte(h % 3)}, Next: next}
	case 6:
		return consensus.Receive{Msg: &consensus.Proposal{Height: r.height(), Round: r.view(), POLRound: int32(r.byte()%3) - 1, Value: r.value(), Proposer: r.validator()}}
	case 7, 8:
		v := r.vote(r.voteType())
		return consensus.Receive{Msg: &v}
	case 9:
		cp := r.checkpoint()
		return consensus.Receive{Msg: &cp}
	case 10:
		vc := r.viewChange()
		return consensus.Receive{Msg: &vc}
	case 11:
		nv := r.newView(c)
		return consensus.Receive{Msg: &nv}
	case 12:
		s := consensus.Synced{Height: r.height(), Value: r.value()}
		for i := r.byte() % 5; i > 0; i-- {
			v := r.vote(consensus.Precommit)
			v.Height, v.Value = s.Height, s.Value
			s.Commit = append(s.Commit, v)
		}
		return s
	default:
		return consensus.Receive{Msg: r.ownEcho(c)}
	}
}

func (r *fuzzReader) guidedInput(op byte, c *Core, pending *[]consensus.Input) consensus.Input {
	near := func(base int64) int64 { return base + int64(r.byte()%4/3) }
	from := int32(r.byte() % 4)
	switch op {
	case 14, 15, 16:
		if len(*pending) == 0 {
			return consensus.TxsAvailable{}
		}
		i := int(r.byte()) % len(*pending)
		in := (*pending)[i]
		*pending = append((*pending)[:i], (*pending)[i+1:]...)
		return in
	case 17:
		n := near(c.lastExecuted + 1)
		value := consensus.ID("a")
		if r.byte()%4 == 0 {
			value = r.value()
		}
		return consensus.Receive{Msg: &consensus.Proposal{Height: n, Round: c.view, POLRound: -1, Value: value, Proposer: c.primaryOf(c.view)}}
	case 18, 19:
		typ := []consensus.VoteType{consensus.Prevote, consensus.Precommit}[op-18]
		n := near(c.lastDecided + 1)
		value := consensus.ID("a")
		if vs := c.lookup(n, c.view); vs != nil && vs.prePrepare != nil && r.byte()%4 != 0 {
			value = vs.prePrepare.Value
		}
		return consensus.Receive{Msg: &consensus.Vote{Type: typ, Height: n, Round: c.view, Value: value, Validator: from}}
	case 20:
		h := (c.lastExecuted / 5) * 5
		if h < 5 {
			h = 5
		}
		return consensus.Receive{Msg: &consensus.Checkpoint{Height: h, AppHash: []byte{byte(h % 3)}, Validator: from}}
	case 21, 22:
		w := c.view + 1 + int32(r.byte()%2)
		vc := consensus.ViewChange{View: w, Validator: from, Stable: c.stable}
		if r.byte()%2 == 0 {
			vc.Prepared = c.pSet()
		}
		if op == 21 {
			return consensus.Receive{Msg: &vc}
		}
		nv := consensus.NewView{View: w, Validator: c.primaryOf(w)}
		for i := int32(0); i < 3; i++ {
			v := vc
			v.Validator = (from + i) % 4
			nv.ViewChanges = append(nv.ViewChanges, v)
		}
		_, nv.PrePrepares = c.computeO(w, nv.ViewChanges)
		return consensus.Receive{Msg: &nv}
	default:
		return consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutViewChange, Height: c.vcTimer.Height, Round: c.vcTimer.View}}
	}
}

// answers turns a replica's actions into the inputs a driver would answer
// with.
func answers(acts []consensus.Action, vals *consensus.ValidatorSet) []consensus.Input {
	var out []consensus.Input
	for _, a := range acts {
		switch a := a.(type) {
		case consensus.Broadcast:
			out = append(out, consensus.Receive{Msg: sign(a.Msg)})
		case consensus.SetTimeout:
			out = append(out, consensus.TimeoutFired{Timeout: a.Timeout})
		case consensus.RequestProposal:
			out = append(out, consensus.ProposalReady{Height: a.Height, Round: a.Round, Value: "a"})
		case consensus.RequestVerdict:
			out = append(out, consensus.Verdict{Height: a.Height, Value: a.Value, Valid: true})
		case consensus.Decide:
			out = append(out, consensus.Executed{Height: a.Height, AppHash: []byte{byte(a.Height % 3)}, Next: vals})
		}
	}
	return out
}

// ownEcho returns a message as if this replica had signed it: what it would
// get back from the driver after a Broadcast.
func (r *fuzzReader) ownEcho(c *Core) consensus.Message {
	v := r.vote(r.voteType())
	v.Validator = c.self
	return &v
}

// ownVotes checks that a replica never signs two different things for one
// slot: the property that makes PBFT safe.
type ownVotes map[string]string

func (o ownVotes) check(t *testing.T, m consensus.Message) {
	var slot, what string
	switch m := m.(type) {
	case *consensus.Proposal:
		slot, what = fmt.Sprintf("pp/%d/%d", m.Round, m.Height), string(m.Value)
	case *consensus.Vote:
		slot, what = fmt.Sprintf("%s/%d/%d", m.Type, m.Round, m.Height), string(m.Value)
	case *consensus.Checkpoint:
		slot, what = fmt.Sprintf("cp/%d", m.Height), string(m.AppHash)
	case *consensus.ViewChange:
		slot, what = fmt.Sprintf("vc/%d", m.View), fmt.Sprint(digestViewChange(m))
	case *consensus.NewView:
		slot, what = fmt.Sprintf("nv/%d", m.View), fmt.Sprint(digestNewView(m))
	}
	if prev, ok := o[slot]; ok && prev != what {
		t.Fatalf("replica signed two different messages for %s", slot)
	}
	o[slot] = what
}

func fuzzStep(t *testing.T, data []byte) {
	vals := testVals(t, 1, 1, 1, 1)
	cfg := testConfig()
	cfg.CheckpointInterval, cfg.WatermarkWindow = 5, 10
	r := &fuzzReader{data: data}
	self := []byte{r.byte()%5 + 1} // address 5 is not a validator
	c, err := New(cfg, self, vals, nil)
	if err != nil {
		t.Fatal(err)
	}
	own := ownVotes{}
	var pending []consensus.Input
	for steps := 0; !r.done() && steps < 500; steps++ {
		in := r.nextInput(c, vals, &pending)
		before, err := c.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		lastDecided := c.lastDecided
		acts, err := c.Step(in)
		if err != nil {
			if errors.Is(err, ErrBrokenInvariant) {
				return // the fuzzer controls every signer, so it can break the 1/3 bound
			}
			if !errors.Is(err, consensus.ErrInvalidInput) {
				t.Fatalf("%T: error wraps neither ErrInvalidInput nor ErrBrokenInvariant: %v", in, err)
			}
			if after, _ := c.Snapshot(); !bytes.Equal(before, after) {
				t.Fatalf("%T rejected (%v) but the state changed", in, err)
			}
			continue
		}
		checkEvidence(t, acts)
		if pending = append(pending, answers(acts, vals)...); len(pending) > 64 {
			pending = pending[len(pending)-64:]
		}
		for _, a := range acts {
			switch a := a.(type) {
			case consensus.Broadcast:
				if !c.isValidator() {
					t.Fatalf("a non-validator broadcast %T", a.Msg)
				}
				own.check(t, a.Msg)
			case consensus.Decide:
				if _, restart := in.(consensus.Start); restart && a.Height == lastDecided {
					continue // the decision awaiting execution, repeated for a restarted driver
				}
				if a.Height != lastDecided+1 {
					t.Fatalf("decided %d after %d", a.Height, lastDecided)
				}
				lastDecided = a.Height
				if err := c.checkCommit(a.Height, a.Value, a.Commit); err != nil {
					t.Fatalf("decision without a valid commit: %v", err)
				}
			}
		}
	}
}

// FuzzStep steps a replica with arbitrary inputs: it must never panic, every
// error must say whether the input was bad (and then change nothing) or an
// invariant broke, decisions come in order with valid commits, the replica
// never signs two different messages for one slot, and evidence only ever
// pairs two messages of one signer for one slot.
func FuzzStep(f *testing.F) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 60; i++ {
		b := make([]byte, 200+rng.Intn(600))
		rng.Read(b)
		f.Add(b)
	}
	f.Fuzz(fuzzStep)
}
