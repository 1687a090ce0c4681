package sim

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

func signedNewView(t *testing.T, keys *keyring) *consensus.NewView {
	t.Helper()
	cp := consensus.Checkpoint{Height: 4, AppHash: []byte{1, 2}, Validator: 1}
	pp := consensus.Proposal{Height: 5, Round: 0, POLRound: -1, Value: "5.0.1", Proposer: 0}
	prep := consensus.Vote{Type: consensus.Prevote, Height: 5, Value: "5.0.1", Validator: 2}
	for _, m := range []consensus.Message{&cp, &pp, &prep} {
		if _, err := newSigner(keys, m.Signer()).signOne(m); err != nil {
			t.Fatal(err)
		}
	}
	vc := &consensus.ViewChange{View: 1, Validator: 3, Stable: consensus.StableCheckpoint{Height: 4, AppHash: []byte{1, 2}, Proof: []consensus.Checkpoint{cp}},
		Prepared: []consensus.PreparedCert{{PrePrepare: pp, Prepares: []consensus.Vote{prep}}}}
	svc, err := newSigner(keys, 3).sign(vc)
	if err != nil {
		t.Fatal(err)
	}
	nv := &consensus.NewView{View: 1, Validator: 1, ViewChanges: []consensus.ViewChange{*svc.(*consensus.ViewChange)},
		PrePrepares: []consensus.Proposal{{Height: 5, Round: 1, POLRound: -1, Value: "5.0.1", Proposer: 1}}}
	signed, err := newSigner(keys, 1).sign(nv)
	if err != nil {
		t.Fatal(err)
	}
	return signed.(*consensus.NewView)
}

func TestVerifyChecksNestedSignatures(t *testing.T) {
	keys := newKeyring(1, 4)
	if err := keys.verify(signedNewView(t, keys)); err != nil {
		t.Fatalf("valid new-view rejected: %v", err)
	}
	tamper := map[string]func(nv *consensus.NewView){
		"outer view":          func(nv *consensus.NewView) { nv.View++ },
		"pre-prepare value":   func(nv *consensus.NewView) { nv.PrePrepares[0].Value = "other" },
		"view change view":    func(nv *consensus.NewView) { nv.ViewChanges[0].View = 2 },
		"checkpoint proof":    func(nv *consensus.NewView) { nv.ViewChanges[0].Stable.Proof[0].AppHash = []byte{9} },
		"prepared prepare":    func(nv *consensus.NewView) { nv.ViewChanges[0].Prepared[0].Prepares[0].Round = 3 },
		"prepared preprepare": func(nv *consensus.NewView) { nv.ViewChanges[0].Prepared[0].PrePrepare.Proposer = 3 },
		"unknown signer":      func(nv *consensus.NewView) { nv.Validator = 9 },
	}
	for name, f := range tamper {
		nv := cloneMessage(signedNewView(t, keys)).(*consensus.NewView)
		f(nv)
		if err := keys.verify(nv); !errors.Is(err, errBadSignature) {
			t.Errorf("%s: tampered new-view verified (err %v)", name, err)
		}
	}
}

