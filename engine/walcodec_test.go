package engine

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

func testSet(t testing.TB) *consensus.ValidatorSet {
	vs, err := consensus.NewValidatorSet([]consensus.Validator{
		{Address: []byte("aaaaaaaaaaaaaaaaaaaa"), PubKey: make([]byte, 32), Power: 10},
		{Address: []byte("bbbbbbbbbbbbbbbbbbbb"), PubKey: make([]byte, 32), Power: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestLogRecordsRoundTrip(t *testing.T) {
	id := testID(7)
	vote := consensus.Vote{Type: consensus.Precommit, Height: 5, Round: 2, Value: id, Validator: 1,
		Timestamp: time.Unix(1700000000, 5).UTC(), Signature: make([]byte, 64)}
	inputs := []consensus.Input{
		consensus.Start{},
		consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutPrevote, Height: 9, Round: 3}},
		consensus.ProposalReady{Height: 4, Round: 1, Value: id},
		consensus.Verdict{Height: 4, Value: id, Valid: true},
		consensus.Verdict{Height: 4, Value: id, Valid: false},
		consensus.Executed{Height: 4, AppHash: []byte{1, 2, 3}, Next: testSet(t)},
		consensus.Executed{Height: 4, AppHash: []byte{1, 2, 3}, Next: testSet(t), LeftOut: "left-out-tx-key"},
		consensus.TxsAvailable{},
		consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRequest, Height: 9, Round: 3}},
		consensus.Synced{Height: 5, Value: id, Commit: []consensus.Vote{vote}},
		consensus.Receive{Msg: &vote},
	}
	for _, in := range inputs {
		for _, own := range []bool{false, true} {
			rec, err := encodeInput(in, own, nil)
			if err != nil {
				t.Fatalf("%T: %v", in, err)
			}
			got, err := decodeRecord(rec)
			if err != nil {
				t.Fatalf("%T: %v", in, err)
			}
			if !reflect.DeepEqual(got.input, in) {
				t.Errorf("%T: got %#v, want %#v", in, got.input, in)
			}
			if _, isReceive := in.(consensus.Receive); isReceive && (got.kind == recOwn) != own {
				t.Errorf("own flag lost")
			}
		}
	}
	snap, err := decodeRecord(encodeSnapshot("pbft", consensus.SaveSnapshot{State: []byte("state"), SignFloor: 42}))
	if err != nil || snap.kind != recSnapshot || string(snap.snapshot) != "state" || snap.signFloor != 42 || snap.protocol != "pbft" {
		t.Fatalf("snapshot record: %+v %v", snap, err)
	}
	mark, err := decodeRecord(encodeProtocol("tendermint", 12))
	if err != nil || mark.kind != recProtocol || mark.protocol != "tendermint" || mark.height != 12 {
		t.Fatalf("protocol record: %+v %v", mark, err)
	}
	// A snapshot written before snapshots named their protocol still reads.
	legacy := binary.AppendVarint([]byte{recSnapshot}, 7)
	old, err := decodeRecord(append(legacy, "old"...))
	if err != nil || old.kind != recSnapshot || string(old.snapshot) != "old" || old.signFloor != 7 || old.protocol != "" {
		t.Fatalf("untagged snapshot record: %+v %v", old, err)
	}
}

func TestLogRecordsRejectTruncation(t *testing.T) {
	rec, err := encodeInput(consensus.Executed{Height: 4, AppHash: []byte{1, 2, 3}, Next: testSet(t)}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(rec); n++ {
		if _, err := decodeRecord(rec[:n]); err == nil {
			t.Errorf("record cut to %d of %d bytes decoded without error", n, len(rec))
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, in := range []consensus.Input{consensus.Start{}, consensus.TxsAvailable{},
		consensus.Verdict{Height: 1, Value: "x", Valid: true},
		consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: 1, Height: 1}}} {
		rec, _ := encodeInput(in, false, nil)
		f.Add(rec)
	}
	f.Add([]byte{recExecuted, 2, 0, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeRecord(b) // must not panic
	})
}

// testID is a well-formed block ID whose hashes are filled with b.
func testID(b byte) consensus.ID {
	h := bytes.Repeat([]byte{b}, 32)
	return wire.EncodeID(types.BlockID{Hash: h, PartSetHeader: types.PartSetHeader{Total: 1, Hash: h}})
}
