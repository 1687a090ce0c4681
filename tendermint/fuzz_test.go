package tendermint

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// fuzzReader turns fuzz bytes into choices; it yields zeros once exhausted.
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

func (r *fuzzReader) more() bool { return r.pos < len(r.data) }

// small returns a value in [lo, lo+n).
func (r *fuzzReader) small(lo, n int) int { return lo + int(r.byte())%n }

var fuzzValues = []consensus.ID{consensus.Nil, valueA, valueB, "block-C"}

// fuzzDriver keeps what a driver would answer: the core's own broadcasts to
// echo and its requests to answer, which the fuzz bytes choose to deliver.
type fuzzDriver struct {
	vals      *consensus.ValidatorSet
	self      int32
	broadcast []consensus.Message
	requests  []consensus.Action
	decided   map[int64]consensus.ID
	clock     int64
}

func (d *fuzzDriver) absorb(t *testing.T, acts []consensus.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case consensus.Broadcast:
			d.broadcast = append(d.broadcast, a.Msg)
		case consensus.RequestProposal, consensus.RequestVerdict:
			d.requests = append(d.requests, a)
		case consensus.Evidence:
			checkEvidencePair(t, a)
		case consensus.Decide:
			if v, ok := d.decided[a.Height]; ok && v != a.Value {
				t.Fatalf("height %d decided %q and %q", a.Height, v, a.Value)
			}
			d.decided[a.Height] = a.Value
			d.requests = append(d.requests, a)
		}
	}
}

// next decodes one input.
func (d *fuzzDriver) next(r *fuzzReader, c *Core) consensus.Input {
	st := c.Status()
	height := st.Height + int64(r.small(-1, 4))
	round := int32(r.small(0, 6))
	if r.byte()%16 == 0 {
		round = int32(r.byte())<<24 | int32(r.byte())<<8 // far or negative
	}
	value := fuzzValues[r.small(0, len(fuzzValues))]
	signer := int32(r.small(-1, d.vals.Size()+2))
	d.clock++
	switch r.small(0, 12) {
	case 0:
		if r.byte()%2 == 0 && round >= 0 && round < 64 {
			signer = c.h.vals.ProposerOf(round)
		}
		return consensus.Receive{Msg: &consensus.Proposal{Height: height, Round: round, POLRound: int32(r.small(-2, 5)), Value: value, Proposer: signer, Signature: []byte{1}}}
	case 1:
		return consensus.Receive{Msg: &consensus.Vote{Type: consensus.VoteType(r.small(0, 4)), Height: height, Round: round, Value: value, Validator: signer, Signature: []byte{1}}}
	case 2:
		return consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutKind(r.small(0, 9)), Height: height, Round: round}}
	case 3:
		return consensus.ProposalReady{Height: height, Round: round, Value: value}
	case 4:
		return consensus.Verdict{Height: height, Value: value, Valid: r.byte()%4 != 0}
	case 5:
		next := c.h.vals.Next()
		if r.byte()%8 == 0 {
			next = nil
		}
		return consensus.Executed{Height: height, AppHash: []byte{r.byte() % 2}, Next: next}
	case 6:
		return consensus.TxsAvailable{}
	case 7:
		var commit []consensus.Vote
		for i, n := 0, r.small(0, 5); i < n; i++ {
			commit = append(commit, consensus.Vote{Type: consensus.VoteType(r.small(1, 2)), Height: height, Round: round, Value: value, Validator: int32(r.small(0, d.vals.Size()+1))})
		}
		return consensus.Synced{Height: height, Value: value, Commit: commit}
	case 8:
		return consensus.Start{}
	case 9:
		return d.echo()
	case 10:
		return d.answer(r)
	default:
		return d.quorum(r, c, value)
	}
}

// echo hands back the oldest own broadcast, signed.
func (d *fuzzDriver) echo() consensus.Input {
	if len(d.broadcast) == 0 {
		return consensus.TxsAvailable{}
	}
	m := d.broadcast[0]
	d.broadcast = d.broadcast[1:]
	switch m := m.(type) {
	case *consensus.Proposal:
		cp := *m
		cp.Signature = []byte(fmt.Sprint(d.clock))
		return consensus.Receive{Msg: &cp}
	case *consensus.Vote:
		cp := *m
		cp.Signature = []byte(fmt.Sprint(d.clock))
		return consensus.Receive{Msg: &cp}
	}
	return consensus.Receive{Msg: m}
}

// answer replies to the oldest request.
func (d *fuzzDriver) answer(r *fuzzReader) consensus.Input {
	if len(d.requests) == 0 {
		return consensus.TxsAvailable{}
	}
	a := d.requests[0]
	d.requests = d.requests[1:]
	switch a := a.(type) {
	case consensus.RequestProposal:
		return consensus.ProposalReady{Height: a.Height, Round: a.Round, Value: fuzzValues[r.small(1, 3)]}
	case consensus.RequestVerdict:
		return consensus.Verdict{Height: a.Height, Value: a.Value, Valid: r.byte()%4 != 0}
	case consensus.Decide:
		return consensus.Executed{Height: a.Height, AppHash: []byte{r.byte() % 2}, Next: d.vals.Next()}
	}
	return consensus.TxsAvailable{}
}

