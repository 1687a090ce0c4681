package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire/wirepb"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

type cmtprotoBlock = cmtproto.Block

// decidedBlock returns a block at height 1 and a commit for it signed by 3
// of 4 validators.
func decidedBlock(t testing.TB) (*types.Block, *types.Commit) {
	t.Helper()
	keys, vals := testVals(4)
	block := testBlock(t, "a", "b", "c")
	votes := signedPrecommits(t, keys, 3, testChainID, 1, 0, blockID(t, block))
	commit, err := CommitFromVotes(votes, vals)
	if err != nil {
		t.Fatal(err)
	}
	return block, commit
}

func blocksyncSamples(t testing.TB) []BlocksyncMessage {
	block, commit := decidedBlock(t)
	id := blockID(t, block)
	return []BlocksyncMessage{
		StatusRequest{},
		StatusResponse{Base: 1, Height: 40},
		StatusResponse{},
		BlockRequest{Height: 12},
		NoBlockResponse{Height: 12},
		BlockResponse{Block: block, Commit: commit},
		BlockResponse{Block: block, Commit: commit, ExtCommit: extendedOf(commit)},
		BlockByIDRequest{ID: id},
		BlockByIDResponse{ID: id, Block: block},
		BlockByIDResponse{ID: id},
	}
}

func TestBlocksyncMessagesRoundTrip(t *testing.T) {
	for _, m := range blocksyncSamples(t) {
		b, err := EncodeBlocksync(m)
		if err != nil {
			t.Fatalf("%T: encode: %v", m, err)
		}
		got, err := DecodeBlocksync(b)
		if err != nil {
			t.Fatalf("%T: decode: %v", m, err)
		}
		again, err := EncodeBlocksync(got)
		if err != nil {
			t.Fatalf("%T: re-encode: %v", m, err)
		}
		if string(again) != string(b) {
			t.Fatalf("%T: re-encoding differs", m)
		}
		if reflect.TypeOf(got) != reflect.TypeOf(m) {
			t.Fatalf("decoded a %T from a %T", got, m)
		}
	}
}

