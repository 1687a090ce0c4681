package engine

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/store"
)

// evidenceNode is what of a node the evidence pool touches, on disk, so a
// test can stop and start it.
type evidenceNode struct {
	t      *testing.T
	dir    string
	st     state.State
	keys   statetest.Keyring
	blocks *store.BlockStore
	evs    *store.EvidenceStore
}

func newEvidenceNode(t *testing.T) *evidenceNode {
	st, keys := statetest.GenesisState(t, 10)
	n := &evidenceNode{t: t, dir: t.TempDir(), st: st, keys: keys}
	n.open()
	t.Cleanup(n.close)
	return n
}

func (n *evidenceNode) open() {
	var err error
	if n.blocks, err = store.OpenBlockStore(filepath.Join(n.dir, "blockstore.db")); err != nil {
		n.t.Fatal(err)
	}
	if n.evs, err = store.OpenEvidenceStore(filepath.Join(n.dir, "evidence.db")); err != nil {
		n.t.Fatal(err)
	}
}

func (n *evidenceNode) close() {
	if n.blocks != nil {
		n.blocks.Close()
		n.evs.Close()
		n.blocks, n.evs = nil, nil
	}
}

// start is an engine as New leaves it, with the durable pool attached.
func (n *evidenceNode) start() *Engine {
	n.t.Helper()
	e := &Engine{log: slog.New(slog.DiscardHandler), p: Parts{Blocks: n.blocks}, state: n.st, evidence: newEvidencePool()}
	if err := e.UseEvidenceStore(n.evs, nil); err != nil {
		n.t.Fatal(err)
	}
	return e
}

func (n *evidenceNode) restart() *Engine {
	n.close()
	n.open()
	return n.start()
}

// storeBlockWith stores the chain's next block carrying evs, as a decided
// block is stored before it executes.
func (n *evidenceNode) storeBlockWith(evs ...types.Evidence) *types.Block {
	n.t.Helper()
	step := statetest.Chain(n.t, n.st, n.keys, 1, nil)[0]
	block := step.Block
	block.Evidence = types.EvidenceData{Evidence: evs}
	block.EvidenceHash = block.Evidence.Hash()
	parts, err := block.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		n.t.Fatal(err)
	}
	id := types.BlockID{Hash: block.Hash(), PartSetHeader: parts.Header()}
	commit := statetest.SignCommit(n.t, n.keys, n.st.Validators, block.Height, id, block.Time)
	if err := n.blocks.SaveBlock(block, parts, commit); err != nil {
		n.t.Fatal(err)
	}
	return block
}