// quorum is a burst: a proposal or one vote type from everyone for value in
// the current round, so that sequences reach the deeper rules.
func (d *fuzzDriver) quorum(r *fuzzReader, c *Core, value consensus.ID) consensus.Input {
	st := c.Status()
	t := consensus.VoteType(r.small(1, 2))
	v := int32(r.small(0, c.h.vals.Size()))
	if r.byte()%3 == 0 {
		return consensus.Receive{Msg: &consensus.Proposal{Height: st.Height, Round: st.Round, POLRound: -1, Value: fuzzValues[r.small(1, 3)], Proposer: c.h.vals.ProposerOf(st.Round), Signature: []byte{2}}}
	}
	return consensus.Receive{Msg: &consensus.Vote{Type: t, Height: st.Height, Round: st.Round, Value: value, Validator: v, Signature: []byte{2}}}
}

// FuzzStep steps random input sequences into a core and a twin that gets
// only the inputs the first accepted. It checks: no panic; every error is
// ErrInvalidInput (then no actions and the twin, which never saw the
// input, behaves the same from then on) or a broken invariant (then stop);
// the twins' actions agree (determinism); heights never go back; a height
// is never decided twice differently; evidence pairs two different messages
// of one signer for one slot.
func FuzzStep(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{8, 0, 0, 0, 0, 0, 11, 11, 11, 9, 9, 10, 10, 1, 1, 1})
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x00\x00\x00\x03\x0b\x00\x00\x01\x00\x00\x00\x01\x01\x00\x0a\x00"))
	for i := 0; i < 8; i++ {
		seed := make([]byte, 300)
		for j := range seed {
			seed[j] = byte((i*131 + j*17) % 251)
		}
		f.Add(seed)
	}
	f.Fuzz(fuzzSteps)
}

// fuzzSteps is the body of FuzzStep.
func fuzzSteps(t *testing.T, data []byte) {
	r := &fuzzReader{data: data}
	vals := validatorSet(t, []int64{3, 2, 1, 1})
	self := int32(r.small(-1, vals.Size()+1))
	cfg := DefaultConfig()
	cfg.MaxRoundsAhead = 50
	cfg.TimeoutCommit = 0
	cfg.CreateEmptyBlocks = r.byte()%2 == 0
	address := []byte("follower")
	if self >= 0 {
		address = vals.Validators[self].Address
	}
	a, errA := New(cfg, address, vals, nil)
	b, errB := New(cfg, address, vals, nil)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	d := &fuzzDriver{vals: vals, self: self, decided: map[int64]consensus.ID{}}
	lastHeight := a.Status().Height
	for steps := 0; r.more() && steps < 2000; steps++ {
		in := d.next(r, a)
		actsA, err := a.Step(in)
		if errors.Is(err, ErrBrokenInvariant) {
			return // arbitrary inputs can forge a Byzantine majority
		}
		if err != nil {
			if !errors.Is(err, consensus.ErrInvalidInput) {
				t.Fatalf("step %d %T%+v: error %v is neither invalid input nor a broken invariant", steps, in, in, err)
			}
			if actsA != nil {
				t.Fatalf("rejected input returned actions %v", actsA)
			}
			continue
		}
		actsB, errB := b.Step(in)
		if errB != nil || !reflect.DeepEqual(actsA, actsB) {
			t.Fatalf("step %d %T%+v: twins differ:\n%v\n%v (%v)", steps, in, in, actsA, actsB, errB)
		}
		d.absorb(t, actsA)
		if h := a.Status().Height; h < lastHeight {
			t.Fatalf("height went back from %d to %d", lastHeight, h)
		} else {
			lastHeight = h
		}
	}
	if !reflect.DeepEqual(a.RoundState(), b.RoundState()) {
		t.Fatal("twins ended in different states")
	}
}

// checkEvidencePair fails unless ev pairs two different messages of one
// signer for one slot (height, round, kind): evidence accuses its signer,
// and a pair of two signers' messages proves nothing against either.
func checkEvidencePair(t *testing.T, ev consensus.Evidence) {
	t.Helper()
	if ev.First == nil || ev.Second == nil {
		t.Fatalf("evidence with a missing message: %+v", ev)
	}
	a, b := ev.First, ev.Second
	if a.Signer() != b.Signer() {
		t.Fatalf("evidence pairs messages of validators %d and %d", a.Signer(), b.Signer())
	}
	switch a := a.(type) {
	case *consensus.Proposal:
		b, ok := b.(*consensus.Proposal)
		if !ok || a.Height != b.Height || a.Round != b.Round || sameProposal(a, b) {
			t.Fatalf("proposal evidence %+v vs %+v is not two proposals for one slot", a, ev.Second)
		}
	case *consensus.Vote:
		b, ok := b.(*consensus.Vote)
		if !ok || a.Type != b.Type || a.Height != b.Height || a.Round != b.Round || a.Value == b.Value {
			t.Fatalf("vote evidence %+v vs %+v is not two votes for one slot", a, ev.Second)
		}
	default:
		t.Fatalf("evidence of type %T", a)
	}
}