func TestBlockResponseKeepsBlockAndCommit(t *testing.T) {
	block, commit := decidedBlock(t)
	b, err := EncodeBlocksync(BlockResponse{Block: block, Commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBlocksync(b)
	if err != nil {
		t.Fatal(err)
	}
	resp := got.(BlockResponse)
	_, vals := testVals(4)
	if err := vals.VerifyCommit(testChainID, resp.Commit.BlockID, 1, resp.Commit); err != nil {
		t.Fatalf("decoded commit no longer verifies: %v", err)
	}
	if blockID(t, resp.Block) != EncodeID(resp.Commit.BlockID) {
		t.Fatal("decoded block is not the committed one")
	}
}

// extendedOf is c as an extended commit whose precommits for the block
// carry a (not really signed) extension.
func extendedOf(c *types.Commit) *types.ExtendedCommit {
	ec := c.WrappedExtendedCommit()
	for i := range ec.ExtendedSignatures {
		if s := &ec.ExtendedSignatures[i]; s.BlockIDFlag == types.BlockIDFlagCommit {
			s.Extension, s.ExtensionSignature = []byte("ext"), make([]byte, 64)
		}
	}
	return ec
}

func TestBlockResponseKeepsTheVoteExtensions(t *testing.T) {
	block, commit := decidedBlock(t)
	b, err := EncodeBlocksync(BlockResponse{Block: block, Commit: commit, ExtCommit: extendedOf(commit)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBlocksync(b)
	if err != nil {
		t.Fatal(err)
	}
	votes, err := VotesFromExtendedCommit(got.(BlockResponse).ExtCommit)
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 3 {
		t.Fatalf("%d precommits from the extended commit, want 3", len(votes))
	}
	for _, v := range votes {
		if string(v.Extension) != "ext" || len(v.ExtensionSignature) != 64 {
			t.Fatalf("validator %d's precommit lost its extension: %q, %d signature bytes", v.Validator, v.Extension, len(v.ExtensionSignature))
		}
	}
}

func TestBlocksyncRefusesInconsistentMessages(t *testing.T) {
	block, commit := decidedBlock(t)
	other := testBlock(t, "different")
	wrongHeight := *commit
	wrongHeight.Height = 2
	otherBlock := extendedOf(commit)
	otherBlock.BlockID.Hash = other.Hash()
	unsignedExt := extendedOf(commit)
	unsignedExt.ExtendedSignatures[0].ExtensionSignature = nil
	bad := map[string]BlocksyncMessage{
		"status base above height":          StatusResponse{Base: 5, Height: 4},
		"status negative":                   StatusResponse{Base: -1, Height: 4},
		"status base 0 height 4":            StatusResponse{Base: 0, Height: 4},
		"block request height 0":            BlockRequest{},
		"no-block height -3":                NoBlockResponse{Height: -3},
		"response without commit":           BlockResponse{Block: block},
		"response without block":            BlockResponse{Commit: commit},
		"commit for other block":            BlockResponse{Block: other, Commit: commit},
		"commit for other height":           BlockResponse{Block: block, Commit: &wrongHeight},
		"extended commit for another block": BlockResponse{Block: block, Commit: commit, ExtCommit: otherBlock},
		"extension without signature":       BlockResponse{Block: block, Commit: commit, ExtCommit: unsignedExt},
		"by-ID request for nil":             BlockByIDRequest{ID: consensus.Nil},
		"by-ID request malformed":           BlockByIDRequest{ID: "xyz"},
		"by-ID other block":                 BlockByIDResponse{ID: blockID(t, block), Block: other},
		"by-ID response for nil":            BlockByIDResponse{},
		"nil message":                       nil,
	}
	for name, m := range bad {
		if _, err := EncodeBlocksync(m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: encode error %v, want ErrInvalid", name, err)
		}
	}
	// From a peer: a response whose commit names another block.
	pb := &wirepb.BlocksyncMessage{Sum: &wirepb.BlocksyncMessage_BlockResponse{BlockResponse: &wirepb.BlockResponse{
		Block: mustProto(t, other), Commit: commit.ToProto()}}}
	raw, err := pb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeBlocksync(raw); !errors.Is(err, ErrInvalid) {
		t.Errorf("decode of mismatched block and commit: %v", err)
	}
	// A block whose data hash lies.
	lying := mustProto(t, block)
	lying.Data.Txs = append(lying.Data.Txs, []byte("smuggled"))
	pb = &wirepb.BlocksyncMessage{Sum: &wirepb.BlocksyncMessage_BlockResponse{BlockResponse: &wirepb.BlockResponse{
		Block: lying, Commit: commit.ToProto()}}}
	if raw, err = pb.Marshal(); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeBlocksync(raw); !errors.Is(err, ErrInvalid) {
		t.Errorf("decode of a block with a smuggled transaction: %v", err)
	}
	for name, b := range map[string][]byte{"empty": nil, "unknown kind": {0x52, 0x00}, "truncated": {0x22, 0x10}} {
		if _, err := DecodeBlocksync(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func mustProto(t *testing.T, b *types.Block) *cmtprotoBlock {
	t.Helper()
	pb, err := b.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

func TestMempoolBatchesRoundTrip(t *testing.T) {
	txs := types.Txs{types.Tx("a"), types.Tx("bb"), types.Tx(make([]byte, 1000))}
	b, err := EncodeMempool(txs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeMempool(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, txs) {
		t.Fatalf("got %v, want %v", got, txs)
	}
	b[len(b)-1] ^= 0xff
	if again, err := DecodeMempool(b); err == nil && reflect.DeepEqual(again, got) {
		t.Fatal("decoded transactions alias the input buffer or ignore it")
	}
}

func TestMempoolRefusesEmptyBatchesAndTransactions(t *testing.T) {
	for name, txs := range map[string]types.Txs{"no batch": nil, "empty tx": {types.Tx("a"), types.Tx{}}} {
		if _, err := EncodeMempool(txs); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	raw, _ := (&wirepb.MempoolMessage{Sum: &wirepb.MempoolMessage_Txs{Txs: &wirepb.Txs{Txs: [][]byte{{1}, {}}}}}).Marshal()
	for name, b := range map[string][]byte{"empty": nil, "empty tx": raw, "junk": {0xff, 0xff}} {
		if _, err := DecodeMempool(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
