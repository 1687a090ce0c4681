package engine

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// sentNet keeps the consensus messages the engine broadcast.
type sentNet struct{ sent [][]byte }

func (n *sentNet) Broadcast(ch byte, msg []byte) {
	if ch == ChannelConsensus {
		n.sent = append(n.sent, msg)
	}
}
func (n *sentNet) Send(string, byte, []byte) bool { return true }
func (n *sentNet) Penalize(string, string)        {}

func TestResentProposalCarriesOnlySmallBlocks(t *testing.T) {
	net := &sentNet{}
	e := &Engine{p: Parts{Net: net}, blocks: newBlockCache(8), log: slog.Default()}
	small := proposedBlock(t, 5, types.Tx("a=1"))
	large := proposedBlock(t, 6, types.Tx(bytes.Repeat([]byte{'x'}, resendBlockBytes+1)))
	ids := map[*types.Block]consensus.ID{}
	for _, b := range []*types.Block{small, large} {
		parts, err := b.MakePartSet(types.BlockPartSizeBytes)
		if err != nil {
			t.Fatal(err)
		}
		ids[b] = wire.EncodeID(types.BlockID{Hash: b.Hash(), PartSetHeader: parts.Header()})
		e.blocks.add(ids[b], b)
	}
	for _, c := range []struct {
		name      string
		block     *types.Block
		resend    bool
		withBlock bool
	}{
		{"first send, small block", small, false, true},
		{"first send, large block", large, false, true},
		{"resend, small block", small, true, true},
		{"resend, large block", large, true, false},
	} {
		net.sent = nil
		e.send(&consensus.Proposal{Height: c.block.Height, POLRound: -1, Value: ids[c.block], Signature: make([]byte, 64)}, c.resend)
		if len(net.sent) != 1 {
			t.Fatalf("%s: %d messages broadcast, want 1", c.name, len(net.sent))
		}
		cm, err := wire.DecodeConsensus(net.sent[0])
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := cm.Block != nil; got != c.withBlock {
			t.Errorf("%s: block attached %v, want %v", c.name, got, c.withBlock)
		}
	}
}

// proposedBlock is a block at height with a header complete enough to hash.
func proposedBlock(t *testing.T, height int64, tx types.Tx) *types.Block {
	t.Helper()
	b := types.MakeBlock(height, types.Txs{tx}, &types.Commit{}, nil)
	b.ProposerAddress = bytes.Repeat([]byte{1}, 20)
	b.ValidatorsHash = bytes.Repeat([]byte{2}, 32)
	if err := b.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	return b
}