func duplicateVoteAt(t *testing.T, st state.State, height int64, at time.Time) *types.DuplicateVoteEvidence {
	t.Helper()
	key := statetest.Key(0)
	vote := func(b byte) *types.Vote {
		hash := make([]byte, 32)
		hash[0] = b
		v := &types.Vote{Type: cmtproto.PrecommitType, Height: height,
			BlockID:   types.BlockID{Hash: hash, PartSetHeader: types.PartSetHeader{Total: 1, Hash: hash}},
			Timestamp: at, ValidatorAddress: key.PubKey().Address()}
		sig, err := key.Sign(types.VoteSignBytes(st.ChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := types.NewDuplicateVoteEvidence(vote(1), vote(2), at, st.Validators)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEvidenceWaitsForABlockAcrossRestarts(t *testing.T) {
	n := newEvidenceNode(t)
	ev := duplicateVoteAt(t, n.st, 1, n.st.LastBlockTime)
	e := n.start()
	if !e.evidence.add(e, ev) {
		t.Fatal("new evidence not added")
	}
	e = n.restart()
	if got := e.evidence.pending(e, 1<<20); len(got) != 1 || string(got[0].Hash()) != string(ev.Hash()) {
		t.Fatalf("pending after restart: %v, want the evidence", got)
	}
	if got := e.PendingEvidence(); len(got) != 1 {
		t.Errorf("PendingEvidence after restart: %v", got)
	}
}

func TestCommittedEvidenceNeverReachesASecondBlock(t *testing.T) {
	n := newEvidenceNode(t)
	ev := duplicateVoteAt(t, n.st, 1, n.st.LastBlockTime)
	e := n.start()
	e.evidence.add(e, ev)
	block := n.storeBlockWith(ev)
	if err := e.evidence.committed(block); err != nil {
		t.Fatal(err)
	}
	e = n.restart()
	if got := e.evidence.pending(e, 1<<20); len(got) != 0 {
		t.Fatalf("committed evidence pending again after a restart: %v", got)
	}
	// Submitted again, by a client or a peer, it is not taken.
	if e.evidence.add(e, ev) {
		t.Error("committed evidence accepted again after a restart")
	}
	if !e.evidence.isCommitted(e, ev) {
		t.Error("a proposal carrying committed evidence would be accepted after a restart")
	}
}

func TestEvidenceOfABlockStoredBeforeACrashIsRecorded(t *testing.T) {
	// The node stored the block carrying ev and crashed before recording
	// the block's evidence as committed.
	n := newEvidenceNode(t)
	ev := duplicateVoteAt(t, n.st, 1, n.st.LastBlockTime)
	e := n.start()
	e.evidence.add(e, ev)
	n.storeBlockWith(ev)
	e = n.restart()
	if got := e.evidence.pending(e, 1<<20); len(got) != 0 {
		t.Fatalf("evidence of a stored block pending after the crash: %v", got)
	}
	if !e.evidence.isCommitted(e, ev) {
		t.Error("evidence of a stored block not recorded as committed")
	}
	if h, _ := n.evs.MarkedThrough(); h != n.blocks.Height() {
		t.Errorf("marked through %d, the store holds %d", h, n.blocks.Height())
	}
}

func TestEvidenceExpiresOnlyWhenOldInBlocksAndTime(t *testing.T) {
	params := types.EvidenceParams{MaxAgeNumBlocks: 10, MaxAgeDuration: time.Hour}
	t0 := time.Unix(1_000_000, 0)
	cases := []struct {
		name       string
		lastHeight int64
		lastTime   time.Time
		want       bool
	}{
		{"young in both", 15, t0.Add(time.Minute), false},
		{"old in blocks only", 100, t0.Add(time.Minute), false},
		{"old in time only", 15, t0.Add(2 * time.Hour), false},
		{"at both limits", 15, t0.Add(time.Hour), false},
		{"old in both", 16, t0.Add(time.Hour + time.Nanosecond), true},
	}
	for _, c := range cases {
		if got := expired(c.lastHeight, c.lastTime, 5, t0, params); got != c.want {
			t.Errorf("%s: expired = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestExpiredEvidenceLeavesThePool(t *testing.T) {
	n := newEvidenceNode(t)
	ev := duplicateVoteAt(t, n.st, 1, n.st.LastBlockTime)
	e := n.start()
	e.evidence.add(e, ev)
	params := e.state.ConsensusParams.Evidence
	e.state.LastBlockHeight = 2 + params.MaxAgeNumBlocks
	e.state.LastBlockTime = ev.Time().Add(params.MaxAgeDuration + time.Second)
	if got := e.evidence.pending(e, 1<<20); len(got) != 0 {
		t.Fatalf("expired evidence offered for a block: %v", got)
	}
	block := &types.Block{Evidence: types.EvidenceData{Evidence: types.EvidenceList{ev}}}
	if err := e.evidence.verifyBlock(e, block); err == nil {
		t.Error("a proposal carrying expired evidence verified")
	}
	e.evidence.expire(e)
	if len(e.evidence.pendingEv) != 0 {
		t.Errorf("expired evidence kept in the pool: %v", e.evidence.pendingEv)
	}
}
