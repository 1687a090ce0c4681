//go:build byzantine

package engine

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

// recordingNet keeps what the engine broadcast.
type recordingNet struct {
	mu   sync.Mutex
	sent map[byte][][]byte
}

func (n *recordingNet) Broadcast(ch byte, msg []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sent == nil {
		n.sent = map[byte][][]byte{}
	}
	n.sent[ch] = append(n.sent[ch], msg)
}
func (n *recordingNet) Send(string, byte, []byte) bool { return true }
func (n *recordingNet) Penalize(string, string)        {}

func byzantineEngine(t *testing.T) (*Engine, *recordingNet) {
	t.Helper()
	net := &recordingNet{}
	e := &Engine{cfg: Config{Key: ed25519.GenPrivKey()}, state: state.State{ChainID: "byz-chain"},
		p: Parts{Net: net}, blocks: newBlockCache(8), log: slog.Default()}
	return e, net
}

func honestVote(t *testing.T, e *Engine) *consensus.Vote {
	t.Helper()
	v := &consensus.Vote{Type: consensus.Prevote, Height: 5, Round: 1, Value: fakeValue(), Validator: 2}
	signed, err := NewSigner(e.cfg.Key, e.state.ChainID).Sign(v, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return signed.(*consensus.Vote)
}

func verifies(e *Engine, chainID string, m consensus.Message, sig []byte) bool {
	sb, err := wire.SignBytes(chainID, m)
	return err == nil && e.cfg.Key.PubKey().VerifySignature(sb, sig)
}

func TestParseByzantine(t *testing.T) {
	got, err := parseByzantine(" equivocate, replay ,")
	if err != nil || len(got) != 2 || got[0] != Equivocate || got[1] != Replay {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := parseByzantine("equivocate,lie"); err == nil {
		t.Fatal("an unknown behaviour was accepted")
	}
}

// An equivocating vote is a valid signature on the same slot for another
// value: exactly what honest nodes must turn into evidence.
func TestEquivocatingVoteIsValidAndConflicting(t *testing.T) {
	e, net := byzantineEngine(t)
	v := honestVote(t, e)
	(&byzantine{modes: []string{Equivocate}}).act(e, v)
	if len(net.sent[ChannelConsensus]) != 1 {
		t.Fatalf("%d messages sent, want 1", len(net.sent[ChannelConsensus]))
	}
	cm, err := wire.DecodeConsensus(net.sent[ChannelConsensus][0])
	if err != nil {
		t.Fatal(err)
	}
	other := cm.Msg.(*consensus.Vote)
	if other.Height != v.Height || other.Round != v.Round || other.Type != v.Type || other.Validator != v.Validator || other.Value == v.Value {
		t.Fatalf("not a conflicting vote for the same slot: %+v vs %+v", other, v)
	}
	if !verifies(e, e.state.ChainID, other, other.Signature) {
		t.Fatal("the conflicting vote's signature does not verify")
	}
}

func TestEquivocatingProposalCarriesAnotherValidBlock(t *testing.T) {
	e, net := byzantineEngine(t)
	block := types.MakeBlock(5, types.Txs{types.Tx("a=1")}, &types.Commit{}, nil)
	block.ProposerAddress = e.cfg.Key.PubKey().Address()
	block.ValidatorsHash = randomBytes(32) // a header without it has no hash
	if err := block.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	parts, err := block.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		t.Fatal(err)
	}
	id := wire.EncodeID(types.BlockID{Hash: block.Hash(), PartSetHeader: parts.Header()})
	e.blocks.add(id, block)
	p := &consensus.Proposal{Height: 5, Round: 0, POLRound: -1, Value: id, Proposer: 1}
	(&byzantine{modes: []string{Equivocate}}).act(e, p)
	if len(net.sent[ChannelConsensus]) != 1 {
		t.Fatalf("%d messages sent, want 1", len(net.sent[ChannelConsensus]))
	}
	cm, err := wire.DecodeConsensus(net.sent[ChannelConsensus][0])
	if err != nil {
		t.Fatal(err)
	}
	other := cm.Msg.(*consensus.Proposal)
	if other.Value == id || cm.Block == nil {
		t.Fatal("the second proposal is not for another block")
	}
	otherParts, _ := cm.Block.MakePartSet(types.BlockPartSizeBytes)
	if wire.EncodeID(types.BlockID{Hash: cm.Block.Hash(), PartSetHeader: otherParts.Header()}) != other.Value {
		t.Fatal("the conflicting block does not hash to the proposal's value")
	}
	if err := cm.Block.ValidateBasic(); err != nil {
		t.Fatalf("the conflicting block is not well formed: %v", err)
	}
	if !verifies(e, e.state.ChainID, other, other.Signature) {
		t.Fatal("the conflicting proposal's signature does not verify")
	}
}

func TestInvalidCopiesFailVerificationOrDecoding(t *testing.T) {
	e, net := byzantineEngine(t)
	v := honestVote(t, e)
	(&byzantine{modes: []string{BadSignature, OtherChain, Oversized, Garbage}}).act(e, v)
	msgs := net.sent[ChannelConsensus]
	if len(msgs) != 4 || len(net.sent[ChannelBlocksync]) != 1 {
		t.Fatalf("sent %d consensus and %d block sync messages, want 4 and 1", len(msgs), len(net.sent[ChannelBlocksync]))
	}
	for i, raw := range msgs[:2] {
		cm, err := wire.DecodeConsensus(raw)
		if err != nil {
			t.Fatalf("copy %d does not decode: %v", i, err)
		}
		got := cm.Msg.(*consensus.Vote)
		if verifies(e, e.state.ChainID, got, got.Signature) {
			t.Fatalf("copy %d verifies on the real chain", i)
		}
	}
	if _, err := wire.DecodeConsensus(msgs[2]); err == nil {
		t.Fatal("the oversized vote decoded")
	}
}

func TestReplaySendsAnEarlierOwnMessage(t *testing.T) {
	e, net := byzantineEngine(t)
	b := &byzantine{modes: []string{Replay}}
	for i := 0; i < 40; i++ {
		v := honestVote(t, e)
		v.Height = int64(i + 1)
		b.act(e, v)
	}
	replayed := net.sent[ChannelConsensus]
	if len(replayed) == 0 {
		t.Fatal("nothing replayed")
	}
	cm, err := wire.DecodeConsensus(replayed[len(replayed)-1])
	if err != nil {
		t.Fatal(err)
	}
	if h := cm.Msg.(*consensus.Vote).Height; h >= 40-15 {
		t.Fatalf("replayed a recent message (height %d)", h)
	}
}

// The censoring filter drops exactly the chosen transaction and keeps the
// others in their order, leaving the reaped slice itself untouched.
func TestByzantineCensorDropsOnlyTheChosenTx(t *testing.T) {
	reaped := [][]byte{[]byte("a=1"), []byte("censored=1"), []byte("b=2")}
	got := censorTx([]byte("censored=1"))(reaped)
	if len(got) != 2 || string(got[0]) != "a=1" || string(got[1]) != "b=2" {
		t.Fatalf("filtered %q, want [a=1 b=2]", got)
	}
	if string(reaped[1]) != "censored=1" {
		t.Fatalf("the filter changed the reaped slice: %q", reaped)
	}
}
