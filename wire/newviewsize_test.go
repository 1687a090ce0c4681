package wire

import (
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/pbft"
	"github.com/cometbft/cometbft/types"
)

// largestNewView is the largest NEW-VIEW a correct primary can send at n
// validators with watermark window l: every validator's VIEW-CHANGE, each
// with a stable checkpoint proved by all n and a P set of l prepared
// certificates holding n-1 PREPAREs each [Castro-Liskov §4.4], and O with
// l pre-prepares.
func largestNewView(g *gen, n int, l int64) *consensus.NewView {
	const view = 1
	nv := &consensus.NewView{View: view, Signature: g.sig()}
	app := g.bytes(32)
	for v := range n {
		vc := consensus.ViewChange{View: view, Validator: int32(v), Signature: g.sig(),
			Stable: consensus.StableCheckpoint{Height: 1000, AppHash: app}}
		for i := range n {
			vc.Stable.Proof = append(vc.Stable.Proof, g.checkpoint(1000, app, int32(i)))
		}
		for h := int64(1001); h <= 1000+l; h++ {
			pp := g.proposal(h, 0, g.id())
			pp.POLRound = -1
			pc := consensus.PreparedCert{PrePrepare: pp}
			for i := 1; i < n; i++ {
				pc.Prepares = append(pc.Prepares, g.vote(consensus.Prevote, h, 0, pp.Value, int32(i)))
			}
			vc.Prepared = append(vc.Prepared, pc)
		}
		nv.ViewChanges = append(nv.ViewChanges, vc)
	}
	for h := int64(1001); h <= 1000+l; h++ {
		pp := g.proposal(h, view, g.id())
		pp.POLRound = -1
		nv.PrePrepares = append(nv.PrePrepares, pp)
	}
	return nv
}

// TestLargestNewViewFitsTheConsensusChannel: a NEW-VIEW grows with n²·L, and
// one larger than the consensus channel's message limit is dropped by
// every receiver, so the view change it carries can never complete. At the
// default watermark window the largest valid one must fit the smallest
// limit a node sets (its floor of a quarter of CometBFT's largest block)
// up to 64 validators.
func TestLargestNewViewFitsTheConsensusChannel(t *testing.T) {
	limit := p2p.DefaultChannels(types.MaxBlockSizeBytes/4, 1)[0]
	if limit.ID != p2p.ChannelConsensus {
		t.Fatalf("the first default channel is %#x, not the consensus channel", limit.ID)
	}
	l := pbft.DefaultConfig().WatermarkWindow
	g := newGen(1)
	for _, n := range []int{4, 7, 10, 25, 64} {
		b, err := EncodeConsensus(ConsensusMessage{Msg: largestNewView(g, n, l)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d validators, L = %d: largest NEW-VIEW %d bytes (limit %d)", n, l, len(b), limit.MaxMessageBytes)
		if len(b) > limit.MaxMessageBytes {
			t.Errorf("at %d validators the largest NEW-VIEW is %d bytes, over the consensus channel's limit of %d: lower the default watermark window (%d) or raise the limit", n, len(b), limit.MaxMessageBytes, l)
		}
	}
}
