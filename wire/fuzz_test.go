package wire

import (
	"reflect"
	"testing"

	"github.com/cometbft/cometbft/types"
)

// The fuzz targets check the decoders' two promises: no input makes them
// panic, and whatever they accept re-encodes to bytes that decode to the
// same value (decode(encode(x)) = x) and encode the same way again.

func FuzzDecodeConsensus(f *testing.F) {
	g := newGen(100)
	for i := 0; i < 25; i++ {
		b, err := EncodeConsensus(ConsensusMessage{Msg: g.message(i % 5)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	block := testBlock(f, "tx1", "tx2")
	p := g.proposal(1, 0, blockID(f, block))
	b, err := EncodeConsensus(ConsensusMessage{Msg: &p, Block: block})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x12, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := DecodeConsensus(in)
		if err != nil {
			return
		}
		out, err := EncodeConsensus(x)
		if err != nil {
			t.Fatalf("accepted %T does not encode: %v", x.Msg, err)
		}
		y, err := DecodeConsensus(out)
		if err != nil {
			t.Fatalf("re-encoded %T does not decode: %v", x.Msg, err)
		}
		if !reflect.DeepEqual(x.Msg, y.Msg) {
			t.Fatalf("round trip changed the message:\n%#v\n%#v", x.Msg, y.Msg)
		}
		if (x.Block == nil) != (y.Block == nil) || x.Block != nil && !reflect.DeepEqual(x.Block.Hash(), y.Block.Hash()) {
			t.Fatal("round trip changed the block")
		}
		again, err := EncodeConsensus(y)
		if err != nil || string(again) != string(out) {
			t.Fatalf("encoding is not stable (%v)", err)
		}
	})
}

func FuzzDecodeMempool(f *testing.F) {
	for _, txs := range []types.Txs{{types.Tx("a")}, {types.Tx("key=value"), types.Tx(make([]byte, 300))}} {
		b, err := EncodeMempool(txs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := DecodeMempool(in)
		if err != nil {
			return
		}
		out, err := EncodeMempool(x)
		if err != nil {
			t.Fatalf("accepted batch does not encode: %v", err)
		}
		y, err := DecodeMempool(out)
		if err != nil || !reflect.DeepEqual(x, y) {
			t.Fatalf("round trip changed the batch (%v)", err)
		}
	})
}

func FuzzDecodeBlocksync(f *testing.F) {
	for _, m := range blocksyncSamples(f) {
		b, err := EncodeBlocksync(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x1a, 0x02, 0x08, 0x05})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := DecodeBlocksync(in)
		if err != nil {
			return
		}
		out, err := EncodeBlocksync(x)
		if err != nil {
			t.Fatalf("accepted %T does not encode: %v", x, err)
		}
		y, err := DecodeBlocksync(out)
		if err != nil {
			t.Fatalf("re-encoded %T does not decode: %v", x, err)
		}
		again, err := EncodeBlocksync(y)
		if err != nil || string(again) != string(out) {
			t.Fatalf("round trip of %T is not stable (%v)", x, err)
		}
		if !sameBlocksync(x, y) {
			t.Fatalf("round trip changed the message:\n%#v\n%#v", x, y)
		}
	})
}

// sameBlocksync compares two blocksync messages; blocks and commits compare
// by their hashes, which cover every field.
func sameBlocksync(x, y BlocksyncMessage) bool {
	switch x := x.(type) {
	case BlockResponse:
		y, ok := y.(BlockResponse)
		return ok && reflect.DeepEqual(x.Block.Hash(), y.Block.Hash()) && reflect.DeepEqual(x.Commit.Hash(), y.Commit.Hash())
	case BlockByIDResponse:
		y, ok := y.(BlockByIDResponse)
		return ok && x.ID == y.ID && (x.Block == nil) == (y.Block == nil) &&
			(x.Block == nil || reflect.DeepEqual(x.Block.Hash(), y.Block.Hash()))
	}
	return reflect.DeepEqual(x, y)
}
