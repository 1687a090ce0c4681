package engine

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/store"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// extendCommit is c with a vote extension on every precommit for the
// block, each signed by its validator over CometBFT's extension bytes.
func extendCommit(t *testing.T, keys statetest.Keyring, c *types.Commit) *types.ExtendedCommit {
	t.Helper()
	ec := &types.ExtendedCommit{Height: c.Height, Round: c.Round, BlockID: c.BlockID}
	for i, s := range c.Signatures {
		es := types.ExtendedCommitSig{CommitSig: s}
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			es.Extension = []byte(fmt.Sprintf("price-from-%d", i))
			v := consensus.Vote{Type: consensus.Precommit, Height: c.Height, Round: c.Round, Value: wire.EncodeID(c.BlockID), Extension: es.Extension}
			sb, err := wire.ExtensionSignBytes(statetest.ChainID, &v)
			if err != nil {
				t.Fatal(err)
			}
			if es.ExtensionSignature, err = keys[string(s.ValidatorAddress)].Sign(sb); err != nil {
				t.Fatal(err)
			}
		}
		ec.ExtendedSignatures = append(ec.ExtendedSignatures, es)
	}
	return ec
}

// syncPair is a node that stores blocks 1-3 of a chain with vote
// extensions enabled from height 1, block 3 with its extended commit, and
// a node at height 2 that fetches block 3 from it by block sync.
func syncPair(t *testing.T) (server, client *Engine, net *penaltyNet) {
	t.Helper()
	dir := t.TempDir()
	bs, err := store.OpenBlockStore(filepath.Join(dir, "blockstore.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bs.Close() })
	s, keys := statetest.GenesisState(t, 10, 10, 10, 10)
	s.ConsensusParams.ABCI.VoteExtensionsEnableHeight = 1
	steps := statetest.Chain(t, s, keys, 3, nil)
	for _, st := range steps[:2] {
		if err := bs.SaveBlock(st.Block, st.Parts, st.Commit); err != nil {
			t.Fatal(err)
		}
	}
	last := steps[2]
	if err := bs.SaveBlockExtended(last.Block, last.Parts, extendCommit(t, keys, last.Commit)); err != nil {
		t.Fatal(err)
	}
	server = &Engine{log: slog.New(slog.DiscardHandler), p: Parts{Blocks: bs}, state: last.After}
	net = &penaltyNet{}
	client = &Engine{log: slog.New(slog.DiscardHandler), p: Parts{Net: net}, state: last.Before,
		blocks: newBlockCache(16), late: newLateVotes(), events: make(chan event, 4), done: make(chan struct{})}
	client.sync = newSyncer(client)
	return server, client, net
}

// fetch hands the server's answer for height 3, changed by tamper, to the
// client as the peer's block sync message would arrive.
func fetch(t *testing.T, server, client *Engine, tamper func(*wire.BlockResponse)) {
	t.Helper()
	resp, ok := server.storedBlock(3).(wire.BlockResponse)
	if !ok {
		t.Fatalf("the server has no block 3: %v", server.storedBlock(3))
	}
	if resp.ExtCommit == nil {
		t.Fatal("the server's answer carries no extended commit")
	}
	tamper(&resp)
	b, err := wire.EncodeBlocksync(resp)
	if err != nil {
		t.Fatal(err)
	}
	client.HandleBlocksync("server", b)
	client.sync.received((<-client.events).(syncedBlock))
}

// A node whose last block came by block sync still proposes where the
// chain enables vote extensions: the block's extended commit comes with
// it, and PrepareProposal's local_last_commit gets every extension.
func TestBlockSyncCarriesVoteExtensions(t *testing.T) {
	server, client, net := syncPair(t)
	fetch(t, server, client, func(*wire.BlockResponse) {})
	if len(net.penalized) != 0 || len(client.queue) != 1 {
		t.Fatalf("penalized %v, queued %d inputs; want the block handed to the core", net.penalized, len(client.queue))
	}
	synced := client.queue[0].in.(consensus.Synced)
	for _, v := range synced.Commit {
		if len(v.ExtensionSignature) == 0 {
			t.Fatalf("the core gets validator %d's precommit without its extension", v.Validator)
		}
	}
	vals := client.state.Validators
	c, err := client.late.decided(consensus.Decide{Height: synced.Height, Value: synced.Value, Commit: synced.Commit}, vals, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ec, err := withExtensionsOnly(c.extended(), vals)
	if err != nil {
		t.Fatalf("a proposer after block sync: %v", err)
	}
	for i, s := range ec.ExtendedSignatures {
		if want := fmt.Sprintf("price-from-%d", i); string(s.Extension) != want {
			t.Errorf("local_last_commit of validator %d has extension %q, want %q", i, s.Extension, want)
		}
	}
}

// An extended commit whose extension signature does not verify is the
// peer's fault: it is penalized and the block is not taken.
func TestBlockSyncRefusesAForgedVoteExtension(t *testing.T) {
	server, client, net := syncPair(t)
	fetch(t, server, client, func(r *wire.BlockResponse) {
		ec := *r.ExtCommit
		ec.ExtendedSignatures = append([]types.ExtendedCommitSig(nil), ec.ExtendedSignatures...)
		ec.ExtendedSignatures[1].Extension = []byte("price-made-up")
		r.ExtCommit = &ec
	})
	if len(net.penalized) != 1 || len(client.queue) != 0 {
		t.Fatalf("penalized %v, queued %d inputs; want the peer penalized and nothing queued", net.penalized, len(client.queue))
	}
}

// Without extensions enabled the plain commit is used, as before.
func TestBlockSyncWithoutExtensionsUsesTheCommit(t *testing.T) {
	server, client, _ := syncPair(t)
	client.state.ConsensusParams.ABCI.VoteExtensionsEnableHeight = 0
	fetch(t, server, client, func(*wire.BlockResponse) {})
	synced := client.queue[0].in.(consensus.Synced)
	for _, v := range synced.Commit {
		if len(v.Extension) > 0 || len(v.ExtensionSignature) > 0 {
			t.Fatalf("validator %d's precommit carries an extension the chain does not enable", v.Validator)
		}
	}
}