func TestSignerProtectsEverySlot(t *testing.T) {
	keys := newKeyring(1, 4)
	s := newSigner(keys, 2)
	vote := &consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 1, Value: "a", Validator: 2}
	first, err := s.sign(vote)
	if err != nil {
		t.Fatal(err)
	}
	restamped := *vote
	restamped.Timestamp = time.Unix(100, 0)
	again, err := s.sign(&restamped)
	if err != nil || string(again.OwnSignature()) != string(first.OwnSignature()) || !again.(*consensus.Vote).Timestamp.IsZero() {
		t.Fatalf("re-signing the same vote: %v, want the first signed message back", err)
	}
	conflicting := *vote
	conflicting.Value = "b"
	if _, err := s.sign(&conflicting); !errors.Is(err, errDoubleSign) {
		t.Fatalf("conflicting prevote: %v, want double sign", err)
	}
	precommit := conflicting
	precommit.Type = consensus.Precommit
	if _, err := s.sign(&precommit); err != nil {
		t.Fatalf("a precommit is another slot: %v", err)
	}
	if _, err := s.signUnprotected(&conflicting); err != nil {
		t.Fatalf("unprotected signing refused: %v", err)
	}
	if _, err := s.sign(&consensus.Vote{Validator: 1}); err == nil {
		t.Fatal("signed as another validator")
	}
	s.raiseFloor(4)
	if _, err := s.sign(&consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 2, Validator: 2}); !errors.Is(err, errBelowFloor) {
		t.Fatalf("vote below the sign floor: %v", err)
	}
	if _, ok := s.signed[slotOf(vote)]; ok {
		t.Fatal("a record below the floor was kept")
	}
	if _, err := s.sign(&consensus.Vote{Type: consensus.Prevote, Height: 4, Validator: 2}); err != nil {
		t.Fatalf("vote at the sign floor: %v", err)
	}
	nv := &consensus.NewView{View: 2, Validator: 2, PrePrepares: []consensus.Proposal{{Height: 4, Round: 1, Value: "b", Proposer: 2}}}
	if _, err := s.sign(&consensus.Proposal{Height: 4, Round: 1, Value: "a", Proposer: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sign(nv); !errors.Is(err, errDoubleSign) {
		t.Fatalf("new-view re-proposing another value for a signed slot: %v, want double sign", err)
	}
}

func TestWALCrashKeepsDurablePrefix(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		var l wal
		var written []int64
		for i := 0; i < rng.IntN(20); i++ {
			switch rng.IntN(5) {
			case 0:
				l.sync()
			case 1:
				l.saveSnapshot([]byte{byte(i)}, false)
				written = nil
			default:
				l.append(consensus.TxsAvailable{}, false)
				l.append(consensus.Executed{Height: int64(i)}, false)
				written = append(written, int64(i))
			}
		}
		durable := l.durable
		snap := string(l.snapshot)
		l.crash(rng)
		if l.durable < durable || len(l.entries) < durable || len(l.entries) > 2*len(written) || string(l.snapshot) != snap {
			t.Fatalf("trial %d: crash kept %d entries (durable %d before, %d after)", trial, len(l.entries), durable, l.durable)
		}
		for i, l := range l.entries {
			if e, ok := l.in.(consensus.Executed); ok && e.Height != written[i/2] {
				t.Fatalf("trial %d: entry %d is not a prefix of what was written", trial, i)
			}
		}
	}
}

func TestPartitionShapes(t *testing.T) {
	w, err := newWorld(Options{Protocol: toyProtocol, Scenario: "twins", Seed: 5, Validators: 7})
	if err != nil {
		t.Fatal(err)
	}
	n := len(w.nodes)
	ring := w.partition("ring")
	for a := range ring {
		deg := 0
		for b := range ring {
			if a != b && ring[a][b] {
				deg++
				if !ring[b][a] {
					t.Fatal("ring is not symmetric")
				}
			}
		}
		if deg != 2 {
			t.Fatalf("ring node %d has %d neighbours", a, deg)
		}
	}
	w.lastProposer = 0
	hub := w.partition("hub")
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			want := a == b || w.nodes[a].val == 0 || w.nodes[b].val == 0
			if hub[a][b] != want {
				t.Fatalf("hub: %d->%d is %v", a, b, hub[a][b])
			}
		}
	}
	twins := w.partition("twins")
	for _, slots := range w.byVal {
		if len(slots) == 2 && twins[slots[0]][slots[1]] {
			t.Fatal("twin copies on one side")
		}
	}
	if len(w.nodes) == w.genesis.Size() {
		t.Fatal("twins family built no twin")
	}
	halves := w.partition("halves")
	side := 0
	for b := 0; b < n; b++ {
		if halves[0][b] {
			side++
		}
	}
	if side != n/2 && side != n-n/2 {
		t.Fatalf("halves: node 0 reaches %d of %d", side, n)
	}
}

func TestQueueOrdersByTimeThenSequence(t *testing.T) {
	var q eventQueue
	var got []int
	for i, at := range []time.Duration{5, 1, 5, 0, 1} {
		q.schedule(at, func() { got = append(got, i) })
	}
	for ev, ok := q.next(); ok; ev, ok = q.next() {
		ev.run()
	}
	want := []int{3, 1, 4, 0, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

// FuzzNaiveCoreSeed drives whole runs of the naive core by seed and family; the
// fault-only families must stay clean.
func FuzzNaiveCoreSeed(f *testing.F) {
	for seed := uint64(0); seed < 4; seed++ {
		f.Add(seed, uint8(seed))
	}
	f.Fuzz(func(t *testing.T, seed uint64, family uint8) {
		fam := []string{"happy", "lossy", "partition", "asymmetric", "crash"}[int(family)%5]
		res, err := Run(Options{Protocol: toyProtocol, Scenario: fam, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			t.Fatalf("%v\n%s", res.Violations, res.ReplayCommand())
		}
	})
}
