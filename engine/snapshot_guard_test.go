package engine

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wal"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

// idOf is a well-formed block ID filled with b.
func idOf(b byte) consensus.ID {
	h := bytes.Repeat([]byte{b}, 32)
	return wire.EncodeID(types.BlockID{Hash: h, PartSetHeader: types.PartSetHeader{Total: 1, Hash: h}})
}

type countingNet struct{ broadcasts int }

func (n *countingNet) Broadcast(byte, []byte)         { n.broadcasts++ }
func (n *countingNet) Send(string, byte, []byte) bool { return true }
func (n *countingNet) Penalize(string, string)        {}

func engineWithWAL(t *testing.T) (*Engine, string, *countingNet) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cs.wal")
	w, _, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	key := ed25519.GenPrivKey()
	net := &countingNet{}
	e := &Engine{p: Parts{WAL: w, Net: net}, signer: NewSigner(key, "guard-chain"),
		blocks: newBlockCache(8), log: slog.New(slog.DiscardHandler)}
	return e, dir, net
}

// crashCopy copies the log's files as a crash would leave them: only what
// reached the files, nothing still buffered.
func crashCopy(t *testing.T, dir string) []logged {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w, _, err := wal.Open(dst, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out []logged
	if err := w.Replay(func(rec []byte) error {
		l, err := decodeRecord(rec)
		out = append(out, l)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A snapshot that rewrites the log must leave the messages signed at its
// height in the new log as soon as the rewrite returns. They used to be appended
// after the reset without a sync, so a crash right then left a snapshot
// without them, and the restarted proposer signed a second, different
// proposal for the same round (found by the fault suite's crash points).
func TestSnapshotKeepsSignedMessagesDurable(t *testing.T) {
	e, dir, _ := engineWithWAL(t)
	p := &consensus.Proposal{Height: 59, Round: 0, POLRound: -1, Value: idOf(0xA), Proposer: 1}
	if _, err := e.signer.Sign(p, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.logBytes = resetThreshold // the log is large: this snapshot rewrites it
	if err := e.saveSnapshot(consensus.SaveSnapshot{State: []byte("core state"), SignFloor: 59}); err != nil {
		t.Fatal(err)
	}
	recs := crashCopy(t, dir)
	if len(recs) != 2 || recs[0].kind != recSnapshot || recs[1].kind != recSigned {
		t.Fatalf("after the reset the log holds %d records; want the snapshot and the signed proposal", len(recs))
	}
	got := recs[1].input.(consensus.Receive).Msg.(*consensus.Proposal)
	if got.Height != 59 || got.Value != p.Value {
		t.Fatalf("logged %+v", got)
	}
}

// A proposer asked, after a restart, to propose again in a round it
// already proposed in must stay silent, not halt the node.
func TestSecondProposalForARoundIsSkippedNotFatal(t *testing.T) {
	e, _, net := engineWithWAL(t)
	first := &consensus.Proposal{Height: 59, Round: 0, POLRound: -1, Value: idOf(0xA), Proposer: 1}
	if _, err := e.signer.Sign(first, time.Now()); err != nil {
		t.Fatal(err)
	}
	second := &consensus.Proposal{Height: 59, Round: 0, POLRound: -1, Value: idOf(0xB), Proposer: 1}
	if err := e.broadcastOwn(context.Background(), second); err != nil {
		t.Fatalf("a second proposal halted the node: %v", err)
	}
	if net.broadcasts != 0 || len(e.queue) != 0 {
		t.Fatal("the second proposal was signed and sent")
	}
	vote := &consensus.Vote{Type: consensus.Prevote, Height: 59, Round: 0, Value: idOf(0xA), Validator: 1}
	if _, err := e.signer.Sign(vote, time.Now()); err != nil {
		t.Fatal(err)
	}
	other := &consensus.Vote{Type: consensus.Prevote, Height: 59, Round: 0, Value: idOf(0xB), Validator: 1}
	if err := e.broadcastOwn(context.Background(), other); err == nil {
		t.Fatal("a conflicting vote did not halt the node")
	}
}
