package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/cometbft/cometbft/types"
)

func TestIDRoundTripsCompleteAndNilBlockIDs(t *testing.T) {
	b := testBlock(t, "a", "b")
	parts, err := b.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		t.Fatal(err)
	}
	want := types.BlockID{Hash: b.Hash(), PartSetHeader: parts.Header()}
	id := EncodeID(want)
	if len(id) != idLen {
		t.Fatalf("ID is %d bytes, want %d", len(id), idLen)
	}
	got, err := DecodeID(id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(want) {
		t.Fatalf("decoded %v, want %v", got, want)
	}
	if of := blockID(t, b); of != id {
		t.Fatalf("IDOf = %X, EncodeID = %X", of, id)
	}
	if EncodeID(types.BlockID{}) != consensus.Nil {
		t.Fatal("zero BlockID must encode to Nil")
	}
	if z, err := DecodeID(consensus.Nil); err != nil || !z.IsZero() {
		t.Fatalf("DecodeID(Nil) = %v, %v", z, err)
	}
}

func TestIDsCompareLikeBlockIDs(t *testing.T) {
	g := newGen(1)
	a := types.BlockID{Hash: g.bytes(32), PartSetHeader: types.PartSetHeader{Total: 1, Hash: g.bytes(32)}}
	b := a
	b.PartSetHeader.Total = 2
	if EncodeID(a) == EncodeID(b) {
		t.Fatal("IDs of block IDs differing in part-set total are equal")
	}
	c := types.BlockID{Hash: bytes.Clone(a.Hash), PartSetHeader: types.PartSetHeader{Total: 1, Hash: bytes.Clone(a.PartSetHeader.Hash)}}
	if EncodeID(a) != EncodeID(c) {
		t.Fatal("IDs of equal block IDs differ")
	}
}

func TestDecodeIDRejectsPartialAndMalformedIDs(t *testing.T) {
	g := newGen(2)
	bad := map[string]consensus.ID{
		"short":           consensus.ID(g.bytes(10)),
		"long":            consensus.ID(g.bytes(idLen + 1)),
		"total zero":      EncodeID(types.BlockID{Hash: g.bytes(32), PartSetHeader: types.PartSetHeader{Total: 0, Hash: g.bytes(32)}}),
		"no part hash":    EncodeID(types.BlockID{Hash: g.bytes(32), PartSetHeader: types.PartSetHeader{Total: 1}}),
		"only part set":   EncodeID(types.BlockID{PartSetHeader: types.PartSetHeader{Total: 1, Hash: g.bytes(32)}}),
		"hash only":       EncodeID(types.BlockID{Hash: g.bytes(32)}),
		"one byte":        "x",
		"hash wrong size": EncodeID(types.BlockID{Hash: g.bytes(31), PartSetHeader: types.PartSetHeader{Total: 1, Hash: g.bytes(32)}}),
	}
	for name, id := range bad {
		if _, err := DecodeID(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: DecodeID error %v, want ErrInvalid", name, err)
		}
	}
}

func TestIDOfRejectsMalformedBlocks(t *testing.T) {
	if _, err := IDOf(nil, types.BlockPartSizeBytes); err == nil {
		t.Error("nil block accepted")
	}
	b := testBlock(t, "x")
	b.DataHash = make([]byte, 32) // no longer the hash of the data
	if _, err := IDOf(b, types.BlockPartSizeBytes); !errors.Is(err, ErrInvalid) {
		t.Errorf("block with a wrong data hash: %v", err)
	}
}
