package wire

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire/wirepb"
)

func TestConsensusMessagesRoundTrip(t *testing.T) {
	g := newGen(7)
	for i := 0; i < 500; i++ {
		m := ConsensusMessage{Msg: g.message(i % 5)}
		b, err := EncodeConsensus(m)
		if err != nil {
			t.Fatalf("message %d (%T): encode: %v", i, m.Msg, err)
		}
		got, err := DecodeConsensus(b)
		if err != nil {
			t.Fatalf("message %d (%T): decode: %v", i, m.Msg, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("message %d: round trip changed it\n got %#v\nwant %#v", i, got.Msg, m.Msg)
		}
	}
}

func TestProposalCarriesItsBlock(t *testing.T) {
	g := newGen(8)
	block := testBlock(t, "tx1", "tx2")
	p := g.proposal(1, 0, blockID(t, block))
	b, err := EncodeConsensus(ConsensusMessage{Msg: &p, Block: block})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeConsensus(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Block == nil || !reflect.DeepEqual(got.Block.Hash(), block.Hash()) || len(got.Block.Txs) != 2 {
		t.Fatalf("block did not survive: %v", got.Block)
	}
	if id := blockID(t, got.Block); id != p.Value {
		t.Fatal("decoded block no longer has the proposal's ID")
	}
	if !reflect.DeepEqual(got.Msg, &p) {
		t.Fatalf("proposal changed: %#v", got.Msg)
	}
}

func TestProposalBlockMustMatchProposal(t *testing.T) {
	g := newGen(9)
	block := testBlock(t, "tx1")
	other := g.proposal(1, 0, g.id())
	for other.Value == consensus.Nil {
		other.Value = g.id()
	}
	wrongHeight := g.proposal(2, 0, blockID(t, block))
	nilProposal := g.proposal(1, 0, consensus.Nil)
	vote := g.vote(consensus.Prevote, 1, 0, blockID(t, block), 1)
	cases := map[string]ConsensusMessage{
		"other value":    {Msg: &other, Block: block},
		"other height":   {Msg: &wrongHeight, Block: block},
		"nil proposal":   {Msg: &nilProposal, Block: block},
		"beside a vote":  {Msg: &vote, Block: block},
		"no message":     {},
		"typed nil vote": {Msg: (*consensus.Vote)(nil)},
	}
	for name, m := range cases {
		if _, err := EncodeConsensus(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: encode error %v, want ErrInvalid", name, err)
		}
	}
	// The same mismatch arriving from a peer is refused by the decoder.
	good := g.proposal(1, 0, blockID(t, block))
	pb, err := ToProto(ConsensusMessage{Msg: &good, Block: block})
	if err != nil {
		t.Fatal(err)
	}
	pb.GetProposal().Proposal.Height = 2
	raw, err := pb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeConsensus(raw); !errors.Is(err, ErrInvalid) {
		t.Errorf("decoding a block for another height: %v", err)
	}
}

// TestValidationRejectsEachBadField breaks one field at a time and checks
// that both directions refuse the message.
func TestValidationRejectsEachBadField(t *testing.T) {
	g := newGen(10)
	val := g.id()
	for val == consensus.Nil {
		val = g.id()
	}
	vote := func(f func(*consensus.Vote)) consensus.Message {
		v := g.vote(consensus.Precommit, 5, 2, val, 3)
		f(&v)
		return &v
	}
	prop := func(f func(*consensus.Proposal)) consensus.Message {
		p := g.proposal(5, 2, val)
		f(&p)
		return &p
	}
	cp := func(f func(*consensus.Checkpoint)) consensus.Message {
		c := g.checkpoint(100, g.bytes(32), 1)
		f(&c)
		return &c
	}
	vc := func(f func(*consensus.ViewChange)) consensus.Message {
		v := g.viewChange(3, 1)
		v.Stable = consensus.StableCheckpoint{Height: 10, AppHash: []byte{1}, Proof: []consensus.Checkpoint{g.checkpoint(10, []byte{1}, 0), g.checkpoint(10, []byte{1}, 1)}}
		pc := g.prepared(3)
		pc.Prepares = []consensus.Vote{g.vote(consensus.Prevote, pc.PrePrepare.Height, pc.PrePrepare.Round, pc.PrePrepare.Value, 2)}
		v.Prepared = []consensus.PreparedCert{pc}
		f(&v)
		return &v
	}
	nv := func(f func(*consensus.NewView)) consensus.Message {
		n := g.newView()
		f(n)
		return n
	}
	cases := map[string]consensus.Message{
		"vote type 0":               vote(func(v *consensus.Vote) { v.Type = 0 }),
		"vote type 32":              vote(func(v *consensus.Vote) { v.Type = 32 }),
		"vote height 0":             vote(func(v *consensus.Vote) { v.Height = 0 }),
		"vote negative round":       vote(func(v *consensus.Vote) { v.Round = -1 }),
		"vote negative index":       vote(func(v *consensus.Vote) { v.Validator = -1 }),
		"vote index too big":        vote(func(v *consensus.Vote) { v.Validator = MaxValidators }),
		"vote no signature":         vote(func(v *consensus.Vote) { v.Signature = nil }),
		"vote long signature":       vote(func(v *consensus.Vote) { v.Signature = make([]byte, MaxSignatureBytes+1) }),
		"vote bad value":            vote(func(v *consensus.Vote) { v.Value = "short" }),
		"vote year 10000":           vote(func(v *consensus.Vote) { v.Timestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"proposal POL = round":      prop(func(p *consensus.Proposal) { p.POLRound = p.Round }),
		"proposal POL < -1":         prop(func(p *consensus.Proposal) { p.POLRound = -2 }),
		"proposal height -1":        prop(func(p *consensus.Proposal) { p.Height = -1 }),
		"proposal bad proposer":     prop(func(p *consensus.Proposal) { p.Proposer = -5 }),
		"proposal no signature":     prop(func(p *consensus.Proposal) { p.Signature = []byte{} }),
		"checkpoint height 0":       cp(func(c *consensus.Checkpoint) { c.Height = 0 }),
		"checkpoint huge app hash":  cp(func(c *consensus.Checkpoint) { c.AppHash = make([]byte, MaxAppHashBytes+1) }),
		"checkpoint no signature":   cp(func(c *consensus.Checkpoint) { c.Signature = nil }),
		"view change negative view": vc(func(v *consensus.ViewChange) { v.View = -1 }),
		"view change no signature":  vc(func(v *consensus.ViewChange) { v.Signature = nil }),
		"stable proof other height": vc(func(v *consensus.ViewChange) { v.Stable.Proof[1].Height = 11 }),
		"stable proof other hash":   vc(func(v *consensus.ViewChange) { v.Stable.Proof[1].AppHash = []byte{2} }),
		"stable proof duplicate":    vc(func(v *consensus.ViewChange) { v.Stable.Proof[1].Validator = 0 }),
		"stable proof unsigned":     vc(func(v *consensus.ViewChange) { v.Stable.Proof[0].Signature = nil }),
		"stable height -1":          vc(func(v *consensus.ViewChange) { v.Stable.Height, v.Stable.Proof = -1, nil }),
		"stable huge app hash": vc(func(v *consensus.ViewChange) {
			v.Stable.AppHash = make([]byte, MaxAppHashBytes+1)
			for i := range v.Stable.Proof {
				v.Stable.Proof[i].AppHash = v.Stable.AppHash
			}
		}),
		"prepare is a commit": vc(func(v *consensus.ViewChange) { v.Prepared[0].Prepares[0].Type = consensus.Precommit }),
		"prepare other view":  vc(func(v *consensus.ViewChange) { v.Prepared[0].Prepares[0].Round++ }),
		"prepare other value": vc(func(v *consensus.ViewChange) {
			v.Prepared[0].Prepares[0].Value = otherID(g, v.Prepared[0].Prepares[0].Value)
		}),
		"prepare duplicate": vc(func(v *consensus.ViewChange) {
			v.Prepared[0].Prepares = append(v.Prepared[0].Prepares, v.Prepared[0].Prepares[0])
		}),
		"pre-prepare with POL": vc(func(v *consensus.ViewChange) {
			v.Prepared[0].PrePrepare.POLRound = 0
			v.Prepared[0].PrePrepare.Round = 1
		}),
		"pre-prepare unsigned":     vc(func(v *consensus.ViewChange) { v.Prepared[0].PrePrepare.Signature = nil }),
		"too many prepared":        vc(func(v *consensus.ViewChange) { v.Prepared = make([]consensus.PreparedCert, MaxPreparedCerts+1) }),
		"new view no view changes": nv(func(n *consensus.NewView) { n.ViewChanges = nil }),
		"new view other view":      nv(func(n *consensus.NewView) { n.ViewChanges[0].View++ }),
		"new view duplicate":       nv(func(n *consensus.NewView) { n.ViewChanges = append(n.ViewChanges, n.ViewChanges[0]) }),
		"new view O in other view": nv(func(n *consensus.NewView) { n.PrePrepares = append(n.PrePrepares, g.proposal(3, n.View+1, g.id())) }),
		"new view unsigned":        nv(func(n *consensus.NewView) { n.Signature = nil }),
		"new view bad index":       nv(func(n *consensus.NewView) { n.Validator = MaxValidators + 1 }),
	}
	for name, m := range cases {
		if _, err := EncodeConsensus(ConsensusMessage{Msg: m}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: encode error %v, want ErrInvalid", name, err)
		}
		raw, err := rawConsensus(m)
		if err != nil {
			t.Fatalf("%s: build raw message: %v", name, err)
		}
		if _, err := DecodeConsensus(raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: decode error %v, want ErrInvalid", name, err)
		}
	}
}

// rawConsensus encodes m without validating it, as a faulty peer would.
func rawConsensus(m consensus.Message) ([]byte, error) {
	var pb wirepb.ConsensusMessage
	switch m := m.(type) {
	case *consensus.Proposal:
		p, _ := proposalToProto(m)
		pb.Sum = &wirepb.ConsensusMessage_Proposal{Proposal: &wirepb.ProposalMessage{Proposal: p}}
	case *consensus.Vote:
		v, _ := voteToProto(m)
		if _, err := DecodeID(m.Value); err != nil {
			v.BlockID.Hash = []byte(m.Value) // an ID that is no block ID
		}
		pb.Sum = &wirepb.ConsensusMessage_Vote{Vote: &v}
	case *consensus.Checkpoint:
		c := checkpointToProto(m)
		pb.Sum = &wirepb.ConsensusMessage_Checkpoint{Checkpoint: &c}
	case *consensus.ViewChange:
		vc, _ := viewChangeToProto(m)
		pb.Sum = &wirepb.ConsensusMessage_ViewChange{ViewChange: &vc}
	case *consensus.NewView:
		nv, _ := newViewToProto(m)
		pb.Sum = &wirepb.ConsensusMessage_NewView{NewView: nv}
	}
	// Out-of-range timestamps cannot be marshaled; a peer sends the raw
	// seconds instead, which the decoder must refuse.
	if v, ok := m.(*consensus.Vote); ok && v.Timestamp.Year() > 9999 {
		return rawVoteWithSeconds(v, v.Timestamp.Unix())
	}
	return pb.Marshal()
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":         nil,
		"truncated":     {0x12, 0x05, 0x08},
		"unknown field": {0x50, 0x01},
		"bad wire type": {0x0f},
	} {
		if _, err := DecodeConsensus(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// otherID returns a valid non-nil ID different from id.
func otherID(g *gen, id consensus.ID) consensus.ID {
	for {
		if o := g.id(); o != id && o != consensus.Nil {
			return o
		}
	}
}
