package wire

import (
	"crypto/sha256"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

const testChainID = "wire-test-chain"

// gen builds random but valid consensus messages from a seeded source.
type gen struct{ rng *rand.Rand }

func newGen(seed int64) *gen { return &gen{rand.New(rand.NewSource(seed))} }

// bytes returns n random bytes; nil for none, as decoding yields.
func (g *gen) bytes(n int) []byte {
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	g.rng.Read(b)
	return b
}

func (g *gen) id() consensus.ID {
	if g.rng.Intn(5) == 0 {
		return consensus.Nil
	}
	return EncodeID(types.BlockID{
		Hash:          g.bytes(32),
		PartSetHeader: types.PartSetHeader{Total: uint32(1 + g.rng.Intn(100)), Hash: g.bytes(32)},
	})
}

func (g *gen) time() time.Time {
	return time.Unix(1_700_000_000+g.rng.Int63n(1_000_000), g.rng.Int63n(1e9)).UTC()
}

func (g *gen) index() int32 { return int32(g.rng.Intn(100)) }

func (g *gen) sig() []byte { return g.bytes(64) }

func (g *gen) proposal(height int64, round int32, value consensus.ID) consensus.Proposal {
	pol := int32(-1)
	if round > 0 && g.rng.Intn(2) == 0 {
		pol = int32(g.rng.Intn(int(round)))
	}
	return consensus.Proposal{Height: height, Round: round, POLRound: pol, Value: value, Proposer: g.index(), Timestamp: g.time(), Signature: g.sig()}
}

func (g *gen) vote(t consensus.VoteType, height int64, round int32, value consensus.ID, val int32) consensus.Vote {
	return consensus.Vote{Type: t, Height: height, Round: round, Value: value, Validator: val, Timestamp: g.time(), Signature: g.sig()}
}

func (g *gen) checkpoint(height int64, appHash []byte, val int32) consensus.Checkpoint {
	return consensus.Checkpoint{Height: height, AppHash: appHash, Validator: val, Signature: g.sig()}
}

func (g *gen) stable() consensus.StableCheckpoint {
	if g.rng.Intn(4) == 0 {
		// The genesis checkpoint: the height before the initial height.
		return consensus.StableCheckpoint{Height: g.rng.Int63n(3)}
	}
	h, app := 1+g.rng.Int63n(1000), g.bytes(32)
	s := consensus.StableCheckpoint{Height: h, AppHash: app}
	for i := 0; i < 1+g.rng.Intn(4); i++ {
		s.Proof = append(s.Proof, g.checkpoint(h, app, int32(i)))
	}
	return s
}

func (g *gen) prepared(view int32) consensus.PreparedCert {
	h := 1 + g.rng.Int63n(1000)
	pp := g.proposal(h, int32(g.rng.Intn(int(view)+1)), g.id())
	pp.POLRound = -1
	pc := consensus.PreparedCert{PrePrepare: pp}
	for i := 0; i < g.rng.Intn(4); i++ {
		pc.Prepares = append(pc.Prepares, g.vote(consensus.Prevote, h, pp.Round, pp.Value, int32(i)))
	}
	return pc
}

func (g *gen) viewChange(view int32, val int32) consensus.ViewChange {
	vc := consensus.ViewChange{View: view, Validator: val, Stable: g.stable(), Signature: g.sig()}
	for i := 0; i < g.rng.Intn(3); i++ {
		vc.Prepared = append(vc.Prepared, g.prepared(view))
	}
	return vc
}

func (g *gen) newView() *consensus.NewView {
	view := int32(1 + g.rng.Intn(10))
	nv := &consensus.NewView{View: view, Validator: g.index(), Signature: g.sig()}
	for i := 0; i < 1+g.rng.Intn(3); i++ {
		nv.ViewChanges = append(nv.ViewChanges, g.viewChange(view, int32(i)))
	}
	for i := 0; i < g.rng.Intn(3); i++ {
		pp := g.proposal(1+g.rng.Int63n(1000), view, g.id())
		pp.POLRound = -1
		nv.PrePrepares = append(nv.PrePrepares, pp)
	}
	return nv
}

// message returns a random message of kind k (0..4).
func (g *gen) message(k int) consensus.Message {
	h, r := 1+g.rng.Int63n(1_000_000), int32(g.rng.Intn(50))
	switch k {
	case 0:
		p := g.proposal(h, r, g.id())
		return &p
	case 1:
		v := g.vote(consensus.VoteType(1+g.rng.Intn(2)), h, r, g.id(), g.index())
		return &v
	case 2:
		c := g.checkpoint(h, g.bytes(g.rng.Intn(33)), g.index())
		return &c
	case 3:
		vc := g.viewChange(int32(1+g.rng.Intn(10)), g.index())
		return &vc
	default:
		return g.newView()
	}
}

// testVals returns n validators with deterministic ed25519 keys.
func testVals(n int) ([]ed25519.PrivKey, *types.ValidatorSet) {
	keys := make([]ed25519.PrivKey, n)
	vals := make([]*types.Validator, n)
	for i := range keys {
		keys[i] = ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("validator-%d", i)))
		vals[i] = types.NewValidator(keys[i].PubKey(), 10)
	}
	set := types.NewValidatorSet(vals)
	// Reorder the keys to the set's order (power, then address).
	ordered := make([]ed25519.PrivKey, n)
	for _, k := range keys {
		idx, _ := set.GetByAddress(k.PubKey().Address())
		ordered[idx] = k
	}
	return ordered, set
}

// testBlock returns a well-formed block at height 1 holding txs.
func testBlock(t testing.TB, txs ...string) *types.Block {
	t.Helper()
	var tt []types.Tx
	for _, tx := range txs {
		tt = append(tt, types.Tx(tx))
	}
	b := types.MakeBlock(1, tt, &types.Commit{}, nil)
	b.ChainID = testChainID
	b.Time = time.Unix(1_700_000_000, 0).UTC()
	addr := sha256.Sum256([]byte("proposer"))
	b.ProposerAddress = addr[:20]
	_, vals := testVals(4)
	b.ValidatorsHash = vals.Hash()
	b.NextValidatorsHash = vals.Hash()
	if err := b.ValidateBasic(); err != nil {
		t.Fatalf("test block is invalid: %v", err)
	}
	return b
}

// blockID returns the complete ID of b.
func blockID(t testing.TB, b *types.Block) consensus.ID {
	t.Helper()
	id, err := IDOf(b, types.BlockPartSizeBytes)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
